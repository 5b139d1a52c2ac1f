locals {
  a = <<-EOT
    %{ for x in var.l ~}
    item ${x}
    %{ endfor ~}
  EOT
  bb = 1
}
