"""``alicloud_slb_backend_server``: the default server group of one load balancer (reference 4.5).

Id = the load balancer id. Servers are keyed by ``server_id`` (plus ``server_ip`` for ENI/ECI,
which may be attached once per private IP): removed -> ``RemoveBackendServers``,
added -> ``AddBackendServers``, weight changes -> ``SetBackendServers``, 20 per call.
Read: one ``DescribeLoadBalancerAttribute`` per load balancer.
"""

from __future__ import annotations

from typing import Any

from planner.providers.base import BaseHandler, CallContext, register
from planner.providers.errors import ApiError

from .common import SLB, chunks, dumps, items, keep_order, none_if_empty, to_int

NOT_FOUND = "InvalidLoadBalancerId.NotFound"


def _key(b: dict) -> tuple[str, str]:
    """An ENI/ECI can be in the default group once per private IP; an ECS instance once."""
    ip = b.get("server_ip") if (b.get("type") or "ecs") != "ecs" else None
    return (b["server_id"], ip or "")


def _servers(blocks: list[dict] | None) -> dict[tuple[str, str], dict]:
    return {_key(b): b for b in blocks or [] if b.get("server_id")}


def _wire(b: dict) -> dict[str, Any]:
    d: dict[str, Any] = {"ServerId": b["server_id"], "Weight": int(100 if b.get("weight") is None else b["weight"]),
                         "Type": b.get("type") or "ecs"}
    if b.get("server_ip") and d["Type"] != "ecs":
        d["ServerIp"] = b["server_ip"]
    return d


def _landed(ctx: CallContext, lb: str, part: list[dict]) -> dict | None:
    """Read-back after a lost AddBackendServers response: are these servers in the group now?"""
    resp = ctx.read(SLB, "DescribeLoadBalancerAttribute", {"LoadBalancerId": lb})
    have = {_key({"server_id": s.get("ServerId"), "type": s.get("Type"), "server_ip": s.get("ServerIp")})
            for s in items(resp, "BackendServers", "BackendServer")}
    return {} if all(_key(b) in have for b in part) else None


@register("alicloud_slb_backend_server")
class BackendServerHandler(BaseHandler):
    config_only = ("delete_protection_validation",)

    def create(self, planned: dict, ctx: CallContext) -> dict:
        lb = planned["load_balancer_id"]
        if ctx.adopt_existing:  # recovery: add only what our earlier attempt did not
            return self.update(self.must_read({"id": lb, "load_balancer_id": lb}, ctx), planned, ctx)
        want = [b for _, b in sorted(_servers(planned.get("backend_servers")).items())]
        resp: dict = {}
        for part in chunks(want, 20):
            resp = ctx.write(SLB, "AddBackendServers",
                             {"LoadBalancerId": lb, "BackendServers": dumps([_wire(b) for b in part])},
                             reconcile=lambda part=part: _landed(ctx, lb, part))
        answered = {(s.get("ServerId"), s.get("Type") or "ecs", to_int(s.get("Weight")))
                    for s in items(resp, "BackendServers", "BackendServer")}
        if 0 < len(want) <= 20 and all((b.get("type") or "ecs") == "ecs" and b.get("server_ip") is None for b in want) \
                and answered == {(w["ServerId"], w["Type"], w["Weight"]) for w in map(_wire, want)}:
            # one call, and its answer lists exactly the ECS servers sent: that is the group now, and a
            # read would say the same (one describe per load balancer less; Terraform reads it back)
            return self._to_attrs(resp, dict(planned, id=lb))
        return self.must_read(dict(planned, id=lb), ctx)

    def update(self, prior: dict, planned: dict, ctx: CallContext) -> dict:
        lb = prior.get("load_balancer_id") or prior["id"]
        old, new = _servers(prior.get("backend_servers")), _servers(planned.get("backend_servers"))
        removed = [old[k] for k in sorted(old) if k not in new]
        added = [new[k] for k in sorted(new) if k not in old]
        changed = [new[k] for k in sorted(new) if k in old and _wire(old[k]) != _wire(new[k])]
        base = {"LoadBalancerId": lb}
        for part in chunks(removed, 20):
            ctx.write(SLB, "RemoveBackendServers", {**base, "BackendServers": dumps([_wire(b) for b in part])})
        for part in chunks(added, 20):
            ctx.write(SLB, "AddBackendServers", {**base, "BackendServers": dumps([_wire(b) for b in part])},
                      reconcile=lambda part=part: _landed(ctx, lb, part))
        for part in chunks(changed, 20):
            ctx.write(SLB, "SetBackendServers", {**base, "BackendServers": dumps([_wire(b) for b in part])})
        return self.must_read(dict(planned, id=lb), ctx)

    def delete(self, prior: dict, ctx: CallContext) -> None:
        lb = prior.get("load_balancer_id") or prior["id"]
        servers = [b for _, b in sorted(_servers(prior.get("backend_servers")).items())]
        for part in chunks(servers, 20):
            try:
                ctx.write(SLB, "RemoveBackendServers", {"LoadBalancerId": lb,
                                                        "BackendServers": dumps([_wire(b) for b in part])},
                          also_retry=("RspoolVipExist", "ObtainIpFail", "ServiceIsStopping"))
            except ApiError as e:
                if e.code == NOT_FOUND:
                    return
                raise

    def read_many(self, priors: list[dict], ctx: CallContext) -> list[dict | None]:
        def describe(lb: str) -> dict | None:
            try:
                return ctx.read(SLB, "DescribeLoadBalancerAttribute", {"LoadBalancerId": lb})
            except ApiError as e:
                if e.code != NOT_FOUND:
                    raise
                return None

        cache = ctx.read_each(describe, (p.get("load_balancer_id") or p["id"] for p in priors))
        out: list[dict | None] = []
        for p in priors:
            resp = cache[p.get("load_balancer_id") or p["id"]]
            out.append(None if resp is None else self._to_attrs(resp, p))
        return out

    def _to_attrs(self, resp: dict, p: dict) -> dict:
        """Attributes from the default group as the API lists it (``p``: the prior or planned values)."""
        lb = p.get("load_balancer_id") or p["id"]
        prior_by_id = _servers(p.get("backend_servers"))
        fresh = []
        for s in items(resp, "BackendServers", "BackendServer"):
            t = s.get("Type") or "ecs"
            b: dict[str, Any] = {"server_id": s["ServerId"], "weight": to_int(s.get("Weight")), "type": t}
            if t != "ecs":
                b["server_ip"] = none_if_empty(s.get("ServerIp"))
            else:
                pb = prior_by_id.get((s["ServerId"], ""), {})
                if pb.get("server_ip") is not None:
                    b["server_ip"] = none_if_empty(s.get("ServerIp"))
            fresh.append(b)
        fresh.sort(key=_key)
        a = {**p, "id": lb, "load_balancer_id": lb, "backend_servers": keep_order(p.get("backend_servers"), fresh)}
        return self.carry(p, a)

    def prior_from_id(self, id: str) -> dict:
        return {"id": id, "load_balancer_id": id}
