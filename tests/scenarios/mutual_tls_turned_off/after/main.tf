# Mutual TLS is turned off and its CA certificate removed: the listener lets go of the CA
# certificate first (an empty CACertificateId), then the certificate is deleted (the cloud refuses to
# delete one a listener still uses: CertificateAndPrivateKeyIsRefered).

resource "alicloud_slb_load_balancer" "web" {
  load_balancer_name   = "scn-mtls"
  address_type         = "internet"
  internet_charge_type = "PayByTraffic"
  load_balancer_spec   = "slb.s2.small"
}

resource "alicloud_slb_server_certificate" "site" {
  name               = "scn-site"
  server_certificate = <<-PEM
    -----BEGIN CERTIFICATE-----
    c2NuLXNlcnZlci1jZXJ0LQMQ==
    -----END CERTIFICATE-----
  PEM
  private_key        = <<-PEM
    -----BEGIN PRIVATE KEY-----
    c2NuLXNlcnZlci1rZXktLQMQ==
    -----END PRIVATE KEY-----
  PEM
}

resource "alicloud_slb_listener" "https" {
  load_balancer_id      = alicloud_slb_load_balancer.web.id
  protocol              = "https"
  frontend_port         = 443
  backend_port          = 8443
  bandwidth             = -1
  health_check          = "off"
  server_certificate_id = alicloud_slb_server_certificate.site.id
}
