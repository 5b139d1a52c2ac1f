locals {
  t = "%{ if var.x }yes%{ else }no%{ endif }"
  u = "%{for i in var.l}${i},%{endfor}"
  v = "$${not_interp} %%{not_directive}"
  w = "a\"b\\c\n"
  x = "${ {a = 1} }"
  y = "${var.a}-${var.b}"
  z = "${ var.a }"
}
