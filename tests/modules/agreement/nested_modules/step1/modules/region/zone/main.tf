variable "lb" {
  type = string
}

variable "index" {
  type = number
}

resource "terraform_data" "listener" {
  input            = "${var.lb}:${8000 + var.index}"
  triggers_replace = [var.index]
}

output "name" {
  value = terraform_data.listener.output
}

output "where" {
  value = path.module
}
