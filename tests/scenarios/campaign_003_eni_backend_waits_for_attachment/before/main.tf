# campaign_003_eni_backend_waits_for_attachment (before): a load balancer and instances, no ENI yet.

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
resource "alicloud_slb_load_balancer" "lb0" {
  load_balancer_name = "cmp-lb0"
  address_type       = "intranet"
  load_balancer_spec = "slb.s1.small"
  delete_protection  = "off"
  vswitch_id         = alicloud_vswitch.main.id
}
