# create_full_stack (before): Everything created from nothing: LB -> groups -> listener -> rules, by references and the rule->listener edge.

provider "alicloud" {
  region = "cn-hangzhou"
}

resource "alicloud_vpc" "main" {
  vpc_name   = "scn-vpc"
  cidr_block = "172.16.0.0/12"
}

resource "alicloud_vswitch" "main" {
  vpc_id       = alicloud_vpc.main.id
  cidr_block   = "172.16.0.0/24"
  zone_id      = "cn-hangzhou-h"
  vswitch_name = "scn-vsw"
}

resource "alicloud_security_group" "main" {
  security_group_name = "scn-sg"
  vpc_id              = alicloud_vpc.main.id
}

resource "alicloud_instance" "web" {
  count           = 3
  instance_name   = "scn-web-${count.index}"
  image_id        = "ubuntu_22_04_x64_20G_alibase_20240508.vhd"
  instance_type   = "ecs.g6.large"
  vswitch_id      = alicloud_vswitch.main.id
  security_groups = [alicloud_security_group.main.id]
}
