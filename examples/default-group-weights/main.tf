# Default server group with weights.
#
# Seed concept: every CLB instance has a *default server group*. A listener that names no
# VServer group (it sets only backend_port) sends traffic to the servers in that group, in
# proportion to their weights. A weight of 0 keeps the server attached but stops new
# requests to it: the usual way to drain a server before maintenance.

provider "alicloud" {
  region = "cn-hangzhou"
}

variable "web_count" {
  description = "How many web servers sit behind the load balancer."
  type        = number
  default     = 3
}

variable "drained" {
  description = "Indexes of web servers to drain (weight 0: no new requests)."
  type        = list(number)
  default     = [2]
}

locals {
  name_prefix = "shop-default-group"
  # index -> weight; drained servers get 0, the others share traffic 100:50
  weights = { for i in range(var.web_count) : i => contains(var.drained, i) ? 0 : (i == 0 ? 100 : 50) }
}

data "alicloud_zones" "default" {
  available_resource_creation = "VSwitch"
}

data "alicloud_instance_types" "web" {
  availability_zone = data.alicloud_zones.default.zones[0].id
  cpu_core_count    = 2
  memory_size       = 8
}

data "alicloud_images" "ubuntu" {
  name_regex  = "^ubuntu_22_04_x64"
  most_recent = true
  owners      = "system"
}

resource "alicloud_vpc" "main" {
  vpc_name   = "${local.name_prefix}-vpc"
  cidr_block = "172.16.0.0/16"
}

resource "alicloud_vswitch" "main" {
  vpc_id       = alicloud_vpc.main.id
  cidr_block   = "172.16.1.0/24"
  zone_id      = data.alicloud_zones.default.zones[0].id
  vswitch_name = "${local.name_prefix}-vsw"
}

resource "alicloud_security_group" "web" {
  security_group_name = "${local.name_prefix}-sg"
  vpc_id              = alicloud_vpc.main.id
}

resource "alicloud_instance" "web" {
  count           = var.web_count
  instance_name   = "${local.name_prefix}-web-${count.index}"
  image_id        = data.alicloud_images.ubuntu.images[0].id
  instance_type   = data.alicloud_instance_types.web.instance_types[0].id
  vswitch_id      = alicloud_vswitch.main.id
  security_groups = [alicloud_security_group.web.id]
}

resource "alicloud_slb_load_balancer" "shop" {
  load_balancer_name = "${local.name_prefix}-lb"
  address_type       = "intranet"
  vswitch_id         = alicloud_vswitch.main.id
  load_balancer_spec = "slb.s1.small"
}

# One resource owns every server of the default group (a second one would fight it).
resource "alicloud_slb_backend_server" "web" {
  load_balancer_id = alicloud_slb_load_balancer.shop.id

  dynamic "backend_servers" {
    for_each = local.weights
    content {
      server_id = alicloud_instance.web[backend_servers.key].id
      weight    = backend_servers.value
    }
  }
}

# Both listeners use the default group: they set backend_port and no server_group_id.
resource "alicloud_slb_listener" "http" {
  load_balancer_id = alicloud_slb_load_balancer.shop.id
  protocol         = "http"
  frontend_port    = 80
  backend_port     = 8080
  bandwidth        = -1
  health_check_uri = "/healthz"
}

resource "alicloud_slb_listener" "ssh_bastion" {
  load_balancer_id = alicloud_slb_load_balancer.shop.id
  protocol         = "tcp"
  frontend_port    = 2222
  backend_port     = 22
  bandwidth        = 10
}

output "load_balancer_id" {
  value = alicloud_slb_load_balancer.shop.id
}

output "weights" {
  description = "Weight per web server index (0 = drained)."
  value       = local.weights
}
