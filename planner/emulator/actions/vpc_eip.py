"""Elastic IP addresses (VPC product) and their association with a load balancer, an ECS instance or
an ENI.

Rules that matter to CLB, as the real API enforces them:
- an EIP binds only to a load balancer in a VPC, that is an intranet one: an internet load balancer
  has its own public address (InvalidParameter, with that reason);
- one EIP per load balancer, ECS instance or ENI (InvalidAssociation.Duplicated), and an EIP is bound
  to one instance at a time (IncorrectEipStatus while it is InUse);
- a bound EIP cannot be released (IncorrectEipStatus), nor one with deletion protection on;
- bandwidth 1-200 Mbit/s for PayByBandwidth, 1-200 for PayByTraffic (the pay-as-you-go cap).
"""

from __future__ import annotations

from typing import Any

from planner.emulator.actions.common import DEFAULT_RESOURCE_GROUP
from planner.emulator.actions.vpc import _page
from planner.emulator.codes import err, invalid
from planner.emulator.params import Params
from planner.emulator.registry import Ctx, action

INSTANCE_TYPES = ("EcsInstance", "SlbInstance", "Nat", "NetworkInterface", "HaVip", "IpAddress")
ISPS = ("BGP", "BGP_PRO", "ChinaTelecom", "ChinaUnicom", "ChinaMobile", "ChinaTelecom_L2", "ChinaUnicom_L2",
        "ChinaMobile_L2", "BGP_FinanceCloud", "BGP_International")
MAX_BANDWIDTH = 200


def get_eip(ctx: Ctx, allocation_id: str) -> dict[str, Any]:
    e = ctx.store.get("eip", allocation_id)
    if e is None or e["RegionId"] != ctx.region:
        raise err("InvalidAllocationId.NotFound")
    return e


def _save(ctx: Ctx, e: dict[str, Any]) -> None:
    refs = [(e["_Kind"], e["InstanceId"])] if e.get("InstanceId") else []
    ctx.store.put("eip", e["AllocationId"], e, region=e["RegionId"], refs=refs)


def _public_ip(ctx: Ctx) -> str:
    n = ctx.store.next_counter("eip-address", 1)
    return f"47.{96 + (n >> 16) % 64}.{(n >> 8) % 256}.{n % 256}"


def _bandwidth(p: Params, default: int | None) -> int | None:
    return p.int("Bandwidth", 1, MAX_BANDWIDTH, default=default,
                 error=lambda: err("InvalidBandwidth.Malformed"))


@action("Vpc", "AllocateEipAddress")
def allocate_eip_address(ctx: Ctx, p: Params) -> dict:
    """- Bandwidth 1-200 (default 5); InternetChargeType PayByBandwidth (default) | PayByTraffic;
      InstanceChargeType PostPaid (default) | PrePaid; ISP (default BGP); Name, Description"""
    bandwidth = _bandwidth(p, 5)
    charge = p.enum("InternetChargeType", ("PayByBandwidth", "PayByTraffic"), default="PayByBandwidth",
                    error=lambda: invalid("InternetChargeType"))
    instance_charge = p.enum("InstanceChargeType", ("PostPaid", "PrePaid"), default="PostPaid",
                             error=lambda: invalid("InstanceChargeType"))
    isp = p.enum("ISP", ISPS, default="BGP", error=lambda: invalid("ISP"))
    name = p.get("Name", "") or ""
    if len(name) > 128:
        raise invalid("Name")
    eid = ctx.new_id("eip-", 17)
    doc = {"AllocationId": eid, "IpAddress": _public_ip(ctx), "Status": "Available", "InstanceId": "",
           "InstanceType": "", "InstanceRegionId": "", "PrivateIpAddress": "", "Bandwidth": str(bandwidth),
           "InternetChargeType": charge, "ChargeType": instance_charge, "ISP": isp, "Netmode": p.get("Netmode", "public"),
           "Name": name, "Description": p.get("Description", "") or "", "RegionId": ctx.region,
           "AllocationTime": ctx.iso_now(), "ResourceGroupId": p.get("ResourceGroupId", DEFAULT_RESOURCE_GROUP),
           "DeletionProtection": False, "Mode": "NAT", "Tags": {"Tag": [dict(t) for t in p.tags()]}, "_Kind": ""}
    _save(ctx, doc)
    return {"AllocationId": eid, "EipAddress": doc["IpAddress"], "ResourceGroupId": doc["ResourceGroupId"]}


def _eip_out(e: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in e.items() if not k.startswith("_")}
    out["Isp"] = out.pop("ISP")
    return out


