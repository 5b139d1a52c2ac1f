"""VServer groups: ``alicloud_slb_server_group`` and ``alicloud_slb_server_group_server_attachment``
(reference 4.3, 4.4, 5.4).

Server identity in a group is ``(server_id, port)``. Changes are folded into as few calls as the
API allows: members swapped one for one go in one ``ModifyVServerGroupBackendServers`` (atomic,
no gap in service), the rest in ``Add``/``Remove`` calls, weight changes in
``SetVServerGroupAttribute`` (with a rename folded in), each at most 20 servers per call.
"""

from __future__ import annotations

from typing import Any

from planner.providers.base import BaseHandler, CallContext, ProviderError, register
from planner.providers.errors import ApiError
from planner.schema.facts import MAX_SERVERS_PER_CALL as MAX_PER_CALL

from .common import (
    SLB,
    chunks,
    clean,
    dumps,
    items,
    keep_order,
    none_if_empty,
    not_found,
    parse_tags,
    sync_tags,
    tag_params,
    tags_out,
    to_int,
)

GONE_MSGS = ("The specified VServerGroupId does not exist",)

Member = tuple[str, int]  # (server_id, port)


def _wire(sid: str, port: int, weight: int, typ: str, desc: str | None = None) -> dict[str, Any]:
    d: dict[str, Any] = {"ServerId": sid, "Port": port, "Weight": weight, "Type": typ or "ecs"}
    if desc:
        d["Description"] = desc
    return d


def members_from_blocks(servers: list[dict] | None) -> dict[Member, tuple[int, str]]:
    """``servers { server_ids, port, weight, type }`` blocks to ``{(id, port): (weight, type)}``."""
    out: dict[Member, tuple[int, str]] = {}
    for b in servers or []:
        port = int(b["port"])
        w = 100 if b.get("weight") is None else int(b["weight"])
        t = b.get("type") or "ecs"
        for sid in b.get("server_ids") or []:
            out[(sid, port)] = (w, t)
    return out


def read_group(ctx: CallContext, group_id: str) -> dict | None:
    try:
        return ctx.read(SLB, "DescribeVServerGroupAttribute", {"VServerGroupId": group_id})
    except ApiError as e:
        # the provider treats any InvalidParameter here as "gone" (reference 4.3)
        if not_found(e, "InvalidParameter", "InvalidVServerGroupId.NotFound",
                     "ResourceNotFound.VServerGroup", messages=GONE_MSGS):
            return None
        raise


def api_members(resp: dict) -> list[dict]:
    return [s for s in items(resp, "BackendServers", "BackendServer") if isinstance(s, dict)]


def _landed(ctx: CallContext, group_id: str, *, present: list[Member], absent: list[Member]) -> dict | None:
    """Read-back after a lost response: did the call take effect? ({} yes, None no: re-issue)."""
    resp = read_group(ctx, group_id)
    if resp is None:
        return None
    have = {(m.get("ServerId"), int(m.get("Port") or 0)) for m in api_members(resp)}
    if all(m in have for m in present) and not any(m in have for m in absent):
        return {}
    return None


def apply_member_diff(ctx: CallContext, group_id: str, old: dict[Member, tuple[int, str]],
                      new: dict[Member, tuple[int, str]], rename: str | None = None) -> None:
    """Make the group's members ``new`` with the fewest calls (at most 20 servers each)."""
    removed = sorted(m for m in old if m not in new)
    added = sorted(m for m in new if m not in old)
    # a type change cannot be set in place: swap the member
    retyped = sorted(m for m in new if m in old and old[m][1] != new[m][1])
    removed += retyped
    added += retyped
    reweighted = sorted(m for m in new if m in old and old[m][1] == new[m][1] and old[m][0] != new[m][0])
    gid = {"VServerGroupId": group_id}
    pairs = min(len(removed), len(added))
    for i in range(0, pairs, MAX_PER_CALL):
        olds = removed[i:min(i + MAX_PER_CALL, pairs)]
        news = added[i:min(i + MAX_PER_CALL, pairs)]
        ctx.write(SLB, "ModifyVServerGroupBackendServers", {
            **gid,
            "OldBackendServers": dumps([_wire(s, p, *old[(s, p)]) for s, p in olds]),
            "NewBackendServers": dumps([_wire(s, p, *new[(s, p)]) for s, p in news]),
        }, reconcile=lambda olds=olds, news=news: _landed(ctx, group_id, present=news, absent=olds))
    for part in chunks(removed[pairs:], MAX_PER_CALL):
        ctx.write(SLB, "RemoveVServerGroupBackendServers", {
            **gid, "BackendServers": dumps([_wire(s, p, *old[(s, p)]) for s, p in part])})
    for part in chunks(added[pairs:], MAX_PER_CALL):
        ctx.write(SLB, "AddVServerGroupBackendServers", {
            **gid, "BackendServers": dumps([_wire(s, p, *new[(s, p)]) for s, p in part])},
            reconcile=lambda part=part: _landed(ctx, group_id, present=part, absent=[]))
    first = True
    for part in chunks(reweighted, MAX_PER_CALL):
        p = {**gid, "BackendServers": dumps([_wire(s, pt, *new[(s, pt)]) for s, pt in part])}
        if first and rename:
            p["VServerGroupName"] = rename
        ctx.write(SLB, "SetVServerGroupAttribute", p)
        first = False
    if first and rename:
        ctx.write(SLB, "SetVServerGroupAttribute", {**gid, "VServerGroupName": rename})


