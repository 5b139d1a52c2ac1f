# Utility providers next to CLB: values with no cloud behind them, run locally with no API call.
#
# - tls_private_key + tls_self_signed_cert make the certificate an HTTPS listener serves; raising
#   var.cert_generation renews the certificate (clbplan apply -replace=tls_private_key.shop gives
#   it a new key too): the new certificate is uploaded, the listener re-pointed, then the old one
#   deleted.
# - random_pet / random_id / random_integer / random_string / random_password / random_shuffle /
#   random_uuid make names and values once and keep them (keepers regenerate them);
# - terraform_data and null_resource carry values and replace on their triggers;
# - time_static / time_offset / time_rotating / time_sleep deal with time;
# - local_file / local_sensitive_file write files, data "local_file" reads one, and
#   data "terraform_remote_state" reads outputs of another configuration's state (local backend).

provider "alicloud" {
  region = "cn-hangzhou"
}

variable "cert_generation" {
  description = "Bump to issue and roll out a new certificate."
  type        = number
  default     = 1
}

variable "release" {
  description = "Bump to roll the deployment marker."
  type        = string
  default     = "2026-01"
}

data "terraform_remote_state" "network" {
  backend = "local"
  config = {
    path = "${path.module}/network/state.json"
  }
}

data "local_file" "banner" {
  filename = "${path.module}/banner.txt"
}

data "local_sensitive_file" "banner" {
  filename = "${path.module}/banner.txt"
}

resource "random_pet" "name" {
  length  = 2
  keepers = { team = data.terraform_remote_state.network.outputs.team }
}

resource "random_id" "suffix" {
  byte_length = 4
}

resource "random_integer" "port" {
  min  = 8000
  max  = 8999
  seed = "shop-backend"
}

resource "random_string" "cookie" {
  length  = 16
  special = false
}

resource "random_password" "admin" {
  length      = 24
  min_special = 2
}

resource "random_shuffle" "zones" {
  input        = ["cn-hangzhou-h", "cn-hangzhou-i", "cn-hangzhou-j", "cn-hangzhou-k"]
  result_count = 2
}

resource "random_uuid" "request" {}

resource "terraform_data" "release" {
  input            = { release = var.release, owner = data.terraform_remote_state.network.outputs.team }
  triggers_replace = [var.release]
}

resource "null_resource" "deploy" {
  triggers = { release = var.release }
}

resource "time_static" "created" {}

resource "time_offset" "review" {
  offset_days = 90
}

resource "time_rotating" "keys" {
  rotation_days = 30
}

resource "tls_private_key" "shop" {
  algorithm = "RSA"
  rsa_bits  = 2048
}

resource "tls_self_signed_cert" "shop" {
  private_key_pem       = tls_private_key.shop.private_key_pem
  validity_period_hours = 8760
  early_renewal_hours   = 720
  allowed_uses          = ["key_encipherment", "digital_signature", "server_auth"]
  dns_names             = ["shop.example.com"]
  subject {
    common_name  = "shop.example.com"
    organization        = "Example Shop"
    organizational_unit = "generation ${var.cert_generation}"
  }
}

resource "tls_cert_request" "api" {
  private_key_pem = tls_private_key.shop.private_key_pem
  dns_names       = ["api.example.com"]
  subject {
    common_name = "api.example.com"
  }
}

resource "tls_locally_signed_cert" "api" {
  cert_request_pem      = tls_cert_request.api.cert_request_pem
  ca_private_key_pem    = tls_private_key.shop.private_key_pem
  ca_cert_pem           = tls_self_signed_cert.shop.cert_pem
  validity_period_hours = 720
  allowed_uses          = ["key_encipherment", "digital_signature", "server_auth"]
}

resource "local_file" "certificate" {
  filename        = "${path.module}/out/shop.crt"
  content         = tls_self_signed_cert.shop.cert_pem
  file_permission = "0644"
}

resource "local_sensitive_file" "key" {
  filename = "${path.module}/out/shop.key"
  content  = tls_private_key.shop.private_key_pem
}

resource "alicloud_slb_load_balancer" "shop" {
  load_balancer_name   = "shop-${random_pet.name.id}"
  address_type         = "internet"
  internet_charge_type = "PayByTraffic"
  load_balancer_spec   = "slb.s2.small"
}

resource "alicloud_slb_server_certificate" "shop" {
  name               = "shop-${random_id.suffix.hex}"
  server_certificate = tls_self_signed_cert.shop.cert_pem
  private_key        = tls_private_key.shop.private_key_pem
}

resource "time_sleep" "certificate_propagation" {
  create_duration = "1s"
  triggers        = { certificate = alicloud_slb_server_certificate.shop.id }
}

resource "alicloud_slb_listener" "https" {
  load_balancer_id          = alicloud_slb_load_balancer.shop.id
  protocol                  = "https"
  frontend_port             = 443
  backend_port              = random_integer.port.result
  bandwidth                 = 50
  server_certificate_id     = time_sleep.certificate_propagation.triggers["certificate"]
  sticky_session            = "on"
  sticky_session_type       = "insert"
  cookie_timeout            = 86400
  health_check_uri          = "/healthz"
  description               = "release ${terraform_data.release.output.release}"
}

output "listener_description" {
  value = alicloud_slb_listener.https.description
}

output "office_cidr" {
  value = data.terraform_remote_state.network.outputs.office_cidr
}

output "banner_lines" {
  value = length(split("\n", trimspace(data.local_file.banner.content)))
}

output "admin_password" {
  value     = random_password.admin.result
  sensitive = true
}
