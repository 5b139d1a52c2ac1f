# The certificate of an HTTPS listener comes from the tls provider. Renewing it (here: a new subject,
# so a new certificate from the same key) uploads the new one, re-points the listener, then deletes
# the old one; the tls certificate behind it is created first too, because the old upload uses it
# until it is deleted.

variable "generation" {
  type    = number
  default = 2
}

resource "tls_private_key" "shop" {
  algorithm   = "ECDSA"
  ecdsa_curve = "P256"
}

resource "tls_self_signed_cert" "shop" {
  private_key_pem       = tls_private_key.shop.private_key_pem
  validity_period_hours = 8760
  allowed_uses          = ["key_encipherment", "digital_signature", "server_auth"]
  dns_names             = ["shop.example.com"]
  subject {
    common_name         = "shop.example.com"
    organizational_unit = "generation ${var.generation}"
  }
}

resource "alicloud_slb_load_balancer" "shop" {
  load_balancer_name   = "scn-tls-renew"
  address_type         = "internet"
  internet_charge_type = "PayByTraffic"
  load_balancer_spec   = "slb.s2.small"
}

resource "alicloud_slb_server_certificate" "shop" {
  name               = "scn-tls-shop"
  server_certificate = tls_self_signed_cert.shop.cert_pem
  private_key        = tls_private_key.shop.private_key_pem
}

resource "alicloud_slb_listener" "https" {
  load_balancer_id      = alicloud_slb_load_balancer.shop.id
  protocol              = "https"
  frontend_port         = 443
  backend_port          = 8080
  bandwidth             = 50
  server_certificate_id = alicloud_slb_server_certificate.shop.id
  health_check_uri      = "/healthz"
}
