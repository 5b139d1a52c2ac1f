locals {
  a = [-1, - 2, 3 -1]
  b = foo(-1)
  c = { x = -1 }
  d = 1 * -2
  e = a == -1
  f = x ? -1 : -2
  g = - var.x
  h = (-1)
  i = var.a[-1 + 2]
}
