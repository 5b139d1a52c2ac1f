locals {
  a = 1 // slash
  bb = 2 # hash
  ccc = 3 /* block */
  dddd = 4
}
