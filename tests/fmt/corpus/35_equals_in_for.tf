locals {
  a = { for k, v in var.m : k => v if v == "x" }
  b = [for v in var.l : v if v != null]
  ccc = var.a == var.b
}
