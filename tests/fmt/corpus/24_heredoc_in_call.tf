locals {
  a = jsonencode(<<EOT
hello
EOT
  )
  b = trimspace(<<-EOF
    x
  EOF
  )
  c = [<<EOT
one
EOT
  , "two"]
}
