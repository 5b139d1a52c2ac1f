# Older resource names still found in configurations: alicloud_eip (numeric bandwidth,
# instance_charge_type) bound to an ECS backend with alicloud_eip_association, next to a load
# balancer created under the deprecated name alicloud_slb.
#
# Seed concept: a backend server that must reach the internet on its own (updates, callbacks) gets
# an EIP; the load balancer in front of it stays an intranet one.

provider "alicloud" {
  region = "cn-hangzhou"
}

variable "name" {
  default = "tf-legacy-eip"
}

data "alicloud_zones" "default" {
  available_resource_creation = "VSwitch"
}

resource "alicloud_vpc" "default" {
  vpc_name   = var.name
  cidr_block = "192.168.0.0/16"
}

resource "alicloud_vswitch" "default" {
  vpc_id       = alicloud_vpc.default.id
  cidr_block   = "192.168.1.0/24"
  zone_id      = data.alicloud_zones.default.zones[0].id
  vswitch_name = var.name
}

resource "alicloud_security_group" "default" {
  security_group_name = var.name
  vpc_id              = alicloud_vpc.default.id
}

resource "alicloud_instance" "backend" {
  image_id        = "ubuntu_22_04_x64_20G_alibase_20240508.vhd"
  instance_type   = "ecs.g6.large"
  instance_name   = "${var.name}-backend"
  security_groups = [alicloud_security_group.default.id]
  vswitch_id      = alicloud_vswitch.default.id
}

resource "alicloud_eip" "backend" {
  name                 = "${var.name}-backend"
  bandwidth            = 5
  internet_charge_type = "PayByBandwidth"
  instance_charge_type = "PostPaid"
}

resource "alicloud_eip_association" "backend" {
  allocation_id = alicloud_eip.backend.id
  instance_id   = alicloud_instance.backend.id
}

resource "alicloud_slb" "default" {
  name               = var.name
  vswitch_id         = alicloud_vswitch.default.id
  load_balancer_spec = "slb.s1.small"
}

resource "alicloud_slb_attachment" "default" {
  load_balancer_id = alicloud_slb.default.id
  instance_ids     = [alicloud_instance.backend.id]
}

output "backend_public_ip" {
  value = alicloud_eip.backend.ip_address
}
