# The HTTPS listener is replaced (backend_port is ForceNew): its domain extensions go with it in the
# cloud, so the kept domain extension is re-created after the new listener, and deleted before the
# old listener goes. It names no listener: only the load balancer and the frontend port tie them.

resource "alicloud_slb_load_balancer" "web" {
  load_balancer_name   = "scn-sni-replace"
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

resource "alicloud_slb_server_certificate" "api" {
  name               = "scn-api"
  server_certificate = <<-PEM
    -----BEGIN CERTIFICATE-----
    c2NuLXNlcnZlci1jZXJ0LQYXBpMQ==
    -----END CERTIFICATE-----
  PEM
  private_key        = <<-PEM
    -----BEGIN PRIVATE KEY-----
    c2NuLXNlcnZlci1rZXktLQYXBpMQ==
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

resource "alicloud_slb_domain_extension" "api" {
  load_balancer_id      = alicloud_slb_load_balancer.web.id
  frontend_port         = 443
  domain                = "api.example.com"
  server_certificate_id = alicloud_slb_server_certificate.api.id
}
