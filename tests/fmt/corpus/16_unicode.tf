locals {
  名前 = "x"
  ab = "é"
  café = 1
  emoji = "👍🏽"
  zz = 2
}
