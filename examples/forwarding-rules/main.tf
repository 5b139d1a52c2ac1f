# Forwarding rules on an HTTP listener (domain- and URL-based).
#
# Seed concept: an HTTP or HTTPS listener can carry forwarding rules that match a domain
# and/or a URL path and send the request to a VServer group of the same load balancer.
# Requests that match no rule go to the listener's own backend (here the "www" group).
# TCP and UDP listeners cannot have rules; a listener holds at most 40 of them.

provider "alicloud" {
  region = "cn-hangzhou"
}

variable "services" {
  description = "Service name -> backend port. Each gets a VServer group and a URL rule."
  type        = map(number)
  default = {
    api    = 8081
    images = 8082
  }
}

locals {
  prefix = "portal-rules"
}

data "alicloud_zones" "default" {
  available_resource_creation = "VSwitch"
}

resource "alicloud_vpc" "main" {
  vpc_name   = "${local.prefix}-vpc"
  cidr_block = "172.20.0.0/16"
}

resource "alicloud_vswitch" "main" {
  vpc_id       = alicloud_vpc.main.id
  cidr_block   = "172.20.0.0/24"
  zone_id      = data.alicloud_zones.default.zones[0].id
  vswitch_name = "${local.prefix}-vsw"
}

resource "alicloud_security_group" "web" {
  security_group_name = "${local.prefix}-sg"
  vpc_id              = alicloud_vpc.main.id
}

resource "alicloud_instance" "web" {
  count           = 2
  instance_name   = "${local.prefix}-web-${count.index}"
  image_id        = "ubuntu_22_04_x64_20G_alibase_20240508.vhd"
  instance_type   = "ecs.c6.large"
  vswitch_id      = alicloud_vswitch.main.id
  security_groups = [alicloud_security_group.web.id]
}

resource "alicloud_slb_load_balancer" "portal" {
  load_balancer_name   = "${local.prefix}-lb"
  address_type         = "internet"
  internet_charge_type = "PayByTraffic"
  load_balancer_spec   = "slb.s2.small"
}

# Default target of the listener: the website on port 80.
resource "alicloud_slb_server_group" "www" {
  load_balancer_id = alicloud_slb_load_balancer.portal.id
  name             = "${local.prefix}-www"
  servers {
    server_ids = alicloud_instance.web[*].id
    port       = 80
    weight     = 100
  }
}

# One group per service, both web servers in each.
resource "alicloud_slb_server_group" "svc" {
  for_each         = var.services
  load_balancer_id = alicloud_slb_load_balancer.portal.id
  name             = "${local.prefix}-${each.key}"
  servers {
    server_ids = alicloud_instance.web[*].id
    port       = each.value
  }
}

resource "alicloud_slb_listener" "http" {
  load_balancer_id    = alicloud_slb_load_balancer.portal.id
  protocol            = "http"
  frontend_port       = 80
  server_group_id     = alicloud_slb_server_group.www.id
  bandwidth           = -1
  sticky_session      = "on"
  sticky_session_type = "insert"
  cookie_timeout      = 1800
  request_timeout     = 30
  x_forwarded_for {
    retrive_slb_ip    = true
    retrive_slb_proto = true
  }
}

# URL rules: /api -> api group, /images -> images group (on any domain).
resource "alicloud_slb_rule" "svc" {
  for_each         = var.services
  load_balancer_id = alicloud_slb_load_balancer.portal.id
  frontend_port    = alicloud_slb_listener.http.frontend_port
  name             = "${each.key}-path"
  url              = "/${each.key}"
  server_group_id  = alicloud_slb_server_group.svc[each.key].id
}

# Domain rule: everything for static.example.com goes to the images group, with its own
# health check (listener_sync off) because the image servers answer on /ping.
resource "alicloud_slb_rule" "static_domain" {
  load_balancer_id = alicloud_slb_load_balancer.portal.id
  frontend_port    = 80
  name             = "static-domain"
  domain           = "static.example.com"
  server_group_id  = alicloud_slb_server_group.svc["images"].id
  listener_sync    = "off"
  scheduler        = "rr"
  health_check_uri = "/ping"
}

output "rule_ids" {
  value = { for k, r in alicloud_slb_rule.svc : k => r.id }
}
