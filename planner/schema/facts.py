"""Facts about resource types and the CLB product's limits, in one place.

Which types are load balancers, listeners, groups, network interfaces; which objects the cloud
refuses to delete while something uses them; how many listeners a load balancer holds. The schema's
cross-resource rules (``schema/rules.py``), the ordering rules (``plan/edges/``), the walk and the
provider all read these names, so a fact changed here changes everywhere at once. The emulator keeps
its own copy of the limits on purpose: it is the cloud, and imports nothing of the planner.
"""

from __future__ import annotations

# -- resource types ------------------------------------------------------------------------------

#: a CLB instance; ``alicloud_slb`` is the provider's deprecated name for it
LOAD_BALANCER_TYPES = frozenset({"alicloud_slb_load_balancer", "alicloud_slb"})
LISTENER = "alicloud_slb_listener"
RULE = "alicloud_slb_rule"
DOMAIN_EXTENSION = "alicloud_slb_domain_extension"
#: objects that live inside one listener, found by (load balancer, frontend port) with no reference
LISTENER_CHILDREN = frozenset({RULE, DOMAIN_EXTENSION})
SERVER_GROUP = "alicloud_slb_server_group"
MASTER_SLAVE_GROUP = "alicloud_slb_master_slave_server_group"
#: the backend groups a listener forwards to (a VServer group or a master-slave group)
BACKEND_GROUP_TYPES = frozenset({SERVER_GROUP, MASTER_SLAVE_GROUP})
GROUP_ATTACHMENT = "alicloud_slb_server_group_server_attachment"
BACKEND_SERVER = "alicloud_slb_backend_server"

ECS_INSTANCE = "alicloud_instance"
ENI_TYPES = frozenset({"alicloud_ecs_network_interface", "alicloud_network_interface"})
ENI_ATTACHMENT_TYPES = frozenset({"alicloud_ecs_network_interface_attachment", "alicloud_network_interface_attachment"})
SECURITY_GROUP = "alicloud_security_group"
SECURITY_GROUP_RULE = "alicloud_security_group_rule"
#: what joins security groups, and the attribute that lists them
SECURITY_GROUP_MEMBERS = {ECS_INSTANCE: "security_groups", **dict.fromkeys(ENI_TYPES, "security_group_ids")}
EIP_TYPES = frozenset({"alicloud_eip_address", "alicloud_eip"})

# -- what the cloud refuses to delete while it is used ---------------------------------------------

#: objects the cloud refuses to delete while a listener (or rule) uses them, with its refusal
BOUND_REFUSAL: dict[str, str] = {
    **dict.fromkeys(BACKEND_GROUP_TYPES, "the cloud refuses to delete a bound group: RspoolVipExist"),
    "alicloud_slb_server_certificate":
        "the cloud refuses to delete a certificate a listener uses: CertificateAndPrivateKeyIsRefered",
    "alicloud_slb_ca_certificate":
        "the cloud refuses to delete a CA certificate a listener uses: CertificateAndPrivateKeyIsRefered",
    "alicloud_slb_acl": "the cloud refuses to delete an ACL a listener uses: OperationFailed.AclBindedWithVip",
    "alicloud_slb_tls_cipher_policy":
        "the cloud refuses to delete a TLS cipher policy a listener uses: ResourceInUse.TLSCipherPolicy",
}
#: ... and network objects that still hold an instance or a vSwitch
IN_USE_REFUSAL: dict[str, str] = {
    **BOUND_REFUSAL,
    "alicloud_vpc": "the cloud refuses to delete a VPC that still holds vSwitches: DependencyViolation",
    "alicloud_vswitch": "the cloud refuses to delete a vSwitch that still holds instances: DependencyViolation",
    SECURITY_GROUP: "the cloud refuses to delete a security group that still holds instances: DependencyViolation",
}

# -- CLB quotas (the cloud refuses beyond them: ListenerNumberOverLimit, TooManyRules, ...) --------

MAX_LISTENERS_PER_LB = 50
MAX_RULES_PER_LISTENER = 40
#: servers added, removed or re-weighted in one API call
MAX_SERVERS_PER_CALL = 20
MAX_RULES_PER_SECURITY_GROUP = 200
