variable "x" {
  description = "a" # c1
  default = [ # not aligned, multi-line
    1,
  ]
  nullable = false # c2
  sensitive = true      # c3
}
