# The web instance moves to a new security group and the old group goes, with its rules: the new
# group and its rules are created first, then the instance joins the new group and leaves the old one
# (an instance keeps at least one group, and never sits in a group without its rules), then the old
# rules and the old group are deleted (the cloud refuses to delete a group an instance still uses:
# DependencyViolation).

resource "alicloud_vpc" "main" {
  vpc_name   = "scn-sg-move"
  cidr_block = "10.80.0.0/16"
}

resource "alicloud_vswitch" "main" {
  vpc_id     = alicloud_vpc.main.id
  cidr_block = "10.80.1.0/24"
  zone_id    = "cn-hangzhou-h"
}

resource "alicloud_security_group" "bastion" {
  security_group_name = "scn-bastion"
  vpc_id              = alicloud_vpc.main.id
}

resource "alicloud_security_group" "new" {
  security_group_name = "scn-new"
  vpc_id              = alicloud_vpc.main.id
}

resource "alicloud_security_group_rule" "new_http" {
  type              = "ingress"
  ip_protocol       = "tcp"
  port_range        = "80/80"
  security_group_id = alicloud_security_group.new.id
  cidr_ip           = "10.80.0.0/16"
}

resource "alicloud_security_group_rule" "new_ssh" {
  type                     = "ingress"
  ip_protocol              = "tcp"
  port_range               = "22/22"
  security_group_id        = alicloud_security_group.new.id
  source_security_group_id = alicloud_security_group.bastion.id
}

resource "alicloud_instance" "web" {
  image_id        = "ubuntu_22_04_x64_20G_alibase_20240508.vhd"
  instance_type   = "ecs.g6.large"
  vswitch_id      = alicloud_vswitch.main.id
  security_groups = [alicloud_security_group.new.id]
}
