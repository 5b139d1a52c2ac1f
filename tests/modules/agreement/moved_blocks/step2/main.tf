# every kind of move: a rename with an update, a removed block that forgets, a resource into a
# module, count index -> for_each key, implied moves both ways (count added, count removed), a
# module rename, module count -> for_each keys, and a moved block inside a counted module
resource "terraform_data" "a2" {
  input = "x2"
}

moved {
  from = terraform_data.a
  to   = terraform_data.a2
}

removed {
  from = terraform_data.b

  lifecycle {
    destroy = false
  }
}

module "m" {
  source = "./modules/m"
  v      = "z"
}

moved {
  from = terraform_data.c
  to   = module.m.terraform_data.inner
}

resource "terraform_data" "d" {
  for_each = toset(["k0", "k1"])
  input    = "d${each.key}"
}

moved {
  from = terraform_data.d[0]
  to   = terraform_data.d["k0"]
}

resource "terraform_data" "e" {
  count = 1
  input = "e"
}

resource "terraform_data" "f" {
  input = "f"
}

module "new" {
  source = "./modules/m"
  v      = "o"
}

moved {
  from = module.old
  to   = module.new
}

module "multi" {
  source   = "./modules/m"
  for_each = toset(["x", "y"])
  v        = "m-${each.key}"
}

moved {
  from = module.multi[0]
  to   = module.multi["x"]
}

moved {
  from = module.multi[1]
  to   = module.multi["y"]
}

module "n" {
  source = "./modules/n"
  count  = 2
}

output "old" {
  value = module.new.v
}

output "multi" {
  value = { for k, m in module.multi : k => m.v }
}
