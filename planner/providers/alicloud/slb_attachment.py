"""``alicloud_slb_attachment`` (deprecated, reference 4.6): ECS instances in the default server
group of one load balancer, all with one weight and one type.

Id = the load balancer id. Create/update: ``RemoveBackendServers`` for ids gone,
``AddBackendServers`` for new ids, ``SetBackendServers`` when only weight or type changed (20 per
call). Read: ``DescribeLoadBalancerAttribute``; like the provider, every server of the default group
is reported, so servers added behind its back show as drift.
"""

from __future__ import annotations

from typing import Any

from planner.providers.base import BaseHandler, CallContext, register
from planner.providers.errors import ApiError

from .common import SLB, chunks, dumps, items, keep_order, to_int

NOT_FOUND = "InvalidLoadBalancerId.NotFound"
BUSY = ("RspoolVipExist", "ObtainIpFail", "ServiceIsStopping")


def _wire(ids: list[str], weight: Any, typ: Any) -> str:
    return dumps([{"ServerId": i, "Weight": int(100 if weight is None else weight), "Type": typ or "ecs"}
                  for i in ids])


def _lb(attrs: dict) -> str:
    return attrs.get("load_balancer_id") or attrs["id"]


def _landed(ctx: CallContext, lb: str, ids: list[str]) -> dict | None:
    resp = ctx.read(SLB, "DescribeLoadBalancerAttribute", {"LoadBalancerId": lb})
    have = {s.get("ServerId") for s in items(resp, "BackendServers", "BackendServer")}
    return {} if all(i in have for i in ids) else None


@register("alicloud_slb_attachment")
class SlbAttachmentHandler(BaseHandler):
    config_only = ("delete_protection_validation",)

    def create(self, planned: dict, ctx: CallContext) -> dict:
        lb = planned["load_balancer_id"]
        prior = {"id": lb, "load_balancer_id": lb, "instance_ids": []}
        if ctx.adopt_existing:  # recovery: add only what an earlier attempt did not
            prior = self.must_read(prior, ctx)
        return self.update(prior, planned, ctx)

    def update(self, prior: dict, planned: dict, ctx: CallContext) -> dict:
        old_lb, new_lb = _lb(prior), planned["load_balancer_id"]
        old = sorted(prior.get("instance_ids") or [])
        new = sorted(planned.get("instance_ids") or [])
        weight, typ = planned.get("weight"), planned.get("server_type")
        if old_lb != new_lb:  # moved to another load balancer: leave the old one first
            self._remove(ctx, old_lb, old, prior.get("weight"), prior.get("server_type"))
            old = []
        removed = [i for i in old if i not in new]
        added = [i for i in new if i not in old]
        kept = [i for i in new if i in old]
        self._remove(ctx, new_lb, removed, prior.get("weight"), prior.get("server_type"))
        for part in chunks(added, 20):
            ctx.write(SLB, "AddBackendServers", {"LoadBalancerId": new_lb, "BackendServers": _wire(part, weight, typ)},
                      reconcile=lambda part=part: _landed(ctx, new_lb, part))
        if kept and (weight, typ) != (prior.get("weight"), prior.get("server_type")):
            for part in chunks(kept, 20):
                ctx.write(SLB, "SetBackendServers", {"LoadBalancerId": new_lb,
                                                     "BackendServers": _wire(part, weight, typ)})
        return self.must_read(dict(planned, id=new_lb), ctx)

    def _remove(self, ctx: CallContext, lb: str, ids: list[str], weight: Any, typ: Any) -> None:
        for part in chunks(ids, 20):
            try:
                ctx.write(SLB, "RemoveBackendServers", {"LoadBalancerId": lb, "BackendServers": _wire(part, weight, typ)},
                          also_retry=BUSY)
            except ApiError as e:
                if e.code == NOT_FOUND:
                    return
                raise

    def delete(self, prior: dict, ctx: CallContext) -> None:
        self._remove(ctx, _lb(prior), sorted(prior.get("instance_ids") or []), prior.get("weight"),
                     prior.get("server_type"))

    def read_many(self, priors: list[dict], ctx: CallContext) -> list[dict | None]:
        cache: dict[str, dict | None] = {}
        out: list[dict | None] = []
        for p in priors:
            lb = _lb(p)
            if lb not in cache:
                try:
                    cache[lb] = ctx.read(SLB, "DescribeLoadBalancerAttribute", {"LoadBalancerId": lb})
                except ApiError as e:
                    if e.code != NOT_FOUND:
                        raise
                    cache[lb] = None
            resp = cache[lb]
            if resp is None:
                out.append(None)
                continue
            servers = items(resp, "BackendServers", "BackendServer")
            ids = [s["ServerId"] for s in servers]
            a = {**p, "id": lb, "load_balancer_id": lb, "instance_ids": keep_order(p.get("instance_ids"), sorted(ids)),
                 "backend_servers": ",".join(ids)}
            if servers:  # the provider reports the weight and type of the last server
                a["weight"] = to_int(servers[-1].get("Weight"))
                a["server_type"] = servers[-1].get("Type") or "ecs"
            out.append(self.carry(p, a))
        return out

    def prior_from_id(self, id: str) -> dict:
        return {"id": id, "load_balancer_id": id}
