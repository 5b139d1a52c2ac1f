"""Supporting network resources: ``alicloud_vpc``, ``alicloud_vswitch``, ``alicloud_security_group``.

Reads are bulk (ids in one describe per page of 50). Attributes the API does not report keep
their configured value.
"""

from __future__ import annotations

import json
from typing import Any

from planner.providers.base import BaseHandler, CallContext, ProviderError, register
from planner.providers.errors import ApiError

from .common import (
    ECS,
    VPC,
    chunks,
    clean,
    items,
    none_if_empty,
    parse_tags,
    sync_ecs_tags,
    tag_params,
    tags_out,
)

# instances and ENIs are released asynchronously: their network may refuse deletion briefly
_LAGGING_DEPENDENTS = ("DependencyViolation", "DependencyViolation.Instance", "DependencyViolation.NetworkInterface")


def sync_vpc_tags(ctx: CallContext, resource_type: str, resource_id: str, old: Any, new: Any) -> None:
    """VPC-product tags change in place: UnTagResources for removed keys, TagResources for the rest
    (ADDED by clbres: before, a tag change on a VPC or vSwitch planned an update forever)."""
    if new is None:
        return
    old, new = dict(old or {}), dict(new or {})
    gone = sorted(k for k in old if k not in new)
    base = {"ResourceType": resource_type, "ResourceId.1": resource_id}
    if gone:
        ctx.write(VPC, "UnTagResources", {**base, **{f"TagKey.{i}": k for i, k in enumerate(gone, 1)}})
    changed = {k: v for k, v in new.items() if old.get(k) != v}
    if changed:
        ctx.write(VPC, "TagResources", {**base, **tag_params(changed)})


class _Bulk(BaseHandler):
    """Shared read_many: describe by id list, 50 per call; None for ids the cloud lacks."""

    product = VPC
    describe = ""
    id_param = ""
    id_field = ""
    path: tuple[str, ...] = ()
    json_ids = False
    per_call = 50

    def load_balancer_id(self, attrs: dict) -> str | None:
        return None

    def _describe(self, ids: list[str], ctx: CallContext) -> dict[str, dict]:
        found: dict[str, dict] = {}
        for part in chunks(sorted(set(ids)), self.per_call):
            ids_value = json.dumps(part) if self.json_ids else ",".join(part)
            resp = ctx.read(self.product, self.describe, {self.id_param: ids_value, "PageSize": 50,
                                                          "PageNumber": 1})
            for obj in items(resp, *self.path):
                found[obj.get(self.id_field)] = obj
        return found

    def _describe_priors(self, priors: list[dict], ctx: CallContext) -> dict[str, dict]:
        return self._describe([p["id"] for p in priors if p.get("id")], ctx) if priors else {}

    def read_many(self, priors: list[dict], ctx: CallContext) -> list[dict | None]:
        found = self._describe_priors(priors, ctx)
        return [None if p.get("id") not in found else self.carry_all(p, self.to_attrs(found[p["id"]], p))
                for p in priors]

    def carry_all(self, prior: dict, fresh: dict) -> dict:
        out = dict(prior)
        out.update(fresh)
        return out

    def to_attrs(self, obj: dict, prior: dict) -> dict:  # pragma: no cover - abstract
        raise NotImplementedError

    def _wait_available(self, prior: dict, ctx: CallContext, what: str) -> dict:
        return ctx.wait_for(what, lambda: self.read_one(prior, ctx),
                            lambda a: a is not None and a.get("status") in (None, "Available"))


