variable "load_balancer_id" {
  type = string
}

variable "port" {
  type = number
}

resource "alicloud_slb_server_group" "this" {
  load_balancer_id = var.load_balancer_id
  name             = "pool-${var.port}"
}

module "listener" {
  source           = "../listener"
  load_balancer_id = var.load_balancer_id
  server_group_id  = alicloud_slb_server_group.this.id
  port             = var.port
}
