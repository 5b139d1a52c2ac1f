"""``terraform_data``: Terraform's built-in resource. ``output`` is ``input``; ``id`` a random UUID."""

from __future__ import annotations

import uuid

from planner.providers.base import CallContext
from planner.providers.local import LocalHandler, register_local


@register_local("terraform_data")
class TerraformData(LocalHandler):
    def create(self, planned: dict, ctx: CallContext) -> dict:
        return {"input": planned.get("input"), "output": planned.get("input"),
                "triggers_replace": planned.get("triggers_replace"), "id": str(uuid.uuid4())}

    def update(self, prior: dict, planned: dict, ctx: CallContext) -> dict:
        return {"input": planned.get("input"), "output": planned.get("input"),
                "triggers_replace": planned.get("triggers_replace"), "id": prior["id"]}
