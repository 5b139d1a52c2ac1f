"""alicloud_slb_master_slave_server_group: exactly one Master and one Slave server (TCP/UDP only).

The cloud has no modify call for these groups, so every argument forces replacement.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from planner.diagnostics import Diagnostic
from planner.schema._checks import err, known
from planner.schema._dsl import GONE, PORT, WEIGHT, O, R, block, table
from planner.schema.base import ResourceSchema

ATTRIBUTES = table(
    R("load_balancer_id", force_new=True),
    R("name", force_new=True),
    O("delete_protection_validation", "bool", default=False),
)

if TYPE_CHECKING:
    from planner.config.model import ResourceInstance

BLOCKS = {
    "servers": block(
        "servers",
        R("server_id"),
        R("port", "number", ranges=PORT, description="the backend port"),
        O("weight", "number", default=100, ranges=WEIGHT, description="0 stops new requests to the server"),
        O("type", default="ecs", one_of=("ecs", "eni")),
        O("server_type", one_of=("Master", "Slave"),
          description="Master takes the traffic; Slave takes over when the Master fails its health check"),
        GONE("is_backup", "is_backup was removed (provider 1.63.0); use server_type = \"Master\" or \"Slave\""),
        nesting="set", force_new=True,
    ),
}


def master_slave_checks(attrs: dict, inst: ResourceInstance) -> list[Diagnostic]:
    """Exactly two servers, one Master and one Slave, on distinct (server, port)."""
    raw = attrs.get("servers")
    if raw is not None and (not isinstance(raw, list) or not all(isinstance(s, dict) for s in raw)):
        return []  # servers from a dynamic block over unknown values: checked once known
    servers = raw or []
    out: list[Diagnostic] = []
    if len(servers) != 2:
        out.append(err(inst, ("servers", len(servers) - 1) if len(servers) > 2 else (),
                       f"a master-slave server group needs exactly two servers, found {len(servers)}",
                       'write two servers blocks: one with server_type = "Master", one with "Slave"'))
        return out
    types = [s.get("server_type") for s in servers]
    if all(known(t) for t in types) and sorted(types) != ["Master", "Slave"]:
        out.append(err(inst, ("servers", 1, "server_type"),
                       f"a master-slave server group needs one Master and one Slave, found {types[0]} and "
                       f"{types[1]}", 'set server_type = "Master" on one server and "Slave" on the other'))
    for i, t in enumerate(types):
        if t is None:
            out.append(err(inst, ("servers", i), f"servers[{i}] has no server_type",
                           'set server_type = "Master" or "Slave"'))
    a, b = servers
    if known(a.get("server_id")) and (a.get("server_id"), a.get("port")) == (b.get("server_id"), b.get("port")):
        out.append(err(inst, ("servers", 1, "server_id"), "the Master and the Slave are the same server and port",
                       "use two different servers (or ports) so one can take over from the other"))
    return out


SCHEMA = ResourceSchema("alicloud_slb_master_slave_server_group", ATTRIBUTES, BLOCKS,
                        instance_checks=[master_slave_checks],
                        description="A primary/secondary server group for TCP/UDP listeners.")
