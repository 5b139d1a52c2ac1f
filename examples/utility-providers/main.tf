# Utility providers next to CLB: values with no cloud behind them.
#
# terraform_data (built into Terraform) carries a value through the plan and forces a replacement
# when its triggers change; clbplan runs these resources locally, with no API call.

provider "alicloud" {
  region = "cn-hangzhou"
}

variable "release" {
  description = "Bump to roll the listener's deployment marker."
  type        = string
  default     = "2026-01"
}

resource "terraform_data" "release" {
  input            = { release = var.release, owner = "platform" }
  triggers_replace = [var.release]
}

output "release" {
  value = terraform_data.release.output
}
