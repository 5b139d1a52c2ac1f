resource "terraform_data" "a" {
  input = "x"
}

resource "terraform_data" "b" {
  input = "y"
}

resource "terraform_data" "c" {
  input = "z"
}

resource "terraform_data" "d" {
  count = 2
  input = "d${count.index}"
}

resource "terraform_data" "e" {
  input = "e"
}

resource "terraform_data" "f" {
  count = 1
  input = "f"
}

module "old" {
  source = "./modules/m"
  v      = "o"
}

module "multi" {
  source = "./modules/m"
  count  = 2
  v      = "m${count.index}"
}

module "n" {
  source = "./modules/n"
  count  = 2
}

output "old" {
  value = module.old.v
}
