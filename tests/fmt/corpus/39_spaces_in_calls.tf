locals {
  a = merge( var.a , { b = 1 } )
  b = lookup(var.m,"k","d")
  c = concat([ ], [1])
  d = {}
  e = { }
  f = []
  g = [ ]
  h = ( var.x )
  i = tolist( [ ] )
}