@register("alicloud_slb_server_group")
class ServerGroupHandler(BaseHandler):
    config_only = ("delete_protection_validation",)

    def create(self, planned: dict, ctx: CallContext) -> dict:
        want = members_from_blocks(planned.get("servers"))
        ordered = sorted(want)
        first, rest = ordered[:MAX_PER_CALL], ordered[MAX_PER_CALL:]
        p = {"LoadBalancerId": planned["load_balancer_id"], "VServerGroupName": planned.get("name"),
             "ClientToken": ctx.token("create"), **tag_params(planned.get("tags"))}
        if first:
            p["BackendServers"] = dumps([_wire(s, pt, *want[(s, pt)]) for s, pt in first])
        resp = ctx.write(SLB, "CreateVServerGroup", clean(p))
        gid = resp.get("VServerGroupId")
        if not gid:
            raise ProviderError("CreateVServerGroup returned no VServerGroupId")
        if rest:
            have = {m: want[m] for m in first}
            apply_member_diff(ctx, gid, have, want)
        elif planned.get("name") and not planned.get("tags"):
            # the create's answer lists the members as the group holds them, and the name and load
            # balancer are what was sent: nothing left for a read to tell (one call per group less;
            # Terraform reads every group back). Tags, or members added after the create, are read.
            return self.to_attrs({"VServerGroupId": gid, "LoadBalancerId": planned["load_balancer_id"],
                                  "VServerGroupName": planned["name"],
                                  "BackendServers": resp.get("BackendServers")}, dict(planned, id=gid))
        return self.must_read(dict(planned, id=gid), ctx)

    def update(self, prior: dict, planned: dict, ctx: CallContext) -> dict:
        gid = prior["id"]
        if "tags" in planned and (planned.get("tags") or {}) != (prior.get("tags") or {}):
            sync_tags(ctx, "vservergroup", gid, prior.get("tags"), planned.get("tags"))
        rename = planned.get("name") if planned.get("name") != prior.get("name") else None
        old = members_from_blocks(prior.get("servers"))
        new = members_from_blocks(planned.get("servers"))
        if planned.get("servers") is None:  # Optional+Computed and unset: leave members alone
            new = old
        apply_member_diff(ctx, gid, old, new, rename)
        return self.must_read(dict(planned, id=gid), ctx)

    def delete(self, prior: dict, ctx: CallContext) -> None:
        try:
            ctx.write(SLB, "DeleteVServerGroup", {"VServerGroupId": prior["id"]},
                      already_done=("InvalidParameter",), also_retry=("RspoolVipExist",))
        except ApiError as e:
            if not not_found(e, "InvalidParameter", messages=GONE_MSGS):
                raise

    def read_many(self, priors: list[dict], ctx: CallContext) -> list[dict | None]:
        got = ctx.read_each(lambda gid: read_group(ctx, gid), (p["id"] for p in priors))
        return [None if got[p["id"]] is None else self.to_attrs(got[p["id"]], p) for p in priors]

    def to_attrs(self, resp: dict, prior: dict) -> dict:
        groups: dict[tuple[int, int, str], list[str]] = {}
        for s in api_members(resp):
            key = (int(s.get("Port") or 0), int(100 if s.get("Weight") is None else s["Weight"]),
                   s.get("Type") or "ecs")
            groups.setdefault(key, []).append(s["ServerId"])
        fresh = [{"server_ids": sorted(ids), "port": port, "weight": w, "type": t}
                 for (port, w, t), ids in sorted(groups.items())]
        prior_servers = prior.get("servers")
        if isinstance(prior_servers, list) and members_from_blocks(prior_servers) == members_from_blocks(fresh):
            servers = prior_servers  # same members: keep the configured grouping and order
        else:
            servers = keep_order(prior_servers, fresh)
        a = {
            "id": resp.get("VServerGroupId") or prior["id"],
            "load_balancer_id": resp.get("LoadBalancerId") or prior.get("load_balancer_id"),
            "name": resp.get("VServerGroupName"),
            "servers": servers,
            "tags": tags_out(parse_tags(resp.get("Tags")), prior),
        }
        return self.carry(prior, a)


