locals {
  obj = {
    k1: "v"
    long_key: "w"
  }
  obj2 = { a: 1, b: 2 }
}
