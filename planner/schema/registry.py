"""Every resource type and data source clbplan knows, by name.

Lookups are a dict access; ``alicloud_slb`` is the provider's deprecated name for
``alicloud_slb_load_balancer`` and shares its schema (under its own type name).
"""

from __future__ import annotations

import dataclasses

from planner.schema import (
    around,
    datasources,
    ecs,
    lookups,
    network,
    slb_acl,
    slb_acl_entry_attachment,
    slb_attachment,
    slb_backend_server,
    slb_ca_certificate,
    slb_domain_extension,
    slb_listener,
    slb_load_balancer,
    slb_master_slave_server_group,
    slb_rule,
    slb_server_certificate,
    slb_server_group,
    slb_server_group_server_attachment,
    slb_tls_cipher_policy,
)
from planner.schema.base import ResourceSchema

MANAGED: dict[str, ResourceSchema] = {s.type_name: s for s in (
    slb_load_balancer.SCHEMA,
    slb_listener.SCHEMA,
    slb_server_group.SCHEMA,
    slb_server_group_server_attachment.SCHEMA,
    slb_backend_server.SCHEMA,
    slb_master_slave_server_group.SCHEMA,
    slb_rule.SCHEMA,
    slb_acl.SCHEMA,
    slb_acl_entry_attachment.SCHEMA,
    slb_server_certificate.SCHEMA,
    slb_attachment.SCHEMA,
    slb_ca_certificate.SCHEMA,
    slb_domain_extension.SCHEMA,
    slb_tls_cipher_policy.SCHEMA,
    network.VPC,
    network.VSWITCH,
    network.SECURITY_GROUP,
    ecs.INSTANCE,
    ecs.ECS_NETWORK_INTERFACE,
    ecs.NETWORK_INTERFACE,
    ecs.ECS_NETWORK_INTERFACE_ATTACHMENT,
    ecs.NETWORK_INTERFACE_ATTACHMENT,
    around.SECURITY_GROUP_RULE,
    around.ECS_KEY_PAIR,
    around.KEY_PAIR,
    around.EIP_ADDRESS,
    around.EIP,
    around.EIP_ASSOCIATION,
)}

# deprecated type name -> canonical type name (same arguments)
DEPRECATED_TYPES: dict[str, str] = {"alicloud_slb": "alicloud_slb_load_balancer"}
for _old, _new in DEPRECATED_TYPES.items():
    MANAGED[_old] = dataclasses.replace(MANAGED[_new], type_name=_old)

DATA: dict[str, ResourceSchema] = {s.type_name: s for s in (
    datasources.ZONES_SCHEMA,
    datasources.INSTANCE_TYPES_SCHEMA,
    datasources.IMAGES_SCHEMA,
    *lookups.SCHEMAS,
)}

# Resources whose provider schema has a ``timeouts {}`` block, and the operations it names.
TIMEOUTS: dict[str, tuple[str, ...]] = {
    "alicloud_slb_load_balancer": ("create", "update", "delete"),
    "alicloud_slb": ("create", "update", "delete"),
    "alicloud_slb_server_group_server_attachment": ("create", "delete"),
    "alicloud_slb_rule": ("create", "update", "delete"),
    "alicloud_slb_acl_entry_attachment": ("create", "delete"),
    "alicloud_vpc": ("create", "update", "delete"),
    "alicloud_vswitch": ("create", "update", "delete"),
    "alicloud_instance": ("create", "update", "delete"),
    "alicloud_ecs_network_interface": ("create", "update", "delete"),
    "alicloud_ecs_network_interface_attachment": ("create", "delete"),
}

# the utility providers (random, null, time, tls, local) and the built-in terraform_data
from planner.schema import utility as _utility  # noqa: E402

MANAGED.update(_utility.MANAGED)
DATA.update(_utility.DATA)

def get_schema(type_name: str, mode: str = "managed") -> ResourceSchema | None:
    """The schema of a resource type (mode "managed") or data source (mode "data"), or None."""
    return (DATA if mode == "data" else MANAGED).get(type_name)


def type_names(mode: str = "managed") -> list[str]:
    return sorted(DATA if mode == "data" else MANAGED)
