# count and for_each on module calls: count lowered (3 -> 2), a for_each key removed and one added,
# depends_on on a whole module, and splat/for over module instances in outputs
module "svc" {
  source = "./modules/svc"
  count  = 3
  name   = "svc-${count.index}"
}

module "site" {
  source     = "./modules/svc"
  for_each   = toset(["a", "b"])
  name       = "site-${each.key}"
  depends_on = [module.svc]
}

resource "terraform_data" "summary" {
  input = join(",", concat(module.svc[*].name, [for k in sort(keys(module.site)) : module.site[k].name]))
}

output "svc_names" {
  value = module.svc[*].name
}

output "site_names" {
  value = { for k, s in module.site : k => s.name }
}

output "summary" {
  value = terraform_data.summary.output
}
