variable "ports" {
  type    = list(number)
  default = [80, 443]
}
variable "name" {
  description = "the name"
  default     = "web"
}
variable "secret" {
  default   = "s3cr3t"
  sensitive = true
}
locals {
  tags = { env = "prod" }
}
resource "terraform_data" "lb" {
  input = { name = var.name, tags = local.tags }
}
resource "terraform_data" "listener" {
  for_each         = toset([for p in var.ports : tostring(p)])
  input            = "${terraform_data.lb.id}:${each.key}"
  triggers_replace = [terraform_data.lb.output]
}
resource "terraform_data" "backend" {
  count      = 2
  input      = "backend-${count.index}"
  depends_on = [terraform_data.lb]
}
resource "terraform_data" "pick" {
  input = terraform_data.backend[0].id
}
resource "terraform_data" "all" {
  input = terraform_data.backend[*].id
}
resource "terraform_data" "mixed" {
  input = upper("x")
}
module "pool" {
  source = "./modules/pool"
  lb_id  = terraform_data.lb.id
  size   = 3
}
output "lb_id" {
  value       = terraform_data.lb.id
  description = "the lb"
}
output "pool" {
  value = module.pool.member
}
output "secret" {
  value     = var.secret
  sensitive = true
}
