# A security group rule's port changes (ForceNew: revoked, then authorized again) and the EIP moves
# from one intranet load balancer to the other (the old binding is removed before the new one is
# made: one EIP is bound to one instance at a time).

resource "alicloud_vpc" "main" {
  vpc_name   = "scn-around"
  cidr_block = "10.60.0.0/16"
}

resource "alicloud_vswitch" "main" {
  vpc_id     = alicloud_vpc.main.id
  cidr_block = "10.60.1.0/24"
  zone_id    = "cn-hangzhou-h"
}

resource "alicloud_security_group" "web" {
  security_group_name = "scn-around"
  vpc_id              = alicloud_vpc.main.id
}

resource "alicloud_security_group_rule" "backend" {
  type              = "ingress"
  ip_protocol       = "tcp"
  port_range        = "8080/8080"
  security_group_id = alicloud_security_group.web.id
  cidr_ip           = alicloud_vpc.main.cidr_block
}

resource "alicloud_slb_load_balancer" "blue" {
  load_balancer_name = "scn-blue"
  address_type       = "intranet"
  vswitch_id         = alicloud_vswitch.main.id
  load_balancer_spec = "slb.s1.small"
}

resource "alicloud_slb_load_balancer" "green" {
  load_balancer_name = "scn-green"
  address_type       = "intranet"
  vswitch_id         = alicloud_vswitch.main.id
  load_balancer_spec = "slb.s1.small"
}

resource "alicloud_eip_address" "public" {
  address_name = "scn-public"
  bandwidth    = "5"
}

resource "alicloud_eip_association" "public" {
  allocation_id = alicloud_eip_address.public.id
  instance_id   = alicloud_slb_load_balancer.green.id
}
