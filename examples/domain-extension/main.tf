# Several domains on one HTTPS listener (SNI) with alicloud_slb_domain_extension.
#
# Seed concept: an HTTPS listener of a performance-guaranteed load balancer serves its default
# certificate, and one more certificate per extra domain. Each domain extension names the listener by
# load balancer and frontend port, so clbplan creates it after the listener and deletes it before the
# listener (no reference needed). A certificate a domain extension still uses cannot be deleted
# (CertificateRelatedDomainExtensionExist): renewing one uploads the new certificate, re-points the
# domain, then deletes the old one.
#
# The certificates are made locally by the tls provider, so no key is committed.

provider "alicloud" {
  region = "cn-hangzhou"
}

variable "slb_domain_extension_name" {
  default = "forDomainExtension"
}

variable "domains" {
  description = "Extra domains served by the HTTPS listener, each with its own certificate."
  type        = set(string)
  default     = ["api.example.com", "*.static.example.com"]
}

data "alicloud_zones" "domain_extension" {
  available_resource_creation = "VSwitch"
}

resource "alicloud_vpc" "domain_extension" {
  vpc_name   = var.slb_domain_extension_name
  cidr_block = "172.16.0.0/12"
}

resource "alicloud_vswitch" "domain_extension" {
  vpc_id       = alicloud_vpc.domain_extension.id
  cidr_block   = "172.16.0.0/21"
  zone_id      = data.alicloud_zones.domain_extension.zones[0].id
  vswitch_name = var.slb_domain_extension_name
}

resource "alicloud_slb_load_balancer" "instance" {
  load_balancer_name = var.slb_domain_extension_name
  address_type       = "intranet"
  load_balancer_spec = "slb.s2.small"
  vswitch_id         = alicloud_vswitch.domain_extension.id
}

locals {
  all_domains = setunion(["www.example.com"], var.domains)
}

resource "tls_private_key" "site" {
  for_each  = local.all_domains
  algorithm = "ECDSA"
}

resource "tls_self_signed_cert" "site" {
  for_each              = local.all_domains
  private_key_pem       = tls_private_key.site[each.key].private_key_pem
  validity_period_hours = 8760
  allowed_uses          = ["key_encipherment", "digital_signature", "server_auth"]
  dns_names             = [each.key]
  subject {
    common_name = each.key
  }
}

resource "alicloud_slb_server_certificate" "site" {
  for_each           = local.all_domains
  name               = replace(replace(each.key, "*", "wildcard"), ".", "-")
  server_certificate = tls_self_signed_cert.site[each.key].cert_pem
  private_key        = tls_private_key.site[each.key].private_key_pem
}

resource "alicloud_slb_listener" "https" {
  load_balancer_id          = alicloud_slb_load_balancer.instance.id
  backend_port              = 80
  frontend_port             = 443
  protocol                  = "https"
  sticky_session            = "on"
  sticky_session_type       = "insert"
  cookie_timeout            = 86400
  health_check              = "on"
  health_check_uri          = "/cons"
  health_check_connect_port = 20
  healthy_threshold         = 8
  unhealthy_threshold       = 8
  health_check_timeout      = 8
  health_check_interval     = 5
  health_check_http_code    = "http_2xx,http_3xx"
  bandwidth                 = 10
  request_timeout           = 80
  idle_timeout              = 30
  server_certificate_id     = alicloud_slb_server_certificate.site["www.example.com"].id
}

resource "alicloud_slb_domain_extension" "example" {
  for_each              = var.domains
  load_balancer_id      = alicloud_slb_load_balancer.instance.id
  frontend_port         = alicloud_slb_listener.https.frontend_port
  domain                = each.key
  server_certificate_id = alicloud_slb_server_certificate.site[each.key].id
}

output "domain_extension_ids" {
  value = { for d, x in alicloud_slb_domain_extension.example : d => x.id }
}
