"""alicloud_slb_acl: an access control list with its entries in entry_list blocks."""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING

from planner.diagnostics import Diagnostic
from planner.schema._checks import blocks_of, err, known
from planner.schema._dsl import OC, O, R, all_of, block, cidr, length, matches, table
from planner.schema.base import ResourceSchema

ACL_NAME = all_of(length(1, 80), matches(r"[\w./\-\u4e00-\u9fff]+", "may use letters, digits and ./_-"))

ATTRIBUTES = table(
    R("name", check=ACL_NAME),
    O("ip_version", default="ipv4", force_new=True, one_of=("ipv4", "ipv6")),
    OC("resource_group_id", force_new=True),
    OC("tags", "map(string)"),
)

if TYPE_CHECKING:
    from planner.config.model import ResourceInstance

BLOCKS = {
    "entry_list": block(
        "entry_list",
        R("entry", check=cidr, description="a source address or CIDR block, e.g. 10.0.0.0/8"),
        O("comment", check=length(1, 100)),
        nesting="set", max_items=300, computed=True,
    ),
}


def acl_checks(attrs: dict, inst: ResourceInstance) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    version = 6 if attrs.get("ip_version") == "ipv6" else 4
    seen: dict[str, int] = {}
    for i, e in blocks_of(attrs, "entry_list"):
        if not isinstance(e, dict) or not known(e.get("entry")):
            continue
        net = ipaddress.ip_network(e["entry"], strict=False)
        if net.version != version:
            out.append(err(inst, ("entry_list", i, "entry"),
                           f"entry {e['entry']} is IPv{net.version} but the ACL is IPv{version}",
                           f'use an IPv{version} CIDR, or set ip_version = "ipv{net.version}" on the ACL'))
        key = str(net)
        if key in seen:
            out.append(err(inst, ("entry_list", i, "entry"), f"entry {e['entry']} is listed twice",
                           f"entry_list block {seen[key]} already has it; keep one"))
        else:
            seen[key] = i
    return out


SCHEMA = ResourceSchema("alicloud_slb_acl", ATTRIBUTES, BLOCKS, instance_checks=[acl_checks],
                        description="An access control list for listeners.")
