locals {
  script = <<EOT
    keep   this    spacing
  ${var.name}   and ${ var.other }
EOT
  indented = <<-EOT
      hello
        world
      EOT
  after = 1
  x = "y"
}
output "policy" {
  value = <<POLICY
{
  "Version": "2012-10-17"
}
POLICY
}