@action("Vpc", "DescribeEipAddresses")
def describe_eip_addresses(ctx: Ctx, p: Params) -> dict:
    """- filters AllocationId (comma-separated, at most 50), EipAddress, Status, AssociatedInstanceType,
      AssociatedInstanceId; PageSize at most 100"""
    ids = {x.strip() for x in (p.get("AllocationId") or "").split(",") if x.strip()}
    if len(ids) > 50:
        raise invalid("AllocationId")
    addr, status = p.get("EipAddress"), p.get("Status")
    itype, iid = p.get("AssociatedInstanceType"), p.get("AssociatedInstanceId")
    found = [_eip_out(e) for e in ctx.store.docs("eip", region=ctx.region)
             if (not ids or e["AllocationId"] in ids) and (addr is None or e["IpAddress"] == addr)
             and (status is None or e["Status"] == status) and (itype is None or e["InstanceType"] == itype)
             and (iid is None or e["InstanceId"] == iid)]
    page, num, size = _page(p, found, default_size=10, max_size=100)
    return {"EipAddresses": {"EipAddress": page}, "TotalCount": len(found), "PageNumber": num, "PageSize": size}


@action("Vpc", "ModifyEipAddressAttribute")
def modify_eip_address_attribute(ctx: Ctx, p: Params) -> dict:
    """- Bandwidth (1-200), Name, Description"""
    e = get_eip(ctx, p.req("AllocationId"))
    bw = _bandwidth(p, None)
    if bw is not None:
        e["Bandwidth"] = str(bw)
    for param in ("Name", "Description"):
        v = p.get(param)
        if v is not None:
            if len(v) > (128 if param == "Name" else 256):
                raise invalid(param)
            e[param] = v
    _save(ctx, e)
    return {}


@action("Vpc", "DeletionProtection", write=True)
def deletion_protection(ctx: Ctx, p: Params) -> dict:
    """- Type EIP (the only type emulated), InstanceId = the allocation id, ProtectionEnable true|false"""
    if (p.get("Type") or "").upper() != "EIP":
        raise invalid("Type")
    e = get_eip(ctx, p.req("InstanceId"))
    e["DeletionProtection"] = p.bool("ProtectionEnable")
    _save(ctx, e)
    return {}


@action("Vpc", "ReleaseEipAddress")
def release_eip_address(ctx: Ctx, p: Params) -> dict:
    """- a bound EIP (InUse) cannot be released: IncorrectEipStatus; deletion protection on:
      OperationFailed.DeletionProtection"""
    e = get_eip(ctx, p.req("AllocationId"))
    if e["Status"] != "Available":
        raise err("IncorrectEipStatus")
    if e["DeletionProtection"]:
        raise err("OperationFailed.DeletionProtection")
    ctx.store.delete("eip", e["AllocationId"])
    return {}


def _target(ctx: Ctx, instance_id: str, itype: str) -> tuple[str, dict[str, Any]]:
    """(store kind, document) of the instance an EIP is bound to, with the kind's own rules."""
    if itype == "SlbInstance":
        lb = ctx.store.get("lb", instance_id)
        if lb is None or lb["RegionId"] != ctx.region:
            raise err("InvalidInstanceId.NotFound")
        if lb.get("AddressType") != "intranet" or not lb.get("VpcId"):
            raise err("InvalidParameter", "The specified load balancer is an internet instance: only an intranet "
                                          "load balancer in a VPC can be associated with an EIP.")
        return "lb", lb
    if itype == "EcsInstance":
        inst = ctx.store.get("instance", instance_id)
        if inst is None or inst["RegionId"] != ctx.region:
            raise err("InvalidInstanceId.NotFound")
        if inst.get("Status") not in ("Running", "Stopped"):
            raise err("IncorrectInstanceStatus")
        return "instance", inst
    if itype == "NetworkInterface":
        eni = ctx.store.get("eni", instance_id)
        if eni is None or eni["RegionId"] != ctx.region:
            raise err("InvalidInstanceId.NotFound")
        return "eni", eni
    raise err("InvalidInstanceType.ValueNotSupported")


@action("Vpc", "AssociateEipAddress")
def associate_eip_address(ctx: Ctx, p: Params) -> dict:
    """- InstanceType EcsInstance (default) | SlbInstance | NetworkInterface (Nat, HaVip, IpAddress are
      not emulated: InvalidInstanceType.ValueNotSupported)
    - the EIP must be Available (IncorrectEipStatus); one EIP per instance (InvalidAssociation.Duplicated)
    - a load balancer must be an intranet one in a VPC"""
    e = get_eip(ctx, p.req("AllocationId"))
    instance_id = p.req("InstanceId")
    itype = p.enum("InstanceType", INSTANCE_TYPES, default="EcsInstance",
                   error=lambda: err("InvalidInstanceType.ValueNotSupported"))
    assert itype is not None
    if e["Status"] != "Available":
        raise err("IncorrectEipStatus")
    kind, _ = _target(ctx, instance_id, itype)
    if ctx.store.referrers(kind, instance_id, "eip"):
        raise err("InvalidAssociation.Duplicated")
    e.update({"Status": "InUse", "InstanceId": instance_id, "InstanceType": itype, "InstanceRegionId": ctx.region,
              "PrivateIpAddress": p.get("PrivateIpAddress", "") or "", "Mode": p.get("Mode", "NAT") or "NAT",
              "_Kind": kind})
    _save(ctx, e)
    return {}


