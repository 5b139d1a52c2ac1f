"""alicloud_slb_server_group_server_attachment: one server added to a VServer group."""

from __future__ import annotations

from planner.schema._dsl import OC, PORT, WEIGHT, R, length, table
from planner.schema.base import ResourceSchema

ATTRIBUTES = table(
    R("server_group_id", force_new=True),
    R("server_id", force_new=True, description="an ECS instance, ENI or ECI id"),
    R("port", "number", force_new=True, ranges=PORT, description="the backend port"),
    OC("type", force_new=True, one_of=("ecs", "eni", "eci")),
    OC("weight", "number", force_new=True, ranges=WEIGHT, description="0 stops new requests to the server"),
    OC("description", force_new=True, check=length(1, 80)),
)

SCHEMA = ResourceSchema("alicloud_slb_server_group_server_attachment", ATTRIBUTES,
                        description="One backend server in a VServer group.")
