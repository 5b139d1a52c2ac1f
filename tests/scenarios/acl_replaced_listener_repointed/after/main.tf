# acl_replaced_listener_repointed (after): ACL office is replaced in place of its address (resource_group_id, which forces a new ACL, and its name) while listener http uses it: create the new ACL and its entry, re-point the listener, then delete the old entry and ACL (AclBindedWithVip otherwise).

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

resource "alicloud_slb_acl" "office" {
  # the renewed ACL: ACL names are unique in a region, so the new one (made before the old one can go)
  # takes a new name; it moves to another resource group, which the cloud cannot do in place
  name       = "scn-office-2026"
  ip_version = "ipv4"
  resource_group_id = "rg-acfmscnteam02"
}

resource "alicloud_slb_acl_entry_attachment" "office" {
  acl_id  = alicloud_slb_acl.office.id
  entry   = "10.10.0.0/16"
  comment = "office"
}

resource "alicloud_slb_listener" "http" {
  load_balancer_id = alicloud_slb_load_balancer.web.id
  protocol         = "http"
  frontend_port    = 80
  backend_port     = 80
  bandwidth        = -1
  acl_status       = "on"
  acl_type         = "white"
  acl_ids          = [alicloud_slb_acl.office.id]
}
