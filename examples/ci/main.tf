# CI example: one load balancer with a VServer group behind an HTTP listener, talking to a served
# emulator (`clbplan emulator serve`) over HTTP with signed requests, exactly as it would talk to
# the real API. Point the endpoints at Alibaba Cloud's (or drop them and set CLBPLAN_REAL_CLOUD=1)
# to run the same workflows against a real account.

variable "emulator_endpoint" {
  type    = string
  default = "127.0.0.1:8089"
}

provider "alicloud" {
  region = "cn-hangzhou"

  endpoints {
    slb = var.emulator_endpoint
    vpc = var.emulator_endpoint
    ecs = var.emulator_endpoint
  }
}

resource "alicloud_vpc" "main" {
  vpc_name   = "ci-vpc"
  cidr_block = "172.16.0.0/12"
}

resource "alicloud_vswitch" "main" {
  vpc_id       = alicloud_vpc.main.id
  cidr_block   = "172.16.0.0/24"
  zone_id      = "cn-hangzhou-h"
  vswitch_name = "ci-vsw"
}

resource "alicloud_security_group" "main" {
  security_group_name = "ci-sg"
  vpc_id              = alicloud_vpc.main.id
}

resource "alicloud_instance" "web" {
  count           = 2
  instance_name   = "ci-web-${count.index}"
  image_id        = "ubuntu_22_04_x64_20G_alibase_20240508.vhd"
  instance_type   = "ecs.g6.large"
  vswitch_id      = alicloud_vswitch.main.id
  security_groups = [alicloud_security_group.main.id]
}

resource "alicloud_slb_load_balancer" "web" {
  load_balancer_name = "ci-lb"
  address_type       = "intranet"
  vswitch_id         = alicloud_vswitch.main.id
  load_balancer_spec = "slb.s2.small"
}

resource "alicloud_slb_server_group" "app" {
  load_balancer_id = alicloud_slb_load_balancer.web.id
  name             = "app"

  dynamic "servers" {
    for_each = alicloud_instance.web
    content {
      server_ids = [servers.value.id]
      port       = 8080
      weight     = 100
    }
  }
}

resource "alicloud_slb_listener" "http" {
  load_balancer_id = alicloud_slb_load_balancer.web.id
  protocol         = "http"
  frontend_port    = 80
  server_group_id  = alicloud_slb_server_group.app.id
  bandwidth        = -1
}
