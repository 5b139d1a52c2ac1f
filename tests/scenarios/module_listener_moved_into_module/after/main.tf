# module_listener_moved_into_module (after): the listener now lives in module.http, and a moved block says so: the plan
# moves it (no delete, no create) and changes nothing in the cloud.

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

module "http" {
  source           = "./modules/listener"
  load_balancer_id = alicloud_slb_load_balancer.web.id
  server_group_id  = alicloud_slb_server_group.app.id
  port             = 80
}

moved {
  from = alicloud_slb_listener.http
  to   = module.http.alicloud_slb_listener.this
}
