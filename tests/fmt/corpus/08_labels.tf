resource aws_instance web {
  ami = "x"
}
resource "aws_instance" /* c */ "db" {
  ami = "y"
}
module "m"   {
  source="./m"
}
data    "alicloud_zones"   "z"{}
