# Look the cloud up before creating anything, then read back what was created.
#
# Seed concept: configurations written for the real cloud do not hard-code zones, images or
# instance types; they ask the region (alicloud_zones, alicloud_images, alicloud_instance_types,
# alicloud_slb_zones). Once the load balancer exists, the CLB data sources list it and its
# listeners, groups, rules, ACLs and certificates the same way the provider's do, each one read
# through the provider (so a served emulator and the official SDK see every call).
#
# The region comes from var.region; leave it unset and ALICLOUD_REGION decides.

variable "region" {
  type    = string
  default = null
}

provider "alicloud" {
  region = var.region
}

locals {
  prefix = "shop-lookups"
}

data "alicloud_regions" "current" {
  current = true
}

data "alicloud_zones" "vsw" {
  available_resource_creation = "VSwitch"
}

data "alicloud_slb_zones" "vpc" {
  available_slb_address_type = "vpc"
}

data "alicloud_images" "ubuntu" {
  name_regex  = "^ubuntu_22_04_x64"
  most_recent = true
  owners      = "system"
}

data "alicloud_instance_types" "small" {
  availability_zone = data.alicloud_zones.vsw.zones[0].id
  cpu_core_count    = 2
  memory_size       = 8
  eni_amount        = 2
}

resource "alicloud_vpc" "main" {
  vpc_name   = "${local.prefix}-vpc"
  cidr_block = "10.40.0.0/16"
}

resource "alicloud_vswitch" "main" {
  vpc_id       = alicloud_vpc.main.id
  cidr_block   = "10.40.1.0/24"
  zone_id      = data.alicloud_zones.vsw.zones[0].id
  vswitch_name = "${local.prefix}-vsw"
}

resource "alicloud_security_group" "web" {
  security_group_name = "${local.prefix}-sg"
  vpc_id              = alicloud_vpc.main.id
}

resource "alicloud_instance" "web" {
  count           = 2
  instance_name   = "${local.prefix}-web-${count.index}"
  image_id        = data.alicloud_images.ubuntu.images[0].id
  instance_type   = data.alicloud_instance_types.small.instance_types[0].id
  vswitch_id      = alicloud_vswitch.main.id
  security_groups = [alicloud_security_group.web.id]
}

resource "alicloud_ecs_network_interface" "extra" {
  network_interface_name = "${local.prefix}-eni"
  vswitch_id             = alicloud_vswitch.main.id
  security_group_ids     = [alicloud_security_group.web.id]
}

resource "alicloud_slb_load_balancer" "shop" {
  load_balancer_name = "${local.prefix}-lb"
  address_type       = "intranet"
  vswitch_id         = alicloud_vswitch.main.id
  load_balancer_spec = "slb.s2.small"
  master_zone_id     = data.alicloud_slb_zones.vpc.zones[0].master_zone_id
  slave_zone_id      = data.alicloud_slb_zones.vpc.zones[0].slave_zone_id
}

resource "alicloud_slb_backend_server" "default" {
  load_balancer_id = alicloud_slb_load_balancer.shop.id
  backend_servers {
    server_id = alicloud_instance.web[0].id
    weight    = 100
  }
}

resource "alicloud_slb_server_group" "web" {
  load_balancer_id = alicloud_slb_load_balancer.shop.id
  name             = "${local.prefix}-web"
  servers {
    server_ids = alicloud_instance.web[*].id
    port       = 8080
    weight     = 100
  }
}

resource "alicloud_slb_master_slave_server_group" "db" {
  load_balancer_id = alicloud_slb_load_balancer.shop.id
  name             = "${local.prefix}-db"
  servers {
    server_id   = alicloud_instance.web[0].id
    port        = 5432
    weight      = 100
    server_type = "Master"
  }
  servers {
    server_id   = alicloud_instance.web[1].id
    port        = 5432
    weight      = 100
    server_type = "Slave"
  }
}

resource "alicloud_slb_acl" "office" {
  name       = "${local.prefix}-office"
  ip_version = "ipv4"
  entry_list {
    entry   = "192.0.2.0/24"
    comment = "office"
  }
}

resource "alicloud_slb_server_certificate" "shop" {
  name               = "${local.prefix}-cert"
  server_certificate = file("${path.module}/cert.pem")
  private_key        = file("${path.module}/key.pem")
}

resource "alicloud_slb_ca_certificate" "clients" {
  ca_certificate_name = "${local.prefix}-ca"
  ca_certificate      = file("${path.module}/cert.pem")
}

resource "alicloud_slb_listener" "https" {
  load_balancer_id      = alicloud_slb_load_balancer.shop.id
  protocol              = "https"
  frontend_port         = 443
  server_group_id       = alicloud_slb_server_group.web.id
  bandwidth             = -1
  server_certificate_id = alicloud_slb_server_certificate.shop.id
  ca_certificate_id     = alicloud_slb_ca_certificate.clients.id
  sticky_session        = "off"
  health_check          = "off"
}

