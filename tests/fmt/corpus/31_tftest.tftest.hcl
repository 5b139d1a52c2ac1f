run "plan" {
command = plan
assert {
condition = output.x == 1
error_message = "wrong"
}
}
