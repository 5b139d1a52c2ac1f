"""Objects around CLB (issue 14 item 2): ``alicloud_security_group_rule``, ``alicloud_ecs_key_pair`` /
``alicloud_key_pair``, and (below) EIPs with their associations.

A security group rule has no id of its own in the classic API: like the provider, its id joins the
fields that identify it (``<group>:<type>:<protocol>:<ports>:<nic>:<peer>:<policy>:<priority>``) and a
read finds the permission with those fields in ``DescribeSecurityGroupAttribute``.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from planner.providers.base import BaseHandler, CallContext, ProviderError, register
from planner.providers.errors import ApiError
from planner.workdir import resolve

from .common import ECS, clean, items, none_if_empty, parse_tags, sync_ecs_tags, tag_params, tags_out
from .network import sync_vpc_tags

SG_GONE = "InvalidSecurityGroupId.NotFound"


def _peer(a: dict) -> str:
    return (a.get("cidr_ip") or a.get("ipv6_cidr_ip") or a.get("source_security_group_id")
            or a.get("prefix_list_id") or "")


def rule_id(a: dict) -> str:
    return ":".join(str(x) for x in (a["security_group_id"], a["type"], a["ip_protocol"], a.get("port_range"),
                                     a.get("nic_type") or "", _peer(a), a.get("policy"), a.get("priority")))


def _rule_params(a: dict) -> dict[str, Any]:
    side = "Source" if a["type"] == "ingress" else "Dest"
    p: dict[str, Any] = {"SecurityGroupId": a["security_group_id"], "IpProtocol": a["ip_protocol"],
                         "PortRange": a.get("port_range") or "-1/-1", "Policy": a.get("policy") or "accept",
                         "Priority": int(a.get("priority") or 1), "NicType": a.get("nic_type"),
                         f"{side}CidrIp": a.get("cidr_ip"), f"Ipv6{side}CidrIp": a.get("ipv6_cidr_ip"),
                         f"{side}GroupId": a.get("source_security_group_id"),
                         f"{side}GroupOwnerAccount": a.get("source_group_owner_account"),
                         f"{side}PrefixListId": a.get("prefix_list_id")}
    return clean(p)


def _matches(perm: dict, a: dict) -> bool:
    side = "Source" if a["type"] == "ingress" else "Dest"
    peer = (perm.get(f"{side}CidrIp") or perm.get(f"Ipv6{side}CidrIp") or perm.get(f"{side}GroupId")
            or perm.get(f"{side}PrefixListId") or "")
    return (str(perm.get("Direction", "")).lower() == a["type"]
            and str(perm.get("IpProtocol", "")).lower() == a["ip_protocol"]
            and perm.get("PortRange") == (a.get("port_range") or "-1/-1")
            and (not a.get("nic_type") or perm.get("NicType") == a["nic_type"])
            and peer == _peer(a)
            and str(perm.get("Policy", "")).lower() == (a.get("policy") or "accept")
            and str(perm.get("Priority")) == str(a.get("priority") or 1))


@register("alicloud_security_group_rule")
class SecurityGroupRuleHandler(BaseHandler):
    """Authorize/Revoke SecurityGroup(Egress); the description changes in place with
    ModifySecurityGroup(Egress)Rule; read from DescribeSecurityGroupAttribute (one call per group)."""

    def load_balancer_id(self, attrs: dict) -> str | None:
        return None

    def create(self, planned: dict, ctx: CallContext) -> dict:
        action = "AuthorizeSecurityGroup" if planned["type"] == "ingress" else "AuthorizeSecurityGroupEgress"
        ctx.write(ECS, action, {**_rule_params(planned), "Description": planned.get("description")},
                  already_done=("InvalidPermission.Duplicate",))
        return self.must_read(dict(planned, id=rule_id(planned)), ctx)

    def update(self, prior: dict, planned: dict, ctx: CallContext) -> dict:
        if planned.get("description") != prior.get("description"):
            action = "ModifySecurityGroupRule" if prior["type"] == "ingress" else "ModifySecurityGroupEgressRule"
            ctx.write(ECS, action, {**_rule_params(prior), "Description": planned.get("description") or ""})
        return self.must_read(dict(planned, id=prior["id"]), ctx)

    def delete(self, prior: dict, ctx: CallContext) -> None:
        action = "RevokeSecurityGroup" if prior["type"] == "ingress" else "RevokeSecurityGroupEgress"
        try:
            ctx.write(ECS, action, _rule_params(prior))
        except ApiError as e:
            if e.code != SG_GONE:
                raise

    def read_many(self, priors: list[dict], ctx: CallContext) -> list[dict | None]:
        cache: dict[str, list[dict] | None] = {}
        out: list[dict | None] = []
        for p in priors:
            sg = p["security_group_id"]
            if sg not in cache:
                try:
                    resp = ctx.read(ECS, "DescribeSecurityGroupAttribute", {"SecurityGroupId": sg, "Direction": "all"})
                    cache[sg] = items(resp, "Permissions", "Permission")
                except ApiError as e:
                    if e.code != SG_GONE:
                        raise
                    cache[sg] = None
            perms = cache[sg]
            found = next((x for x in perms or [] if _matches(x, p)), None)
            if found is None:
                out.append(None)
                continue
            out.append({**p, "nic_type": found.get("NicType") or p.get("nic_type"),
                        "description": none_if_empty(found.get("Description")),
                        "security_group_rule_id": none_if_empty(found.get("SecurityGroupRuleId"))})
        return out

    def prior_from_id(self, id: str) -> dict:
        parts = id.split(":")
        if len(parts) < 8:
            raise ProviderError(f"import id {id!r}: use <security_group_id>:<type>:<ip_protocol>:<port_range>:"
                                "<nic_type>:<cidr_ip or source group>:<policy>:<priority>")
        sg, typ, proto, ports, nic = parts[:5]
        policy, priority = parts[-2], parts[-1]
        peer = ":".join(parts[5:-2])
        a: dict[str, Any] = {"id": id, "security_group_id": sg, "type": typ, "ip_protocol": proto,
                             "port_range": ports, "nic_type": nic or None, "policy": policy,
                             "priority": int(priority)}
        a["source_security_group_id" if peer.startswith("sg-") else "cidr_ip"] = peer
        return a


# --- key pairs ------------------------------------------------------------------------------------

def write_private_key(path: str, body: str) -> None:
    """Save a private key as the provider does (mode 0400), atomically: never a half-written key."""
    target = resolve(path)  # relative to the configuration's directory, as Terraform's -chdir
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".key-")
    try:
        with os.fdopen(fd, "w") as f:
            f.write(body)
        os.chmod(tmp, 0o400)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@register("alicloud_ecs_key_pair", "alicloud_key_pair")
class KeyPairHandler(BaseHandler):
    """ImportKeyPair (public_key given) or CreateKeyPair (the cloud makes the key; its private key is
    written to key_file once); DeleteKeyPairs; read DescribeKeyPairs. Id = the key pair name."""

    config_only = ("public_key", "key_file", "key_name_prefix")

    def load_balancer_id(self, attrs: dict) -> str | None:
        return None

    def _name_attr(self) -> str:
        return "key_pair_name" if self.type_name == "alicloud_ecs_key_pair" else "key_name"

    def create(self, planned: dict, ctx: CallContext) -> dict:
        name = planned.get(self._name_attr())
        if not name:
            # the provider's resource.PrefixedUniqueId: deterministic per step here, so a re-run after
            # a crash asks for the same name
            name = (planned.get("key_name_prefix") or "terraform-") + ctx.token("name")[:20]
        base = {"KeyPairName": name, "ResourceGroupId": planned.get("resource_group_id"),
                **tag_params(planned.get("tags"))}
        if planned.get("public_key"):
            ctx.write(ECS, "ImportKeyPair", clean({**base, "PublicKeyBody": planned["public_key"]}),
                      already_done=("KeyPair.AlreadyExist",))
        else:
            resp = ctx.write(ECS, "CreateKeyPair", clean(base), already_done=("KeyPair.AlreadyExist",))
            body = resp.get("PrivateKeyBody")
            if planned.get("key_file") and body:
                write_private_key(planned["key_file"], body)
        return self.must_read(dict(planned, id=name), ctx)

    def update(self, prior: dict, planned: dict, ctx: CallContext) -> dict:
        sync_ecs_tags(ctx, "keypair", prior["id"], prior.get("tags"), planned.get("tags"))
        return self.must_read(dict(planned, id=prior["id"]), ctx)

    def delete(self, prior: dict, ctx: CallContext) -> None:
        ctx.write(ECS, "DeleteKeyPairs", {"KeyPairNames": json.dumps([prior["id"]])})

    def read_many(self, priors: list[dict], ctx: CallContext) -> list[dict | None]:
        out: list[dict | None] = []
        for p in priors:
            resp = ctx.read(ECS, "DescribeKeyPairs", {"KeyPairName": p["id"], "PageSize": 50})
            found = [k for k in items(resp, "KeyPairs", "KeyPair") if k.get("KeyPairName") == p["id"]]
            if not found:
                out.append(None)
                continue
            k = found[0]
            a = {**p, "id": p["id"], self._name_attr(): p["id"], "finger_print": k.get("KeyPairFingerPrint"),
                 "resource_group_id": none_if_empty(k.get("ResourceGroupId")) or p.get("resource_group_id"),
                 "tags": tags_out(parse_tags(k.get("Tags")), p)}
            if self.type_name == "alicloud_ecs_key_pair":
                a["key_name"] = p["id"]
            out.append(self.carry(p, a))
        return out


# --- EIPs -------------------------------------------------------------------------------------------

EIP_GONE = "InvalidAllocationId.NotFound"
_PAYMENT = {"PostPaid": "PayAsYouGo", "PrePaid": "Subscription"}


@register("alicloud_eip_address", "alicloud_eip")
class EipAddressHandler(BaseHandler):
    """AllocateEipAddress / ModifyEipAddressAttribute / DeletionProtection / ReleaseEipAddress; read
    DescribeEipAddresses. ``alicloud_eip`` is the older resource: ``name``, a numeric bandwidth and
    ``instance_charge_type``."""

    def load_balancer_id(self, attrs: dict) -> str | None:
        return None

    @property
    def _new(self) -> bool:
        return self.type_name == "alicloud_eip_address"

    def _name(self, a: dict) -> Any:
        return a.get("address_name") if self._new else a.get("name")

    def create(self, planned: dict, ctx: CallContext) -> dict:
        charge = planned.get("instance_charge_type")
        if self._new and planned.get("payment_type"):
            charge = "PrePaid" if planned["payment_type"] == "Subscription" else "PostPaid"
        resp = ctx.write("Vpc", "AllocateEipAddress", clean({
            "Bandwidth": str(planned["bandwidth"]) if planned.get("bandwidth") is not None else None,
            "InternetChargeType": planned.get("internet_charge_type"), "InstanceChargeType": charge,
            "ISP": planned.get("isp"), "Netmode": planned.get("netmode"), "Name": self._name(planned),
            "Description": planned.get("description"), "ResourceGroupId": planned.get("resource_group_id"),
            "ActivityId": planned.get("activity_id"), "PublicIpAddressPoolId": planned.get("public_ip_address_pool_id"),
            "Zone": planned.get("zone"), "Period": planned.get("period"), "PricingCycle": planned.get("pricing_cycle"),
            "AutoPay": planned.get("auto_pay"), "ClientToken": ctx.token("create"),
            **tag_params(planned.get("tags"))}))
        eid = resp.get("AllocationId")
        if not eid:
            raise ProviderError("AllocateEipAddress returned no AllocationId")
        if planned.get("deletion_protection"):
            ctx.write("Vpc", "DeletionProtection", {"Type": "EIP", "InstanceId": eid, "ProtectionEnable": "true"})
        return self.must_read(dict(planned, id=eid), ctx)

    def update(self, prior: dict, planned: dict, ctx: CallContext) -> dict:
        eid = prior["id"]
        changes: dict[str, Any] = {}
        if str(planned.get("bandwidth")) != str(prior.get("bandwidth")) and planned.get("bandwidth") is not None:
            changes["Bandwidth"] = str(planned["bandwidth"])
        if self._name(planned) != self._name(prior) and self._name(planned) is not None:
            changes["Name"] = self._name(planned)
        if planned.get("description") != prior.get("description"):
            changes["Description"] = planned.get("description") or ""
        if changes:
            ctx.write("Vpc", "ModifyEipAddressAttribute", {"AllocationId": eid, **changes})
        sync_vpc_tags(ctx, "EIP", eid, prior.get("tags"), planned.get("tags"))
        if planned.get("deletion_protection") is not None and \
                bool(planned["deletion_protection"]) != bool(prior.get("deletion_protection")):
            ctx.write("Vpc", "DeletionProtection", {"Type": "EIP", "InstanceId": eid,
                                                    "ProtectionEnable": str(bool(planned["deletion_protection"])).lower()})
        return self.must_read(dict(planned, id=eid), ctx)

    def delete(self, prior: dict, ctx: CallContext) -> None:
        try:
            # an association deleted just before may still be settling in the cloud
            ctx.write("Vpc", "ReleaseEipAddress", {"AllocationId": prior["id"]}, already_done=(EIP_GONE,),
                      also_retry=("IncorrectEipStatus",))
        except ApiError as e:
            if e.code != EIP_GONE:
                raise

    def read_many(self, priors: list[dict], ctx: CallContext) -> list[dict | None]:
        out: list[dict | None] = []
        by_id: dict[str, dict] = {}
        ids = [p["id"] for p in priors if p.get("id")]
        for i in range(0, len(ids), 50):
            resp = ctx.read("Vpc", "DescribeEipAddresses", {"AllocationId": ",".join(ids[i:i + 50]), "PageSize": 100})
            by_id.update({e.get("AllocationId"): e for e in items(resp, "EipAddresses", "EipAddress")})
        for p in priors:
            e = by_id.get(p.get("id"))
            if e is None:
                out.append(None)
                continue
            a: dict[str, Any] = {**p, "id": p["id"], "description": none_if_empty(e.get("Description")),
                                 "internet_charge_type": e.get("InternetChargeType"), "isp": e.get("Isp"),
                                 "resource_group_id": none_if_empty(e.get("ResourceGroupId")),
                                 "deletion_protection": bool(e.get("DeletionProtection")),
                                 "ip_address": e.get("IpAddress"), "status": e.get("Status"),
                                 "tags": tags_out(parse_tags(e.get("Tags")), p)}
            if self._new:
                name = none_if_empty(e.get("Name"))
                a.update({"address_name": name, "name": name, "bandwidth": str(e.get("Bandwidth")),
                          "payment_type": _PAYMENT.get(e.get("ChargeType"), "PayAsYouGo"),
                          "netmode": e.get("Netmode"), "create_time": e.get("AllocationTime"),
                          "allocation_id": p["id"]})
                if p.get("instance_charge_type") is not None:
                    a["instance_charge_type"] = e.get("ChargeType")
            else:
                a.update({"name": none_if_empty(e.get("Name")), "bandwidth": int(e.get("Bandwidth") or 0),
                          "instance_charge_type": e.get("ChargeType")})
            out.append(a)
        return out


def instance_type_of(instance_id: str) -> str:
    """The provider's inference when instance_type is unset: by the id's prefix."""
    for prefix, typ in (("lb-", "SlbInstance"), ("eni-", "NetworkInterface"), ("ngw-", "Nat"),
                        ("havip-", "HaVip")):
        if instance_id.startswith(prefix):
            return typ
    return "EcsInstance"


@register("alicloud_eip_association")
class EipAssociationHandler(BaseHandler):
    """AssociateEipAddress / UnassociateEipAddress; read DescribeEipAddresses. Id
    ``<allocation_id>:<instance_id>``."""

    config_only = ("force",)

    def load_balancer_id(self, attrs: dict) -> str | None:
        iid = attrs.get("instance_id")
        return iid if isinstance(iid, str) and iid.startswith("lb-") else None

    def create(self, planned: dict, ctx: CallContext) -> dict:
        eid, iid = planned["allocation_id"], planned["instance_id"]
        typ = planned.get("instance_type") or instance_type_of(iid)
        ctx.write("Vpc", "AssociateEipAddress", clean({
            "AllocationId": eid, "InstanceId": iid, "InstanceType": typ,
            "PrivateIpAddress": planned.get("private_ip_address"), "Mode": planned.get("mode"),
            "VpcId": planned.get("vpc_id")}), reconcile=lambda: {} if self.read_one(
                dict(planned, id=f"{eid}:{iid}"), ctx) is not None else None)
        got = ctx.wait_for(f"EIP {eid} to be bound to {iid}", lambda: self.read_one(dict(planned, id=f"{eid}:{iid}"), ctx),
                           lambda a: a is not None)
        return got

    def update(self, prior: dict, planned: dict, ctx: CallContext) -> dict:
        return self.must_read(dict(planned, id=prior["id"]), ctx)

    def delete(self, prior: dict, ctx: CallContext) -> None:
        eid, iid = prior["allocation_id"], prior["instance_id"]
        try:
            ctx.write("Vpc", "UnassociateEipAddress", clean({
                "AllocationId": eid, "InstanceId": iid, "InstanceType": prior.get("instance_type"),
                "Force": "true" if prior.get("force") else None}))
        except ApiError as e:
            if e.code == EIP_GONE:
                return
            if e.code == "IncorrectEipStatus" and self.read_one(prior, ctx) is None:
                return  # not bound to it any more
            raise

    def read_many(self, priors: list[dict], ctx: CallContext) -> list[dict | None]:
        out: list[dict | None] = []
        for p in priors:
            resp = ctx.read("Vpc", "DescribeEipAddresses", {"AllocationId": p["allocation_id"]})
            found = [e for e in items(resp, "EipAddresses", "EipAddress")
                     if e.get("AllocationId") == p["allocation_id"] and e.get("InstanceId") == p["instance_id"]
                     and e.get("Status") in ("InUse", "Associating")]
            if not found:
                out.append(None)
                continue
            e = found[0]
            out.append(self.carry(p, {**p, "id": f"{p['allocation_id']}:{p['instance_id']}",
                                      "instance_type": e.get("InstanceType"),
                                      "private_ip_address": none_if_empty(e.get("PrivateIpAddress")),
                                      "mode": none_if_empty(e.get("Mode"))}))
        return out

    def prior_from_id(self, id: str) -> dict:
        eid, _, iid = id.partition(":")
        if not iid:
            raise ProviderError(f"import id {id!r}: use <allocation_id>:<instance_id>")
        return {"id": id, "allocation_id": eid, "instance_id": iid}
