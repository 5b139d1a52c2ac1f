variable "name" {
  type = string
}

variable "zones" {
  type = number
}

variable "suffix" {
  type    = string
  default = ""
}

resource "terraform_data" "lb" {
  input = "lb-${var.name}${var.suffix}"
}

module "zone" {
  source = "./zone"
  count  = var.zones
  lb     = terraform_data.lb.output
  index  = count.index
}

output "lb" {
  value = terraform_data.lb.output
}

output "zone_names" {
  value = module.zone[*].name
}

output "where" {
  value = [path.module, module.zone[0].where, terraform.workspace]
}
