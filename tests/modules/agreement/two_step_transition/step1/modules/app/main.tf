variable "release" {
  type = string
}

resource "terraform_data" "server" {
  input            = "srv"
  triggers_replace = var.release
}

resource "terraform_data" "cert" {
  input            = "cert-${var.release}"
  triggers_replace = var.release

  lifecycle {
    create_before_destroy = true
  }
}

resource "terraform_data" "static" {
  input = "static"
}

output "endpoint" {
  value = "${terraform_data.server.output}/${terraform_data.cert.output}"
}
