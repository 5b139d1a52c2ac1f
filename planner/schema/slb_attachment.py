"""alicloud_slb_attachment (deprecated since provider 1.153.0, still shipped and used): ECS instances
in a load balancer's default server group, all with one weight and one server type.

Reference clb-api.md 4.6. ``load_balancer_id`` is not ForceNew in the provider: moving the
attachment to another load balancer removes the servers from the old one and adds them to the new.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from planner.diagnostics import Diagnostic
from planner.schema._checks import err
from planner.schema._dsl import WEIGHT, C, O, R, table
from planner.schema.base import ResourceSchema

if TYPE_CHECKING:
    from planner.config.model import ResourceInstance

MAX_INSTANCES = 20


ATTRIBUTES = table(
    R("load_balancer_id"),
    R("instance_ids", "set(string)",
      description="ECS instance (or ENI) ids added to the default server group"),
    O("weight", "number", default=100, ranges=WEIGHT, description="one weight for every listed server"),
    O("server_type", default="ecs", one_of=("ecs", "eni")),
    C("backend_servers", description="the servers of the default group, comma-joined"),
    O("delete_protection_validation", "bool", default=False),
)



def _checks(attrs: dict, inst: ResourceInstance) -> list[Diagnostic]:
    ids = attrs.get("instance_ids")
    if isinstance(ids, list) and not 1 <= len(ids) <= MAX_INSTANCES:
        return [err(inst, ("instance_ids",), f"instance_ids lists {len(ids)} instances; the provider accepts "
                                             f"1 to {MAX_INSTANCES}",
                    "list at most 20 instances per attachment, or use alicloud_slb_backend_server blocks")]
    return []


SCHEMA = ResourceSchema("alicloud_slb_attachment", ATTRIBUTES, instance_checks=[_checks],
                        description="Instances in a load balancer's default server group (deprecated; "
                                    "alicloud_slb_backend_server replaces it).")
