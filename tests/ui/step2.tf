variable "secret" {
  type      = string
  default   = "hunter2-very-secret"
  sensitive = true
}

resource "terraform_data" "keep" {
  input = "v2"
}

resource "terraform_data" "repl" {
  triggers_replace = "r2"
}

resource "terraform_data" "new" {
  input = "hi"
}

output "keep" {
  value = terraform_data.keep.output
}

output "added" {
  value = ["a", "b"]
}

output "secret_out" {
  value     = var.secret
  sensitive = true
}