@register("alicloud_vpc")
class VpcHandler(_Bulk):
    describe, id_param, id_field, path = "DescribeVpcs", "VpcId", "VpcId", ("Vpcs", "Vpc")
    per_call = 20  # DescribeVpcs takes at most 20 comma-separated ids

    def create(self, planned: dict, ctx: CallContext) -> dict:
        resp = ctx.write(VPC, "CreateVpc", clean({
            "CidrBlock": planned.get("cidr_block"), "VpcName": planned.get("vpc_name"),
            "Description": planned.get("description"), "ResourceGroupId": planned.get("resource_group_id"),
            "ClientToken": ctx.token("create"), **tag_params(planned.get("tags"))}))
        vid = resp.get("VpcId")
        if not vid:
            raise ProviderError("CreateVpc returned no VpcId")
        return self._wait_available(dict(planned, id=vid), ctx, f"VPC {vid} to be available")

    def update(self, prior: dict, planned: dict, ctx: CallContext) -> dict:
        if (planned.get("vpc_name"), planned.get("description")) != (prior.get("vpc_name"), prior.get("description")):
            ctx.write(VPC, "ModifyVpcAttribute", clean({"VpcId": prior["id"], "VpcName": planned.get("vpc_name"),
                                                         "Description": planned.get("description")}))
        sync_vpc_tags(ctx, "VPC", prior["id"], prior.get("tags"), planned.get("tags"))
        return self.must_read(dict(planned, id=prior["id"]), ctx)

    def delete(self, prior: dict, ctx: CallContext) -> None:
        try:
            ctx.write(VPC, "DeleteVpc", {"VpcId": prior["id"]},
                      already_done=("InvalidVpcId.NotFound", "Forbidden.VpcNotFound", "InvalidVpcId.NotExist"),
                      also_retry=_LAGGING_DEPENDENTS)
        except ApiError as e:
            if e.code not in ("InvalidVpcId.NotFound", "Forbidden.VpcNotFound", "InvalidVpcId.NotExist"):
                raise

    def to_attrs(self, v: dict, prior: dict) -> dict:
        return {"id": v["VpcId"], "vpc_name": v.get("VpcName"), "cidr_block": v.get("CidrBlock"),
                "description": none_if_empty(v.get("Description")) or prior.get("description"),
                "resource_group_id": none_if_empty(v.get("ResourceGroupId")),
                "router_id": none_if_empty(v.get("VRouterId")),
                "route_table_id": none_if_empty(v.get("RouteTableId")) or prior.get("route_table_id"),
                "status": v.get("Status"), "create_time": none_if_empty(v.get("CreationTime")),
                "tags": tags_out(parse_tags(v.get("Tags")), prior)}


@register("alicloud_vswitch")
class VSwitchHandler(_Bulk):
    describe, id_param, id_field, path = "DescribeVSwitches", "VSwitchId", "VSwitchId", ("VSwitches", "VSwitch")

    def _describe_priors(self, priors: list[dict], ctx: CallContext) -> dict[str, dict]:
        """DescribeVSwitches filters by one vSwitch id at a time, but lists a whole VPC's
        vSwitches per page: read per VPC when the VPC is known, else per id."""
        found: dict[str, dict] = {}
        by_vpc = {p["id"]: p.get("vpc_id") for p in priors if p.get("id")}
        ids = list(by_vpc)
        for vpc in sorted({by_vpc[i] for i in ids if by_vpc.get(i)}):
            page = 1
            while True:
                resp = ctx.read(VPC, "DescribeVSwitches", {"VpcId": vpc, "PageSize": 50, "PageNumber": page})
                got = items(resp, "VSwitches", "VSwitch")
                for v in got:
                    found[v.get("VSwitchId")] = v
                if len(got) < 50:
                    break
                page += 1
        for i in ids:
            if i not in found and not by_vpc.get(i):
                for v in items(ctx.read(VPC, "DescribeVSwitches", {"VSwitchId": i}), "VSwitches", "VSwitch"):
                    found[v.get("VSwitchId")] = v
        return found

    def create(self, planned: dict, ctx: CallContext) -> dict:
        resp = ctx.write(VPC, "CreateVSwitch", clean({
            "VpcId": planned.get("vpc_id"), "CidrBlock": planned.get("cidr_block"), "ZoneId": planned.get("zone_id"),
            "VSwitchName": planned.get("vswitch_name"), "Description": planned.get("description"),
            "ClientToken": ctx.token("create"), **tag_params(planned.get("tags"))}))
        sid = resp.get("VSwitchId")
        if not sid:
            raise ProviderError("CreateVSwitch returned no VSwitchId")
        return self._wait_available(dict(planned, id=sid), ctx, f"vSwitch {sid} to be available")

    def update(self, prior: dict, planned: dict, ctx: CallContext) -> dict:
        if (planned.get("vswitch_name"), planned.get("description")) != (
                prior.get("vswitch_name"), prior.get("description")):
            ctx.write(VPC, "ModifyVSwitchAttribute", clean({
                "VSwitchId": prior["id"], "VSwitchName": planned.get("vswitch_name"),
                "Description": planned.get("description")}))
        sync_vpc_tags(ctx, "VSWITCH", prior["id"], prior.get("tags"), planned.get("tags"))
        return self.must_read(dict(planned, id=prior["id"]), ctx)

    def delete(self, prior: dict, ctx: CallContext) -> None:
        gone = ("InvalidVSwitchId.NotFound", "InvalidVSwitchId.NotExist")
        try:
            ctx.write(VPC, "DeleteVSwitch", {"VSwitchId": prior["id"]}, already_done=gone,
                      also_retry=_LAGGING_DEPENDENTS)
        except ApiError as e:
            if e.code not in gone:
                raise

    def to_attrs(self, v: dict, prior: dict) -> dict:
        return {"id": v["VSwitchId"], "vpc_id": v.get("VpcId"), "cidr_block": v.get("CidrBlock"),
                "zone_id": v.get("ZoneId"), "vswitch_name": v.get("VSwitchName"),
                "description": none_if_empty(v.get("Description")) or prior.get("description"),
                "status": v.get("Status"), "create_time": none_if_empty(v.get("CreationTime")),
                "tags": tags_out(parse_tags(v.get("Tags")), prior)}


