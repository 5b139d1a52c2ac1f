# The deprecated alicloud_slb_attachment moves the default group from instance 0 to instance 1 with
# a lower weight: one in-place update (RemoveBackendServers for 0, then AddBackendServers for 1 with
# the new weight), no replacement: load_balancer_id stays, and instance_ids is not ForceNew.

resource "alicloud_vpc" "main" {
  vpc_name   = "scn-attach"
  cidr_block = "10.30.0.0/16"
}

resource "alicloud_vswitch" "main" {
  vpc_id     = alicloud_vpc.main.id
  cidr_block = "10.30.1.0/24"
  zone_id    = "cn-hangzhou-h"
}

resource "alicloud_security_group" "main" {
  security_group_name = "scn-attach"
  vpc_id              = alicloud_vpc.main.id
}

resource "alicloud_instance" "web" {
  count           = 3
  instance_name   = "scn-attach-${count.index}"
  image_id        = "ubuntu_22_04_x64_20G_alibase_20240508.vhd"
  instance_type   = "ecs.g6.large"
  vswitch_id      = alicloud_vswitch.main.id
  security_groups = [alicloud_security_group.main.id]
}

resource "alicloud_slb_load_balancer" "web" {
  load_balancer_name = "scn-attach"
  address_type       = "intranet"
  vswitch_id         = alicloud_vswitch.main.id
  load_balancer_spec = "slb.s1.small"
}

resource "alicloud_slb_listener" "http" {
  load_balancer_id = alicloud_slb_load_balancer.web.id
  protocol         = "http"
  frontend_port    = 80
  backend_port     = 8080
  bandwidth        = -1
}

resource "alicloud_slb_attachment" "web" {
  load_balancer_id = alicloud_slb_load_balancer.web.id
  instance_ids     = [alicloud_instance.web[1].id]
  weight           = 50
}
