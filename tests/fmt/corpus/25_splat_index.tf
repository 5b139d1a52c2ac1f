output "ids" {
  value = alicloud_instance.web[*].id
}
output "first" {
  value = alicloud_instance.web [0].id
}
output "m" {
  value = { for i, inst in alicloud_instance.web : i => inst.id }
}
output "sensitive" {
  value     = var.secret
  sensitive = true
}
