locals {
  a = "100%"
  b = "$5"
  c = "%"
  d = "$"
  e = "a%b$c"
}
