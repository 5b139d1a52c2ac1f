locals {
  a = 1
  # comment between
  bbbbb = 2
  // another
  cc = 3
}
