resource "terraform_data" "after_name" {
  input = "n"
}

moved {
  from = terraform_data.before_name
  to   = terraform_data.after_name
}
