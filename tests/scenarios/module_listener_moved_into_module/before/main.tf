# module_listener_moved_into_module (before): a listener declared in the root module.

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
}

resource "alicloud_slb_listener" "http" {
  load_balancer_id = alicloud_slb_load_balancer.web.id
  protocol         = "http"
  frontend_port    = 80
  server_group_id  = alicloud_slb_server_group.app.id
  bandwidth        = -1
}
