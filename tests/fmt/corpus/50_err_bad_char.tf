locals {
  @ = 1
}
