resource "x" "y" { a = 1 }
resource "x" "z" {}
resource "x" "w" {   }
resource "x" "v" { nested { z = 1 } }
