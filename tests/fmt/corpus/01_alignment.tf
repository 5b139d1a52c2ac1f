locals {
    short = 1
    much_longer_name = "v"

    after_blank = {a=1, bb = 2}
    list = [ "a" , "b" ]
    multi = {
      a = 1
      bbb = 2
    }
    interp = "${var.x}"
    quoted_type = "string"
}
