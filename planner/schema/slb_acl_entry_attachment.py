"""alicloud_slb_acl_entry_attachment: one entry of an access control list, managed on its own."""

from __future__ import annotations

from planner.schema._dsl import O, R, cidr, length, table
from planner.schema.base import ResourceSchema

SCHEMA = ResourceSchema(
    "alicloud_slb_acl_entry_attachment",
    table(
        R("acl_id", force_new=True),
        R("entry", force_new=True, check=cidr, description="a source address or CIDR block, e.g. 10.0.0.0/8"),
        O("comment", force_new=True, check=length(1, 100)),
    ),
    description="One entry of an access control list.",
)
