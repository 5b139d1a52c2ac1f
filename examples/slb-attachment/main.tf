# Instances in the default server group with the deprecated alicloud_slb_attachment.
#
# Seed concept: a listener with only backend_port sends traffic to the load balancer's default
# server group. Older configurations fill that group with alicloud_slb_attachment (deprecated since
# provider 1.153.0, still shipped): one weight and one server type for every instance listed.
# It owns the whole default group, so it cannot be combined with alicloud_slb_backend_server on the
# same load balancer. New configurations should use alicloud_slb_backend_server.

provider "alicloud" {
  region = "cn-hangzhou"
}

variable "name" {
  default = "tf-slb-attachment"
}

data "alicloud_zones" "default" {
  available_disk_category     = "cloud_efficiency"
  available_resource_creation = "VSwitch"
}

data "alicloud_instance_types" "default" {
  availability_zone = data.alicloud_zones.default.zones[0].id
  cpu_core_count    = 2
  memory_size       = 8
}

data "alicloud_images" "default" {
  name_regex  = "^ubuntu_[0-9]+_[0-9]+_x64*"
  most_recent = true
  owners      = "system"
}

resource "alicloud_vpc" "default" {
  vpc_name   = var.name
  cidr_block = "172.16.0.0/16"
}

resource "alicloud_vswitch" "default" {
  vpc_id       = alicloud_vpc.default.id
  cidr_block   = "172.16.0.0/16"
  zone_id      = data.alicloud_zones.default.zones[0].id
  vswitch_name = var.name
}

resource "alicloud_security_group" "default" {
  security_group_name = var.name
  vpc_id              = alicloud_vpc.default.id
}

resource "alicloud_instance" "default" {
  count                      = 2
  image_id                   = data.alicloud_images.default.images[0].id
  instance_type              = data.alicloud_instance_types.default.instance_types[0].id
  instance_name              = "${var.name}-${count.index}"
  security_groups            = alicloud_security_group.default.*.id
  internet_charge_type       = "PayByTraffic"
  internet_max_bandwidth_out = "10"
  availability_zone          = data.alicloud_zones.default.zones[0].id
  instance_charge_type       = "PostPaid"
  system_disk_category       = "cloud_efficiency"
  vswitch_id                 = alicloud_vswitch.default.id
}

resource "alicloud_slb_load_balancer" "default" {
  load_balancer_name = var.name
  vswitch_id         = alicloud_vswitch.default.id
  load_balancer_spec = "slb.s1.small"
}

resource "alicloud_slb_attachment" "default" {
  load_balancer_id = alicloud_slb_load_balancer.default.id
  instance_ids     = alicloud_instance.default[*].id
  weight           = 90
}

resource "alicloud_slb_listener" "http" {
  load_balancer_id          = alicloud_slb_load_balancer.default.id
  backend_port              = 8080
  frontend_port             = 80
  protocol                  = "http"
  bandwidth                 = -1
  health_check_connect_port = 8080
}

output "default_group" {
  value = alicloud_slb_attachment.default.backend_servers
}
