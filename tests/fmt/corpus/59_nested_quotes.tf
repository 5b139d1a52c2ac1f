locals {
  a = "${lookup(var.m, "key", "${var.d}")}"
  b = "${var.a ? "x" : "y"}"
  c = "${"literal"}"
}
