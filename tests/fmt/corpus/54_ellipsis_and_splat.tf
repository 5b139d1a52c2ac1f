locals {
  a = max(var.nums ...)
  b = { for x in var.l : x.k => x.v ... }
  c = var.l [ * ] . id
  d = var.obj . attr
}
