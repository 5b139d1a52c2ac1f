module "listeners" {
  source = "./modules/listener"
  for_each = toset(["80","443"])
  port = each.key
  lb_id = alicloud_slb_load_balancer.lb.id
  depends_on = [alicloud_slb_load_balancer.lb]
  providers = {
    alicloud = alicloud.hz
  }
}
provider "alicloud" {
  alias = "hz"
  region = "cn-hangzhou"
  endpoints {
    slb = "http://127.0.0.1:8089"
  }
}
