# module_count_lowered (after): count 3 -> 1: module.pool[1] and [2] go; each listener is deleted before
# the group it uses (the cloud refuses to delete a group a listener still uses).

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

module "pool" {
  source           = "./modules/pool"
  count            = 1
  load_balancer_id = alicloud_slb_load_balancer.web.id
  port             = 8080 + count.index
}