@register("alicloud_security_group")
class SecurityGroupHandler(_Bulk):
    product = ECS
    describe, id_param, id_field = "DescribeSecurityGroups", "SecurityGroupIds", "SecurityGroupId"
    path = ("SecurityGroups", "SecurityGroup")
    json_ids = True

    def create(self, planned: dict, ctx: CallContext) -> dict:
        resp = ctx.write(ECS, "CreateSecurityGroup", clean({
            "VpcId": planned.get("vpc_id"), "SecurityGroupName": planned.get("security_group_name"),
            "Description": planned.get("description"), "SecurityGroupType": planned.get("security_group_type"),
            "ResourceGroupId": planned.get("resource_group_id"), "ClientToken": ctx.token("create"),
            **tag_params(planned.get("tags"))}))
        sg = resp.get("SecurityGroupId")
        if not sg:
            raise ProviderError("CreateSecurityGroup returned no SecurityGroupId")
        return self.must_read(dict(planned, id=sg), ctx)

    def update(self, prior: dict, planned: dict, ctx: CallContext) -> dict:
        if (planned.get("security_group_name"), planned.get("description")) != (
                prior.get("security_group_name"), prior.get("description")):
            ctx.write(ECS, "ModifySecurityGroupAttribute", clean({
                "SecurityGroupId": prior["id"], "SecurityGroupName": planned.get("security_group_name"),
                "Description": planned.get("description")}))
        sync_ecs_tags(ctx, "securitygroup", prior["id"], prior.get("tags"), planned.get("tags"))
        return self.must_read(dict(planned, id=prior["id"]), ctx)

    def delete(self, prior: dict, ctx: CallContext) -> None:
        gone = ("InvalidSecurityGroupId.NotFound",)
        try:
            ctx.write(ECS, "DeleteSecurityGroup", {"SecurityGroupId": prior["id"]}, already_done=gone,
                      also_retry=_LAGGING_DEPENDENTS)
        except ApiError as e:
            if e.code not in gone:
                raise

    def to_attrs(self, g: dict, prior: dict) -> dict:
        a: dict[str, Any] = {"id": g["SecurityGroupId"], "security_group_name": g.get("SecurityGroupName"),
                             "description": none_if_empty(g.get("Description")) or prior.get("description"),
                             "vpc_id": none_if_empty(g.get("VpcId")),
                             "resource_group_id": none_if_empty(g.get("ResourceGroupId")),
                             "tags": tags_out(parse_tags(g.get("Tags")), prior)}
        if g.get("SecurityGroupType"):
            a["security_group_type"] = g["SecurityGroupType"]
        if g.get("InnerAccessPolicy"):
            a["inner_access_policy"] = g["InnerAccessPolicy"]
        return a
