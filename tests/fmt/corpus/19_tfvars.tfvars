region="cn-hangzhou"
instance_count   = 3
tags = {
Owner = "me"
Team="ops"
}
zones = ["a","b"]
