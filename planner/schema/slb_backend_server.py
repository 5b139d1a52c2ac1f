"""alicloud_slb_backend_server: the servers of a load balancer's default server group."""

from __future__ import annotations

from typing import TYPE_CHECKING

from planner.diagnostics import Diagnostic
from planner.schema._checks import blocks_of, err, known
from planner.schema._dsl import OC, WEIGHT, O, R, block, table
from planner.schema.base import ResourceSchema

ATTRIBUTES = table(
    R("load_balancer_id", force_new=True),
    O("delete_protection_validation", "bool", default=False),
)

if TYPE_CHECKING:
    from planner.config.model import ResourceInstance

BLOCKS = {
    "backend_servers": block(
        "backend_servers",
        R("server_id"),
        R("weight", "number", ranges=WEIGHT, description="0 stops new requests to the server"),
        O("type", default="ecs", one_of=("ecs", "eni", "eci")),
        OC("server_ip", description="an IP of the ENI/ECI (primary or secondary)"),
        nesting="set",
    ),
}


def backend_server_checks(attrs: dict, inst: ResourceInstance) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    seen: dict[tuple, int] = {}
    for i, blk in blocks_of(attrs, "backend_servers"):
        if not isinstance(blk, dict):
            continue
        sid, ip, typ = blk.get("server_id"), blk.get("server_ip"), blk.get("type")
        if typ == "ecs" and known(ip):
            out.append(err(inst, ("backend_servers", i, "server_ip"), "server_ip is not allowed for ecs servers",
                           'remove server_ip (an ECS instance is addressed by its id), or use type = "eni"'))
        if not known(sid):
            continue
        key = (sid, ip if known(ip) else None)
        if key in seen:
            out.append(err(inst, ("backend_servers", i, "server_id"),
                           f"server {sid} is listed twice in the default server group",
                           f"backend_servers block {seen[key]} already adds it; keep one entry per server"))
        else:
            seen[key] = i
    return out


SCHEMA = ResourceSchema("alicloud_slb_backend_server", ATTRIBUTES, BLOCKS,
                        instance_checks=[backend_server_checks],
                        description="The default server group of a load balancer.")
