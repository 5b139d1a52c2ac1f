# nested modules: module.region (for_each) -> module.zone (count) -> terraform_data, with outputs read
# back up through both levels, path.module at every level and terraform.workspace
module "region" {
  source   = "./modules/region"
  for_each = { east = { zones = 1, suffix = "-v2" }, west = { zones = 3, suffix = "" } }
  name     = each.key
  zones    = each.value.zones
  suffix   = each.value.suffix
}

output "lbs" {
  value = { for k, m in module.region : k => m.lb }
}

output "zone_names" {
  value = flatten([for k in sort(keys(module.region)) : module.region[k].zone_names])
}

output "where" {
  value = { for k, m in module.region : k => m.where }
}

output "workspace" {
  value = "${terraform.workspace}-${path.module}"
}