resource "alicloud_slb_domain_extension" "www" {
  load_balancer_id      = alicloud_slb_listener.https.load_balancer_id
  frontend_port         = alicloud_slb_listener.https.frontend_port
  domain                = "www.example.com"
  server_certificate_id = alicloud_slb_server_certificate.shop.id
}

resource "alicloud_slb_listener" "http" {
  load_balancer_id = alicloud_slb_load_balancer.shop.id
  protocol         = "http"
  frontend_port    = 80
  server_group_id  = alicloud_slb_server_group.web.id
  bandwidth        = -1
  acl_status       = "on"
  acl_type         = "white"
  acl_ids          = [alicloud_slb_acl.office.id]
  description      = "${local.prefix}-http"
}

resource "alicloud_slb_rule" "api" {
  load_balancer_id = alicloud_slb_load_balancer.shop.id
  frontend_port    = alicloud_slb_listener.http.frontend_port
  name             = "${local.prefix}-api"
  url              = "/api"
  server_group_id  = alicloud_slb_server_group.web.id
}

# --- read back what exists -------------------------------------------------------------------

data "alicloud_slb_load_balancers" "shop" {
  name_regex = "^${local.prefix}"
  ids        = [alicloud_slb_load_balancer.shop.id]
}

data "alicloud_slbs" "shop" {
  name_regex = "^${local.prefix}"
  ids        = [alicloud_slb_load_balancer.shop.id]
}

data "alicloud_slb_listeners" "http" {
  load_balancer_id = alicloud_slb_listener.http.load_balancer_id
  protocol         = "http"
}

data "alicloud_slb_server_groups" "web" {
  load_balancer_id = alicloud_slb_server_group.web.load_balancer_id
  name_regex       = "-web$"
}

data "alicloud_slb_master_slave_server_groups" "db" {
  load_balancer_id = alicloud_slb_master_slave_server_group.db.load_balancer_id
}

data "alicloud_slb_backend_servers" "default" {
  load_balancer_id = alicloud_slb_backend_server.default.load_balancer_id
}

data "alicloud_slb_rules" "api" {
  load_balancer_id = alicloud_slb_rule.api.load_balancer_id
  frontend_port    = alicloud_slb_rule.api.frontend_port
}

data "alicloud_slb_acls" "office" {
  ids = [alicloud_slb_acl.office.id]
}

data "alicloud_slb_server_certificates" "shop" {
  name_regex = alicloud_slb_server_certificate.shop.name
}

data "alicloud_slb_ca_certificates" "clients" {
  ids = [alicloud_slb_ca_certificate.clients.id]
}

data "alicloud_slb_domain_extensions" "www" {
  load_balancer_id = alicloud_slb_domain_extension.www.load_balancer_id
  frontend_port    = alicloud_slb_domain_extension.www.frontend_port
}

data "alicloud_vpcs" "main" {
  ids = [alicloud_vpc.main.id]
}

data "alicloud_vswitches" "main" {
  vpc_id = alicloud_vswitch.main.vpc_id
}

data "alicloud_security_groups" "web" {
  vpc_id = alicloud_security_group.web.vpc_id
}

data "alicloud_instances" "web" {
  ids = alicloud_instance.web[*].id
}

data "alicloud_network_interfaces" "extra" {
  ids = [alicloud_ecs_network_interface.extra.id]
}

output "region" {
  value = data.alicloud_regions.current.regions[0].id
}

output "zone" {
  value = alicloud_vswitch.main.zone_id
}

output "image_and_type" {
  value = "${data.alicloud_images.ubuntu.images[0].name} on ${data.alicloud_instance_types.small.ids[0]}"
}

output "found" {
  value = {
    load_balancers = data.alicloud_slb_load_balancers.shop.names
    slbs           = data.alicloud_slbs.shop.ids
    listeners      = data.alicloud_slb_listeners.http.slb_listeners[*].frontend_port
    server_groups  = data.alicloud_slb_server_groups.web.names
    master_slave   = data.alicloud_slb_master_slave_server_groups.db.names
    default_group  = length(data.alicloud_slb_backend_servers.default.backend_servers)
    rules          = data.alicloud_slb_rules.api.names
    acls           = data.alicloud_slb_acls.office.names
    certificates   = data.alicloud_slb_server_certificates.shop.names
    ca             = data.alicloud_slb_ca_certificates.clients.names
    domains        = data.alicloud_slb_domain_extensions.www.extensions[*].domain
    vpcs           = data.alicloud_vpcs.main.names
    vswitches      = data.alicloud_vswitches.main.names
    groups         = data.alicloud_security_groups.web.names
    instances      = data.alicloud_instances.web.names
    interfaces     = data.alicloud_network_interfaces.extra.ids
  }
}