@register("alicloud_slb_server_group_server_attachment")
class ServerGroupAttachmentHandler(BaseHandler):
    """One server of a VServer group as its own resource; id ``<group>:<server>:<port>``."""

    def load_balancer_id(self, attrs: dict) -> str | None:
        return None  # the group's load balancer is not among this resource's attributes

    def _wire(self, a: dict) -> dict[str, Any]:
        d: dict[str, Any] = {"ServerId": a["server_id"], "Port": int(a["port"]), "Type": a.get("type") or "ecs"}
        if a.get("weight") is not None:
            d["Weight"] = int(a["weight"])
        if a.get("description"):
            d["Description"] = a["description"]
        return d

    def create(self, planned: dict, ctx: CallContext) -> dict:
        gid = planned["server_group_id"]
        aid = f"{gid}:{planned['server_id']}:{int(planned['port'])}"
        prior = dict(planned, id=aid)
        if ctx.adopt_existing:  # recovery: our earlier attempt may have added it already
            got = self.read_one(prior, ctx)
            if got is not None:
                return got
        ctx.write(SLB, "AddVServerGroupBackendServers",
                  {"VServerGroupId": gid, "BackendServers": dumps([self._wire(planned)])},
                  reconcile=lambda: {} if self.read_one(prior, ctx) is not None else None)
        return self.must_read(prior, ctx)

    def create_many(self, planned: list[dict], ctx: CallContext) -> list[dict]:
        """Several attachments folded into one ``AddVServerGroupBackendServers`` per group and
        20 servers (the executor batches operations with the same batch key), then one read."""
        priors = [dict(p, id=f"{p['server_group_id']}:{p['server_id']}:{int(p['port'])}") for p in planned]
        by_group: dict[str, list[dict]] = {}
        for p in priors:
            by_group.setdefault(p["server_group_id"], []).append(p)
        for gid, members in by_group.items():
            for part in chunks(members, MAX_PER_CALL):
                ctx.write(SLB, "AddVServerGroupBackendServers",
                          {"VServerGroupId": gid, "BackendServers": dumps([self._wire(m) for m in part])},
                          reconcile=lambda part=part: {} if all(self.read_many(part, ctx)) else None)
        got = self.read_many(priors, ctx)
        missing = [p["id"] for p, g in zip(priors, got, strict=True) if g is None]
        if missing:
            raise ProviderError(f"servers not in their group after adding them: {', '.join(missing)}")
        return got  # type: ignore[return-value]

    def delete_many(self, priors: list[dict], ctx: CallContext) -> None:
        by_group: dict[str, list[dict]] = {}
        for p in map(self._fill, priors):
            by_group.setdefault(p["server_group_id"], []).append(p)
        for gid, members in by_group.items():
            for part in chunks(members, MAX_PER_CALL):
                try:
                    ctx.write(SLB, "RemoveVServerGroupBackendServers",
                              {"VServerGroupId": gid, "BackendServers": dumps([self._wire(m) for m in part])})
                except ApiError as e:
                    if not not_found(e, "InvalidParameter", messages=GONE_MSGS):
                        raise

    def update(self, prior: dict, planned: dict, ctx: CallContext) -> dict:
        return self.must_read(dict(planned, id=prior["id"]), ctx)  # every argument forces a new one

    def delete(self, prior: dict, ctx: CallContext) -> None:
        a = self._fill(prior)
        try:
            # the API silently ignores servers that are not members (reference 5.4)
            ctx.write(SLB, "RemoveVServerGroupBackendServers",
                      {"VServerGroupId": a["server_group_id"], "BackendServers": dumps([self._wire(a)])})
        except ApiError as e:
            if not not_found(e, "InvalidParameter", messages=GONE_MSGS):
                raise

    def _fill(self, a: dict) -> dict:
        if a.get("server_group_id") and a.get("server_id") and a.get("port") is not None:
            return a
        parts = str(a.get("id", "")).split(":")
        if len(parts) != 3 or not parts[2].isdigit():
            raise ProviderError(f"invalid attachment id {a.get('id')!r}: expected <server_group_id>:<server_id>:<port>")
        return {**a, "server_group_id": parts[0], "server_id": parts[1], "port": int(parts[2])}

    def read_many(self, priors: list[dict], ctx: CallContext) -> list[dict | None]:
        filled = [self._fill(p) for p in priors]
        # one describe per group, however many attachments it has
        cache = ctx.read_each(lambda gid: read_group(ctx, gid), (p["server_group_id"] for p in filled))
        out: list[dict | None] = []
        for p in filled:
            gid = p["server_group_id"]
            resp = cache[gid]
            hit = None
            if resp is not None:
                for s in api_members(resp):
                    if s.get("ServerId") == p["server_id"] and int(s.get("Port") or 0) == int(p["port"]):
                        hit = s
                        break
            if hit is None:
                out.append(None)
                continue
            out.append({
                **p,
                "id": f"{gid}:{p['server_id']}:{int(p['port'])}",
                "port": int(p["port"]),
                "type": hit.get("Type") or "ecs",
                "weight": to_int(hit.get("Weight")),
                "description": none_if_empty(hit.get("Description")) if hit.get("Description") else p.get("description"),
            })
        return out
