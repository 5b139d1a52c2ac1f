# HTTPS listener with an uploaded certificate, plus HTTP -> HTTPS redirect.
#
# Seed concept: an HTTPS listener terminates TLS on the load balancer, so it needs a server
# certificate (uploaded with alicloud_slb_server_certificate). The HTTP listener on port 80
# does not serve content: listener_forward = "on" redirects every request to the HTTPS port.
#
# cert.pem / key.pem next to this file are a small self-signed pair made for this example
# (CN=shop.example.com). Never commit a real private key.

provider "alicloud" {
  region = "cn-hangzhou"
}

locals {
  prefix = "shop-tls"
}

data "alicloud_zones" "default" {
  available_resource_creation = "VSwitch"
}

data "alicloud_instance_types" "web" {
  cpu_core_count = 2
  memory_size    = 4
}

resource "alicloud_vpc" "main" {
  vpc_name   = "${local.prefix}-vpc"
  cidr_block = "10.20.0.0/16"
}

resource "alicloud_vswitch" "main" {
  vpc_id       = alicloud_vpc.main.id
  cidr_block   = "10.20.5.0/24"
  zone_id      = data.alicloud_zones.default.zones[3].id
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
  instance_type   = data.alicloud_instance_types.web.instance_types[0].id
  vswitch_id      = alicloud_vswitch.main.id
  security_groups = [alicloud_security_group.web.id]
}

resource "alicloud_slb_load_balancer" "shop" {
  load_balancer_name   = "${local.prefix}-lb"
  address_type         = "internet"
  internet_charge_type = "PayByBandwidth"
  bandwidth            = 100
  load_balancer_spec   = "slb.s2.small"
}

resource "alicloud_slb_server_certificate" "shop" {
  name               = "shop-example-com"
  server_certificate = file("${path.module}/cert.pem")
  private_key        = file("${path.module}/key.pem")
}

resource "alicloud_slb_server_group" "web" {
  load_balancer_id = alicloud_slb_load_balancer.shop.id
  name             = "${local.prefix}-web"
  servers {
    server_ids = alicloud_instance.web[*].id
    port       = 8080
  }
}

resource "alicloud_slb_listener" "https" {
  load_balancer_id      = alicloud_slb_load_balancer.shop.id
  protocol              = "https"
  frontend_port         = 443
  server_group_id       = alicloud_slb_server_group.web.id
  server_certificate_id = alicloud_slb_server_certificate.shop.id
  bandwidth             = 80
  tls_cipher_policy     = "tls_cipher_policy_1_2"
  enable_http2          = "on"
  sticky_session        = "on"
  sticky_session_type   = "server"
  cookie                = "SHOPSESSION"
  health_check_uri      = "/healthz"
  health_check_http_code = "http_2xx,http_3xx"
}

# A redirecting listener serves nothing itself: the cloud records backend port 80 and no
# health check for it, so both are written out to match what the cloud reports.
resource "alicloud_slb_listener" "http_redirect" {
  load_balancer_id = alicloud_slb_load_balancer.shop.id
  protocol         = "http"
  frontend_port    = 80
  backend_port     = 80
  bandwidth        = 20
  health_check     = "off"
  listener_forward = "on"
  forward_port     = alicloud_slb_listener.https.frontend_port
}

output "certificate_id" {
  value = alicloud_slb_server_certificate.shop.id
}
