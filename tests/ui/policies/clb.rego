# Policy gate for clbplan plans, read from `clbplan show -json PLANFILE` (Terraform's JSON plan
# representation, so the same policy runs on `terraform show -json` output).
#
#   data.clbplan.policy.deny  -> the set of messages; an empty set lets the plan through
#
# 1. Every listener the plan creates or changes keeps its health check on: a listener without
#    one keeps sending traffic to dead backends.
# 2. Every listener of an internet-facing load balancer is behind an access control list. Which
#    load balancer a listener belongs to is read from the configuration's references
#    (configuration.root_module.resources[_].expressions.load_balancer_id.references), because a
#    new load balancer's id is unknown until apply.
package clbplan.policy

import rego.v1

# resource changes whose planned object exists after apply: create, update, and replace
planned contains rc if {
	some rc in input.resource_changes
	rc.mode == "managed"
	some action in rc.change.actions
	action in {"create", "update"}
}

deny contains msg if {
	some rc in planned
	rc.type == "alicloud_slb_listener"
	rc.change.after.health_check == "off"
	msg := sprintf("%s: listener without health check (health_check = \"off\")", [rc.address])
}

deny contains msg if {
	some rc in planned
	rc.type == "alicloud_slb_listener"
	object.get(rc.change.after, "acl_status", "off") != "on"
	some lb in load_balancers_of(rc.address)
	lb.change.after.address_type == "internet"
	msg := sprintf("%s: listener of internet-facing %s has no access control list (acl_status = \"on\")", [
		rc.address,
		lb.address,
	])
}

# the load balancers (as resource changes) a listener's load_balancer_id refers to
load_balancers_of(address) := {lb |
	some r in input.configuration.root_module.resources
	r.address == address
	some ref in r.expressions.load_balancer_id.references
	some lb in input.resource_changes
	lb.type == "alicloud_slb_load_balancer"
	lb.address == ref
	lb.change.after != null
}
