variable "load_balancer_id" {
  type = string
}

variable "server_group_id" {
  type = string
}

variable "port" {
  type = number
}

resource "alicloud_slb_listener" "this" {
  load_balancer_id = var.load_balancer_id
  protocol         = "http"
  frontend_port    = var.port
  server_group_id  = var.server_group_id
  bandwidth        = -1
}

output "listener_id" {
  value = alicloud_slb_listener.this.id
}
