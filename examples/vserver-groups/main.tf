# VServer groups: one group behind two listeners, and one server in two groups.
#
# Seed concepts:
# - A VServer group lists servers *with their own ports*. A listener that sets server_group_id
#   sends traffic to that group instead of the default server group.
# - One group may serve several listeners of the same load balancer, here an HTTP listener on
#   port 80 and a TCP listener on port 8443 both forward to the "web" group.
# - A server may belong to several groups at once: app-a is in "web" (port 8080) and in
#   "admin" (port 9090).

provider "alicloud" {
  region = "cn-hangzhou"
}

locals {
  prefix = "shop-vgroups"
  apps   = toset(["app-a", "app-b"])
}

data "alicloud_zones" "default" {
  available_resource_creation = "VSwitch"
}

data "alicloud_images" "ubuntu" {
  name_regex  = "^ubuntu_22_04"
  most_recent = true
}

resource "alicloud_vpc" "main" {
  vpc_name   = "${local.prefix}-vpc"
  cidr_block = "10.10.0.0/16"
}

resource "alicloud_vswitch" "main" {
  vpc_id       = alicloud_vpc.main.id
  cidr_block   = "10.10.1.0/24"
  zone_id      = data.alicloud_zones.default.ids[1]
  vswitch_name = "${local.prefix}-vsw"
}

resource "alicloud_security_group" "app" {
  security_group_name = "${local.prefix}-sg"
  vpc_id              = alicloud_vpc.main.id
}

resource "alicloud_instance" "app" {
  for_each        = local.apps
  instance_name   = "${local.prefix}-${each.key}"
  image_id        = data.alicloud_images.ubuntu.ids[0]
  instance_type   = "ecs.g6.large"
  vswitch_id      = alicloud_vswitch.main.id
  security_groups = [alicloud_security_group.app.id]
}

resource "alicloud_slb_load_balancer" "shop" {
  load_balancer_name = "${local.prefix}-lb"
  address_type       = "intranet"
  vswitch_id         = alicloud_vswitch.main.id
  load_balancer_spec = "slb.s2.small"
}

# The "web" group: both apps on port 8080, with different weights.
resource "alicloud_slb_server_group" "web" {
  load_balancer_id = alicloud_slb_load_balancer.shop.id
  name             = "${local.prefix}-web"

  servers {
    server_ids = [alicloud_instance.app["app-a"].id]
    port       = 8080
    weight     = 100
  }
  servers {
    server_ids = [alicloud_instance.app["app-b"].id]
    port       = 8080
    weight     = 60
  }
}

# The "admin" group: app-a again (a server in two groups), managed one server per resource.
resource "alicloud_slb_server_group" "admin" {
  load_balancer_id = alicloud_slb_load_balancer.shop.id
  name             = "${local.prefix}-admin"
}

resource "alicloud_slb_server_group_server_attachment" "admin_app_a" {
  server_group_id = alicloud_slb_server_group.admin.id
  server_id       = alicloud_instance.app["app-a"].id
  port            = 9090
  weight          = 100
  description     = "admin console on app-a"
}

# Two listeners, two frontend ports, one VServer group.
resource "alicloud_slb_listener" "web_http" {
  load_balancer_id = alicloud_slb_load_balancer.shop.id
  protocol         = "http"
  frontend_port    = 80
  server_group_id  = alicloud_slb_server_group.web.id
  bandwidth        = -1
  sticky_session   = "off"
  health_check_uri = "/status"
}

resource "alicloud_slb_listener" "web_tcp" {
  load_balancer_id = alicloud_slb_load_balancer.shop.id
  protocol         = "tcp"
  frontend_port    = 8443
  server_group_id  = alicloud_slb_server_group.web.id
  bandwidth        = 20
  scheduler        = "wlc"
}

resource "alicloud_slb_listener" "admin" {
  load_balancer_id    = alicloud_slb_load_balancer.shop.id
  protocol            = "tcp"
  frontend_port       = 9090
  server_group_id     = alicloud_slb_server_group.admin.id
  bandwidth           = 5
  established_timeout = 600
}

output "web_group_id" {
  value = alicloud_slb_server_group.web.id
}
