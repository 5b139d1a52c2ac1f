# module_targeted (after): both instances change port, but the plan is made with -target=module.site["b"]
# (targets file): only that instance's objects are in it.

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

module "site" {
  source           = "./modules/pool"
  for_each         = { a = 0, b = 1 }
  load_balancer_id = alicloud_slb_load_balancer.web.id
  port             = 9000 + each.value
}
