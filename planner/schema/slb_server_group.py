"""alicloud_slb_server_group: a VServer group (servers with their own ports) of one load balancer."""

from __future__ import annotations

from typing import TYPE_CHECKING

from planner.diagnostics import Diagnostic
from planner.schema._checks import blocks_of, err, known
from planner.schema._dsl import OC, PORT, WEIGHT, O, R, block, length, table
from planner.schema.base import ResourceSchema

ATTRIBUTES = table(
    R("load_balancer_id", force_new=True),
    O("name", default="tf-server-group", check=length(1, 80)),
    OC("tags", "map(string)"),
    O("delete_protection_validation", "bool", default=False),
)

if TYPE_CHECKING:
    from planner.config.model import ResourceInstance

BLOCKS = {
    "servers": block(
        "servers",
        R("server_ids", "list(string)", description="ECS instance or ENI ids"),
        R("port", "number", ranges=PORT, description="the backend port these servers listen on"),
        O("weight", "number", default=100, ranges=WEIGHT,
          description="0 stops new requests to the server"),
        O("type", default="ecs", one_of=("ecs", "eni")),
        nesting="set", computed=True,
    ),
}


def server_group_checks(attrs: dict, inst: ResourceInstance) -> list[Diagnostic]:
    """A (server, port) pair may appear only once in a group (the API rejects duplicates)."""
    out: list[Diagnostic] = []
    seen: dict[tuple, int] = {}
    for i, blk in blocks_of(attrs, "servers"):
        if not isinstance(blk, dict):
            continue
        ids, port = blk.get("server_ids"), blk.get("port")
        if isinstance(ids, list) and not ids:
            out.append(err(inst, ("servers", i, "server_ids"), "servers block with no server_ids",
                           "list at least one ECS instance or ENI id, or remove the block"))
        if not isinstance(ids, list) or not known(port):
            continue
        for sid in ids:
            if not known(sid):
                continue
            if (sid, port) in seen:
                out.append(err(inst, ("servers", i, "server_ids"),
                               f"server {sid} is in the group twice on port {port}",
                               f"servers block {seen[(sid, port)]} already adds it; a server and port pair "
                               "may appear once (use another port to run two backends on one server)"))
            else:
                seen[(sid, port)] = i
    return out


SCHEMA = ResourceSchema("alicloud_slb_server_group", ATTRIBUTES, BLOCKS, instance_checks=[server_group_checks],
                        description="A VServer group of a load balancer.")
