resource "a" "b" {
  x = 1
  block {
    y = 2
  }
  zzz = 3
  w = 4
}
