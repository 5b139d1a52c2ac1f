output "lb" {
value = {
id = alicloud_slb_load_balancer.lb.id
address = alicloud_slb_load_balancer.lb.address
listeners = [for l in alicloud_slb_listener.l : {
port = l.frontend_port
protocol = l.protocol
}]
}
description = "the LB"
}
