locals {
  a = merge(
      var.a,
          {
      b = 1
      cc = 2
          },
  )
  b = cidrsubnet(var.cidr,
    8,
    1)
}
