"""Rule: a binder updated away from an object that is deleted is re-pointed before that delete
(the cloud refuses to delete a group, certificate or ACL a listener still uses)."""

from __future__ import annotations

from planner.plan.edges.graph import OpGraph
from planner.plan.edges.index import PlanIndex, strings
from planner.plan.model import OpKind
from planner.schema.utility import is_utility_type


def repoint_before_delete(ix: PlanIndex, g: OpGraph) -> None:
    for addr in ix.operated():
        u = g.op(addr, OpKind.UPDATE)
        if u is None:
            continue
        new_strings = set(strings({k: v for k, v in ix.after(addr).items() if k != "id"}))
        singles, wholes = ix.old_dep_split(addr)
        deps = [(a, "recorded dependency") for w in wholes for a in ix.deleted_instances(w) if a != addr]
        deps += [(d, why) for d, why in singles.items() if d not in dict(deps)]
        for dep, why in deps:
            d = g.op(dep, OpKind.DELETE)
            if d is None or is_utility_type(dep.type):
                # nothing in the cloud is bound to a local object (time_sleep, terraform_data):
                # its replacement is delete, create, then the update that reads the new value
                continue
            old_id = ix.before(dep).get("id")
            if old_id not in new_strings:
                g.add(u, d, f"{addr} is re-pointed off {dep} before it is deleted ({why})")