@action("Vpc", "UnassociateEipAddress")
def unassociate_eip_address(ctx: Ctx, p: Params) -> dict:
    """- the EIP must be bound to InstanceId (IncorrectEipStatus otherwise)"""
    e = get_eip(ctx, p.req("AllocationId"))
    instance_id = p.req("InstanceId")
    if e["Status"] != "InUse" or e["InstanceId"] != instance_id:
        raise err("IncorrectEipStatus")
    e.update({"Status": "Available", "InstanceId": "", "InstanceType": "", "InstanceRegionId": "",
              "PrivateIpAddress": "", "_Kind": ""})
    _save(ctx, e)
    return {}


def release_bindings(ctx: Ctx, kind: str, instance_id: str) -> None:
    """An instance or load balancer that is deleted frees the EIP bound to it."""
    for _, eid in ctx.store.referrers(kind, instance_id, "eip"):
        e = ctx.store.get("eip", eid)
        if e is not None:
            e.update({"Status": "Available", "InstanceId": "", "InstanceType": "", "InstanceRegionId": "",
                      "PrivateIpAddress": "", "_Kind": ""})
            _save(ctx, e)


# --- tags of VPC-product resources (the provider's tag updates for VPCs, vSwitches and EIPs) --------

_TAG_KINDS = {"VPC": ("vpc", "VpcId"), "VSWITCH": ("vswitch", "VSwitchId"), "EIP": ("eip", "AllocationId")}


def _tag_targets(ctx: Ctx, p: Params) -> list[tuple[str, dict[str, Any]]]:
    rtype = (p.req("ResourceType") or "").upper()
    if rtype not in _TAG_KINDS:
        raise err("InvalidResourceType.NotSupported", "The specified ResourceType is not supported.")
    kind = _TAG_KINDS[rtype][0]
    out = []
    ids = p.flat("ResourceId")
    if len(ids) > 20:
        raise invalid("ResourceId")
    for rid in ids:
        doc = ctx.store.get(kind, rid)
        if doc is None or doc.get("RegionId") != ctx.region:
            raise err("InvalidResourceId.NotFound", "The specified ResourceIds are not found in our records.",
                      status=404)
        out.append((kind, doc))
    return out


def _put_tagged(ctx: Ctx, kind: str, doc: dict[str, Any]) -> None:
    if kind == "eip":
        _save(ctx, doc)
    elif kind == "vswitch":
        ctx.store.put("vswitch", doc["VSwitchId"], doc, region=doc["RegionId"], lb_id=doc["VpcId"])
    else:
        ctx.store.put("vpc", doc["VpcId"], doc, region=doc["RegionId"])


def _tag_list(doc: dict[str, Any]) -> list[dict[str, str]]:
    return list((doc.get("Tags") or {}).get("Tag") or [])


@action("Vpc", "TagResources")
def vpc_tag_resources(ctx: Ctx, p: Params) -> dict:
    """- ResourceType VPC | VSWITCH | EIP; ResourceId.N (at most 20) and Tag.N; at most 20 tags per
      resource (QuotaExceed.TagsPerResource); an existing key gets the new value"""
    targets = _tag_targets(ctx, p)
    if not targets:
        raise err("MissingParam.ResourceId")
    tags = p.tags()
    for kind, doc in targets:
        have = {t["TagKey"]: t["TagValue"] for t in _tag_list(doc)}
        have.update({t["TagKey"]: t["TagValue"] for t in tags})
        if len(have) > 20:
            raise err("QuotaExceed.TagsPerResource")
        doc["Tags"] = {"Tag": [{"TagKey": k, "TagValue": v} for k, v in have.items()]}
        _put_tagged(ctx, kind, doc)
    return {}


@action("Vpc", "UnTagResources")
def vpc_untag_resources(ctx: Ctx, p: Params) -> dict:
    """- TagKey.N removes those keys; All=true removes every tag (the VPC API spells it UnTagResources)"""
    keys = set(p.flat("TagKey"))
    remove_all = p.bool("All")
    for kind, doc in _tag_targets(ctx, p):
        doc["Tags"] = {"Tag": [] if remove_all and not keys else
                       [t for t in _tag_list(doc) if t["TagKey"] not in keys]}
        _put_tagged(ctx, kind, doc)
    return {}


@action("Vpc", "ListTagResources")
def vpc_list_tag_resources(ctx: Ctx, p: Params) -> dict:
    """- the tags of ResourceId.N of one ResourceType"""
    rows = []
    rtype = (p.get("ResourceType") or "").upper()
    for _, doc in _tag_targets(ctx, p):
        rid = doc[_TAG_KINDS[rtype][1]]
        rows += [{"ResourceType": rtype, "ResourceId": rid, "TagKey": t["TagKey"], "TagValue": t["TagValue"]}
                 for t in _tag_list(doc)]
    return {"TagResources": {"TagResource": rows}}
