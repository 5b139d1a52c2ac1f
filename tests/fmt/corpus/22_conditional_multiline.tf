locals {
  v = (
    var.a
    ? 1
    : 2
  )
  w = var.a ? {
    x = 1
  } : {
    x = 2
  }
}
