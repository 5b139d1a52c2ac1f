variable "lb_id" {}
variable "size" {
  default = 1
}
resource "terraform_data" "member" {
  input = "${var.lb_id}-${var.size}"
}
output "member" {
  value = terraform_data.member.id
}
