resource "terraform_data" "before_name" {
  input = "n"
}
