resource "null_resource" "a" {
  triggers = {
    one = "${var.one}"
  }
  name = "${var.name}"
  both = "${var.a}${var.b}"
  lit = "x-${var.a}"
  nested = "${format("%s", "${var.x}")}"
  multi = "${
    var.cond ? "a" : "b"
  }"
  multiline = "${var.cond
    ? "a"
    : "b"}"
  paren = "${(var.a)}"
}
