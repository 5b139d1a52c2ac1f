locals {
  a = 1+2*3
  b = (1 + 2)*3
  c = -1
  d = 5 - -3
  e = !true
  f = var.x ? "yes":"no"
  g = [for s in var.list : upper(s) if s != ""]
  h = {for k,v in var.map : k => v...}
  i = var.list[*].id
  j = var.list.*.id
  k = foo( 1,2 )
  l = a && b || !c
  m = a==b
  n = a!=b
  o = a>=b&&c<=d
  p = 10%3
  q = [for x in [1,2]: x]
  r = provider::terraform::encode_tfvars({a=1})
  s = var.m["key"]
  t = var.l[0][1]
  u = element(var.l, length(var.l)-1)
  v = 1e3
  w = 1.5e-3
  x = func(var.args...)
}
