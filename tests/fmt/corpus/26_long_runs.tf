resource "alicloud_slb_load_balancer" "lb" {
  load_balancer_name = "lb"
  address_type = "intranet"
  load_balancer_spec = "slb.s2.small"
  vswitch_id = alicloud_vswitch.vsw.id
  tags = {
    a = 1
  }
  internet_charge_type = "PayByTraffic"
  x = 1
  delete_protection = "off"
}
