# a module input change that replaces resources inside the module (triggers_replace; one of them
# create_before_destroy), updates a root resource reading the module's output, and leaves the rest
module "app" {
  source  = "./modules/app"
  release = "2"
}

resource "terraform_data" "consumer" {
  input      = module.app.endpoint
  depends_on = [module.app]
}

resource "terraform_data" "bystander" {
  input = "unchanged"
}

output "endpoint" {
  value = module.app.endpoint
}

output "consumer" {
  value = terraform_data.consumer.output
}
