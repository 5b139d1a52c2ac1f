"""Rule: a network interface serves as a backend only once it is attached to a running instance
(the cloud says ObtainIpFail otherwise), yet a group names the ENI, not its attachment: the
attachment is written first. Without this edge only the listing order put it first, and a parallel
apply raced."""

from __future__ import annotations

from collections import defaultdict

from planner.addresses import ResourceAddress
from planner.plan.edges.graph import OpGraph
from planner.plan.edges.index import PlanIndex
from planner.schema.facts import (
    BACKEND_GROUP_TYPES,
    BACKEND_SERVER,
    ENI_ATTACHMENT_TYPES,
    ENI_TYPES,
    GROUP_ATTACHMENT,
)

# what names a network interface as a backend server
ENI_BACKEND_TYPES = BACKEND_GROUP_TYPES | {BACKEND_SERVER, GROUP_ATTACHMENT}


def attachments_before_backends(ix: PlanIndex, g: OpGraph) -> None:
    attachments: dict[ResourceAddress, list[ResourceAddress]] = defaultdict(list)
    for addr in ix.operated():  # an attachment without an operation has no write to order first
        if addr.type in ENI_ATTACHMENT_TYPES:
            for d in ix.config_deps(addr):
                if d.type in ENI_TYPES:
                    attachments[d].append(addr)
    if not attachments:
        return
    for addr in ix.sorted_operated():
        if addr.type not in ENI_BACKEND_TYPES:
            continue
        for d in ix.config_deps(addr):
            for att in attachments.get(d, ()):
                for aw in g.writes(att):
                    for w in g.writes(addr):
                        g.add(aw, w, f"{addr} uses {d} as a backend, which must be attached first ({att})")
