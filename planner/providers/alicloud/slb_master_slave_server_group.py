"""``alicloud_slb_master_slave_server_group`` (reference 4.7, 5.5): exactly two servers, one Master
and one Slave; the API has no modify call, so every argument forces a new group."""

from __future__ import annotations

from typing import Any

from planner.providers.base import BaseHandler, CallContext, ProviderError, register
from planner.providers.errors import ApiError

from .common import SLB, clean, dumps, items, not_found, parse_tags, tag_params, to_int

GONE_MSGS = ("The specified MasterSlaveGroupId does not exist",)


def _wire(b: dict) -> dict[str, Any]:
    return clean({"ServerId": b["server_id"], "Port": int(b["port"]),
                  "Weight": int(100 if b.get("weight") is None else b["weight"]),
                  "Type": b.get("type") or "ecs", "ServerType": b.get("server_type")})


def _canon(b: dict) -> tuple:
    return (b.get("server_id"), int(b.get("port") or 0), int(100 if b.get("weight") is None else b["weight"]),
            b.get("type") or "ecs", b.get("server_type"))


@register("alicloud_slb_master_slave_server_group")
class MasterSlaveHandler(BaseHandler):
    config_only = ("delete_protection_validation",)

    def create(self, planned: dict, ctx: CallContext) -> dict:
        servers = sorted(planned.get("servers") or [], key=lambda b: (b.get("server_type") != "Master",))
        p = {"LoadBalancerId": planned["load_balancer_id"], "MasterSlaveServerGroupName": planned.get("name"),
             "MasterSlaveBackendServers": dumps([_wire(b) for b in servers]),
             "ClientToken": ctx.token("create"), **tag_params(planned.get("tags"))}
        resp = ctx.write(SLB, "CreateMasterSlaveServerGroup", clean(p))
        gid = resp.get("MasterSlaveServerGroupId")
        if not gid:
            raise ProviderError("CreateMasterSlaveServerGroup returned no MasterSlaveServerGroupId")
        if planned.get("name") and not planned.get("tags"):
            # the answer lists the members as the group holds them; name and load balancer are what
            # was sent: no read-back (Terraform reads every group back). Tags are read.
            return self._to_attrs({"MasterSlaveServerGroupId": gid, "LoadBalancerId": planned["load_balancer_id"],
                                   "MasterSlaveServerGroupName": planned["name"],
                                   "MasterSlaveBackendServers": resp.get("MasterSlaveBackendServers")},
                                  dict(planned, id=gid))
        return self.must_read(dict(planned, id=gid), ctx)

    def update(self, prior: dict, planned: dict, ctx: CallContext) -> dict:
        return self.must_read(dict(planned, id=prior["id"]), ctx)  # no modify API: nothing to call

    def delete(self, prior: dict, ctx: CallContext) -> None:
        try:
            ctx.write(SLB, "DeleteMasterSlaveServerGroup", {"MasterSlaveServerGroupId": prior["id"]},
                      already_done=("InvalidParameter",), also_retry=("RspoolVipExist",))
        except ApiError as e:
            if not not_found(e, "InvalidParameter", messages=GONE_MSGS):
                raise

    def read_many(self, priors: list[dict], ctx: CallContext) -> list[dict | None]:
        def describe(group_id: str) -> dict | None:
            try:
                return ctx.read(SLB, "DescribeMasterSlaveServerGroupAttribute", {"MasterSlaveServerGroupId": group_id})
            except ApiError as e:
                if not_found(e, "InvalidParameter", messages=GONE_MSGS):
                    return None
                raise

        read = ctx.read_each(describe, (p["id"] for p in priors))
        return [None if read[p["id"]] is None else self._to_attrs(read[p["id"]], p) for p in priors]

    def _to_attrs(self, resp: dict, p: dict) -> dict:
        """Attributes from a group as the API describes it (``p``: the prior or planned values)."""
        fresh = []
        for s in items(resp, "MasterSlaveBackendServers", "MasterSlaveBackendServer"):
            fresh.append({"server_id": s["ServerId"], "port": to_int(s.get("Port")),
                          "weight": to_int(s.get("Weight")), "type": s.get("Type") or "ecs",
                          "server_type": s.get("ServerType")})
        fresh.sort(key=lambda b: (b["server_type"] != "Master", b["server_id"]))
        prior_servers = p.get("servers")
        servers = prior_servers if isinstance(prior_servers, list) and \
            sorted(map(_canon, prior_servers)) == sorted(map(_canon, fresh)) else fresh
        tags = parse_tags(resp.get("Tags"))
        a = {**p, "id": resp.get("MasterSlaveServerGroupId") or p["id"],
             "load_balancer_id": resp.get("LoadBalancerId") or p.get("load_balancer_id"),
             "name": resp.get("MasterSlaveServerGroupName"), "servers": servers}
        if tags or p.get("tags"):
            a["tags"] = tags
        return self.carry(p, a)
