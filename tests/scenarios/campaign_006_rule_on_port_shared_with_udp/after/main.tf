# campaign_006_rule_on_port_shared_with_udp (after): A UDP listener holds port 80; an HTTP listener is added on the same port with a forwarding rule. CreateRules without ListenerProtocol is ambiguous there (TooManyListeners), so the rule is created on the HTTP listener by naming its protocol. Found by the convergence campaign, seed 367.

provider "alicloud" {
  region = "cn-hangzhou"
}

resource "alicloud_vpc" "main" {
  vpc_name   = "scn-vpc"
  cidr_block = "172.16.0.0/12"
}

resource "alicloud_vswitch" "main" {
  vpc_id       = alicloud_vpc.main.id
  cidr_block   = "172.16.0.0/24"
  zone_id      = "cn-hangzhou-h"
  vswitch_name = "scn-vsw"
}

resource "alicloud_security_group" "main" {
  security_group_name = "scn-sg"
  vpc_id              = alicloud_vpc.main.id
}

resource "alicloud_instance" "web" {
  count           = 3
  instance_name   = "scn-web-${count.index}"
  image_id        = "ubuntu_22_04_x64_20G_alibase_20240508.vhd"
  instance_type   = "ecs.g6.large"
  vswitch_id      = alicloud_vswitch.main.id
  security_groups = [alicloud_security_group.main.id]
}

resource "alicloud_slb_load_balancer" "web" {
  load_balancer_name = "scn-lb"
  address_type       = "intranet"
  vswitch_id         = alicloud_vswitch.main.id
  load_balancer_spec = "slb.s2.small"
  delete_protection  = "off"
}

resource "alicloud_slb_server_group" "app" {
  load_balancer_id = alicloud_slb_load_balancer.web.id
  name             = "app"

  servers {
    server_ids = [alicloud_instance.web[0].id]
    port       = 80
    weight     = 100
  }

  servers {
    server_ids = [alicloud_instance.web[1].id]
    port       = 80
    weight     = 100
  }
}

resource "alicloud_slb_server_group" "api" {
  load_balancer_id = alicloud_slb_load_balancer.web.id
  name             = "api"

  servers {
    server_ids = [alicloud_instance.web[2].id]
    port       = 8080
    weight     = 100
  }
}

resource "alicloud_slb_listener" "dns" {
  load_balancer_id = alicloud_slb_load_balancer.web.id
  protocol         = "udp"
  frontend_port    = 80
  server_group_id  = alicloud_slb_server_group.app.id
  bandwidth        = -1
}

resource "alicloud_slb_listener" "http" {
  load_balancer_id = alicloud_slb_load_balancer.web.id
  protocol         = "http"
  frontend_port    = 80
  server_group_id  = alicloud_slb_server_group.app.id
  bandwidth        = -1
}

resource "alicloud_slb_rule" "api" {
  load_balancer_id = alicloud_slb_load_balancer.web.id
  frontend_port    = 80
  name             = "api"
  url              = "/api"
  server_group_id  = alicloud_slb_server_group.api.id
}
