locals {
  a = "${  var.x  }-${var.y[ 0 ]}"
  b = "${ upper( var.x ) }"
  c = "prefix-${ var.n + 1 }"
  d = "%{ if var.x == 1 }one%{ endif }"
}
