variable "secret" {
  type      = string
  default   = "hunter2-very-secret"
  sensitive = true
}

resource "terraform_data" "keep" {
  input = "v1"
}

resource "terraform_data" "repl" {
  triggers_replace = "r1"
}

resource "terraform_data" "gone" {
  input = "bye"
}

output "keep" {
  value = terraform_data.keep.output
}

output "shape" {
  value = { ports = [80, 443], name = "x", nested = { a = 1 } }
}

output "secret_out" {
  value     = var.secret
  sensitive = true
}
