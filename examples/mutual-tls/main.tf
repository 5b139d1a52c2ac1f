# Mutual TLS and a custom TLS policy on an HTTPS listener.
#
# Seed concept: an HTTPS listener can verify client certificates against an uploaded CA certificate
# (alicloud_slb_ca_certificate, listener ca_certificate_id) and, on a performance-guaranteed load
# balancer, limit TLS versions and ciphers with a custom policy (alicloud_slb_tls_cipher_policy,
# listener tls_cipher_policy = its id). The cloud refuses to delete a CA certificate or a policy a
# listener uses, so replacing either creates the new one first, re-points the listener, then deletes
# the old one.
#
# The CA and the server certificate are made locally by the tls provider.

provider "alicloud" {
  region = "cn-hangzhou"
}

variable "name" {
  default = "tf-mutual-tls"
}

data "alicloud_zones" "default" {
  available_resource_creation = "VSwitch"
}

resource "alicloud_vpc" "default" {
  vpc_name   = var.name
  cidr_block = "10.8.0.0/16"
}

resource "alicloud_vswitch" "default" {
  vpc_id       = alicloud_vpc.default.id
  cidr_block   = "10.8.1.0/24"
  zone_id      = data.alicloud_zones.default.zones[0].id
  vswitch_name = var.name
}

resource "alicloud_slb_load_balancer" "default" {
  load_balancer_name = var.name
  address_type       = "intranet"
  vswitch_id         = alicloud_vswitch.default.id
  load_balancer_spec = "slb.s2.small"
}

# the CA that signs client certificates
resource "tls_private_key" "client_ca" {
  algorithm = "RSA"
  rsa_bits  = 2048
}

resource "tls_self_signed_cert" "client_ca" {
  private_key_pem       = tls_private_key.client_ca.private_key_pem
  is_ca_certificate     = true
  validity_period_hours = 87600
  allowed_uses          = ["cert_signing", "crl_signing"]
  subject {
    common_name  = "Example Clients CA"
    organization = "Example"
  }
}

resource "alicloud_slb_ca_certificate" "clients" {
  ca_certificate_name = "${var.name}-clients"
  ca_certificate      = tls_self_signed_cert.client_ca.cert_pem
}

# the certificate the listener serves
resource "tls_private_key" "server" {
  algorithm = "ECDSA"
}

resource "tls_self_signed_cert" "server" {
  private_key_pem       = tls_private_key.server.private_key_pem
  validity_period_hours = 8760
  allowed_uses          = ["key_encipherment", "digital_signature", "server_auth"]
  dns_names             = ["mtls.example.com"]
  subject {
    common_name = "mtls.example.com"
  }
}

resource "alicloud_slb_server_certificate" "server" {
  name               = "${var.name}-server"
  server_certificate = tls_self_signed_cert.server.cert_pem
  private_key        = tls_private_key.server.private_key_pem
}

resource "alicloud_slb_tls_cipher_policy" "modern" {
  tls_cipher_policy_name = "${var.name}-modern"
  tls_versions           = ["TLSv1.2", "TLSv1.3"]
  ciphers                = ["ECDHE-RSA-AES128-GCM-SHA256", "ECDHE-ECDSA-AES128-GCM-SHA256", "TLS_AES_128_GCM_SHA256"]
}

resource "alicloud_slb_listener" "https" {
  load_balancer_id      = alicloud_slb_load_balancer.default.id
  protocol              = "https"
  frontend_port         = 443
  backend_port          = 8443
  bandwidth             = -1
  server_certificate_id = alicloud_slb_server_certificate.server.id
  ca_certificate_id     = alicloud_slb_ca_certificate.clients.id
  tls_cipher_policy     = alicloud_slb_tls_cipher_policy.modern.id
  health_check          = "off"
  sticky_session        = "off"
}

output "tls_policy_status" {
  value = alicloud_slb_tls_cipher_policy.modern.status
}
