locals {
  for = 1
  in = 2
  if = [for in in var.l : in]
  null_value = null
  true_value = true
}
