locals {
  a = <<EOF
  EOF inside but not alone
EOF
  bbb = 2
}
