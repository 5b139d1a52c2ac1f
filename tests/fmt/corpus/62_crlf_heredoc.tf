locals {
  a = 1
  bb = <<EOT
x
EOT
}
