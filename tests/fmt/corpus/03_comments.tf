# leading comment
// slash comment
/* block
   comment */
variable "region" { # trailing on block line
  default = "cn-hangzhou" # the region
  description = "Where" # aligned?
  type = string       // slash trailing


  sensitive = false /* inline block */
}
/* a */ locals { x = 1 }
