locals { a = 1
  b = 2 }
locals {
  c = { d = 1,
    e = 2 }
}
