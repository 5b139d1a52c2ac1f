resource "alicloud_slb_listener" "http" {
  load_balancer_id = alicloud_slb_load_balancer.main.id # the LB
  frontend_port = 80 # port
  backend_port = 8080 # backend
  protocol = "http"
  bandwidth = 10 # after a gap line without comment
}
