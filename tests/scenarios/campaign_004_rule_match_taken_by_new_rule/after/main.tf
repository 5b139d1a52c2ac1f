# campaign_004_rule_match_taken_by_new_rule (after): r0 now matches /api (a replace) and a new rule r1 takes /img. Found by the
# convergence campaign: nothing ordered r1's create after r0's delete (the match is unique per
# listener: DomainExist), only the listing order did, so a parallel apply could race.

provider "alicloud" {
  region = "cn-hangzhou"
}

resource "alicloud_vpc" "main" {
  vpc_name   = "cmp-vpc"
  cidr_block = "172.16.0.0/12"
}

resource "alicloud_vswitch" "main" {
  vpc_id       = alicloud_vpc.main.id
  cidr_block   = "172.16.0.0/24"
  zone_id      = "cn-hangzhou-h"
  vswitch_name = "cmp-vsw"
}

resource "alicloud_security_group" "main" {
  security_group_name = "cmp-sg"
  vpc_id              = alicloud_vpc.main.id
}

resource "alicloud_instance" "s0" {
  instance_name   = "cmp-s0"
  image_id        = "ubuntu_22_04_x64_20G_alibase_20240508.vhd"
  instance_type   = "ecs.g6.large"
  vswitch_id      = alicloud_vswitch.main.id
  security_groups = [alicloud_security_group.main.id]
}

resource "alicloud_instance" "s1" {
  instance_name   = "cmp-s1"
  image_id        = "ubuntu_22_04_x64_20G_alibase_20240508.vhd"
  instance_type   = "ecs.g6.large"
  vswitch_id      = alicloud_vswitch.main.id
  security_groups = [alicloud_security_group.main.id]
}

resource "alicloud_instance" "s2" {
  instance_name   = "cmp-s2"
  image_id        = "ubuntu_22_04_x64_20G_alibase_20240508.vhd"
  instance_type   = "ecs.g6.large"
  vswitch_id      = alicloud_vswitch.main.id
  security_groups = [alicloud_security_group.main.id]
}

resource "alicloud_instance" "s3" {
  instance_name   = "cmp-s3"
  image_id        = "ubuntu_22_04_x64_20G_alibase_20240508.vhd"
  instance_type   = "ecs.g6.large"
  vswitch_id      = alicloud_vswitch.main.id
  security_groups = [alicloud_security_group.main.id]
}

resource "alicloud_ecs_network_interface" "e0" {
  network_interface_name = "cmp-e0"
  vswitch_id             = alicloud_vswitch.main.id
  security_group_ids     = [alicloud_security_group.main.id]
  primary_ip_address     = "172.16.0.200"
}

resource "alicloud_ecs_network_interface_attachment" "e0" {
  instance_id          = alicloud_instance.s0.id
  network_interface_id = alicloud_ecs_network_interface.e0.id
}

resource "alicloud_ecs_network_interface" "e1" {
  network_interface_name = "cmp-e1"
  vswitch_id             = alicloud_vswitch.main.id
  security_group_ids     = [alicloud_security_group.main.id]
  primary_ip_address     = "172.16.0.201"
}

resource "alicloud_ecs_network_interface_attachment" "e1" {
  instance_id          = alicloud_instance.s1.id
  network_interface_id = alicloud_ecs_network_interface.e1.id
}

resource "alicloud_slb_load_balancer" "lb0" {
  load_balancer_name = "cmp-lb0"
  address_type       = "internet"
  load_balancer_spec = "slb.s1.small"
  delete_protection  = "off"
}

resource "alicloud_slb_server_group" "lb0_g0" {
  load_balancer_id = alicloud_slb_load_balancer.lb0.id
  name             = "g0"
  servers {
    server_ids = [alicloud_instance.s1.id]
    port       = 80
    weight     = 100
    type       = "ecs"
  }
}

resource "alicloud_slb_listener" "lb0_l0" {
  load_balancer_id = alicloud_slb_load_balancer.lb0.id
  protocol         = "http"
  frontend_port    = 8080
  bandwidth        = -1
  server_group_id  = alicloud_slb_server_group.lb0_g0.id
}

resource "alicloud_slb_rule" "lb0_r0" {
  load_balancer_id = alicloud_slb_load_balancer.lb0.id
  frontend_port    = alicloud_slb_listener.lb0_l0.frontend_port
  name             = "r0-p"
  server_group_id  = alicloud_slb_server_group.lb0_g0.id
  url              = "/api"
}

resource "alicloud_slb_rule" "lb0_r1" {
  load_balancer_id = alicloud_slb_load_balancer.lb0.id
  frontend_port    = alicloud_slb_listener.lb0_l0.frontend_port
  name             = "r1-p"
  server_group_id  = alicloud_slb_server_group.lb0_g0.id
  url              = "/img"
}
