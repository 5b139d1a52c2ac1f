resource "x" "a\u0041" {
}
resource "x" "tab\there" {
}
resource "x" "dollar$" {}
