"""Minimal ECS product: security groups, instances, ENIs; types and images from the catalogue.

CLB rules need them: a backend must exist, run, sit in the load balancer's VPC; an ENI backend
must be attached to an instance and its ServerIp must be one of the ENI's private IPs.
"""

from __future__ import annotations

from typing import Any

from planner.emulator import catalogue
from planner.emulator.actions.ecs_rules import key_pair_exists
from planner.emulator.actions.vpc import _page, allocate_ip, get_vswitch
from planner.emulator.actions.vpc_eip import release_bindings
from planner.emulator.codes import err
from planner.emulator.params import Params
from planner.emulator.registry import Ctx, action, copy_doc


def _itype(ctx: Ctx, type_id: str) -> dict[str, Any]:
    """An instance type of the catalogue (or seeded into this cloud)."""
    t = catalogue.instance_type(ctx.store, type_id)
    if t is None:
        raise err("InvalidInstanceType.NotFound")
    return t


def _instance(ctx: Ctx, iid: str) -> dict[str, Any]:
    inst = ctx.store.get("instance", iid)
    if inst is None or inst["RegionId"] != ctx.region:
        raise err("InvalidInstanceId.NotFound")
    return inst


def _sg(ctx: Ctx, sg_id: str) -> dict[str, Any]:
    sg = ctx.store.get("sg", sg_id)
    if sg is None or sg["RegionId"] != ctx.region:
        raise err("InvalidSecurityGroupId.NotFound")
    return sg


def _eni(ctx: Ctx, eni_id: str) -> dict[str, Any]:
    eni = ctx.store.get("eni", eni_id)
    if eni is None or eni["RegionId"] != ctx.region:
        raise err("InvalidEniId.NotFound")
    return eni


def _save_instance(ctx: Ctx, inst: dict[str, Any]) -> None:
    ctx.store.put("instance", inst["InstanceId"], inst, region=inst["RegionId"],
                  lb_id=inst["VpcAttributes"]["VpcId"],
                  refs=[("sg", s) for s in inst["SecurityGroupIds"]["SecurityGroupId"]])


def _save_eni(ctx: Ctx, eni: dict[str, Any]) -> None:
    refs = [("sg", s) for s in eni["SecurityGroupIds"]["SecurityGroupId"]]
    if eni.get("InstanceId"):
        refs.append(("instance", eni["InstanceId"]))
    ctx.store.put("eni", eni["NetworkInterfaceId"], eni, region=eni["RegionId"], lb_id=eni["VpcId"], refs=refs)


@action("Ecs", "CreateSecurityGroup")
def create_security_group(ctx: Ctx, p: Params) -> dict:
    """- VpcId, when given, must exist"""
    vpc_id = p.get("VpcId", "")
    assert vpc_id is not None
    if vpc_id:
        v = ctx.store.get("vpc", vpc_id)
        if v is None or v["RegionId"] != ctx.region:
            raise err("InvalidVpcId.NotFound")
    sg_id = ctx.new_id("sg-")
    doc = {"SecurityGroupId": sg_id, "SecurityGroupName": p.get("SecurityGroupName", ""),
           "Description": p.get("Description", ""), "VpcId": vpc_id, "RegionId": ctx.region,
           "SecurityGroupType": p.get("SecurityGroupType", "normal"), "CreationTime": ctx.iso_now(),
           "Tags": {"Tag": [dict(t) for t in p.tags()]}}
    ctx.store.put("sg", sg_id, doc, region=ctx.region, lb_id=vpc_id)
    return {"SecurityGroupId": sg_id}


@action("Ecs", "DescribeSecurityGroups")
def describe_security_groups(ctx: Ctx, p: Params) -> dict:
    vpc_id = p.get("VpcId")
    want = set(p.flat("SecurityGroupIds")) | ({p.get("SecurityGroupId")} - {None})  # type: ignore[operator]
    items = [s for s in ctx.store.docs("sg", region=ctx.region)
             if (vpc_id is None or s["VpcId"] == vpc_id) and (not want or s["SecurityGroupId"] in want)]
    page, num, size = _page(p, items)
    return {"SecurityGroups": {"SecurityGroup": [{k: v for k, v in s.items() if not k.startswith("_")}
                                                 for s in page]}, "TotalCount": len(items),
            "PageNumber": num, "PageSize": size, "RegionId": ctx.region}


@action("Ecs", "DeleteSecurityGroup")
def delete_security_group(ctx: Ctx, p: Params) -> dict:
    """- a group still used by an instance or ENI cannot be deleted (DependencyViolation)"""
    sg = _sg(ctx, p.req("SecurityGroupId"))
    if ctx.store.referrers("sg", sg["SecurityGroupId"]):
        raise err("DependencyViolation")
    ctx.store.delete("sg", sg["SecurityGroupId"])
    return {}


def _new_instance(ctx: Ctx, p: Params, status: str) -> str:
    itype = p.req("InstanceType")
    tdoc = _itype(ctx, itype)
    image = p.req("ImageId")
    idoc = catalogue.image(ctx.store, ctx.region, image)
    if idoc is None:
        raise err("InvalidImageId.NotFound")
    vsw = get_vswitch(ctx, p.req("VSwitchId"))
    sg = _sg(ctx, p.req("SecurityGroupId"))
    if sg["VpcId"] and sg["VpcId"] != vsw["VpcId"]:
        raise err("InvalidSecurityGroup.VpcMismatch")
    zone = p.get("ZoneId")
    if zone is not None and zone != vsw["ZoneId"]:
        raise err("InvalidVSwitchId.MismatchZone")
    key_pair = p.get("KeyPairName")
    if key_pair and not key_pair_exists(ctx, key_pair):
        raise err("InvalidKeyPairName.NotFound")
    iid = ctx.new_id("i-", 18)
    ip = allocate_ip(ctx, vsw, iid, p.get("PrivateIpAddress"))
    inst = {"InstanceId": iid, "InstanceName": p.get("InstanceName", iid), "HostName": p.get("HostName", iid),
            "Status": status, "InstanceType": itype, "ImageId": image, "OSName": idoc.get("OSName", ""),
            "OSType": idoc.get("OSType", "linux"), "RegionId": ctx.region, "ZoneId": vsw["ZoneId"],
            "InstanceNetworkType": "vpc", "Description": p.get("Description", ""), "Cpu": tdoc["CpuCoreCount"],
            "Memory": int(tdoc["MemorySize"] * 1024),
            "VpcAttributes": {"VpcId": vsw["VpcId"], "VSwitchId": vsw["VSwitchId"],
                              "PrivateIpAddress": {"IpAddress": [ip]}},
            "SecurityGroupIds": {"SecurityGroupId": [sg["SecurityGroupId"]]},
            "KeyPairName": key_pair or "",
            "CreationTime": ctx.iso_now(), "Tags": {"Tag": [{"TagKey": t["TagKey"], "TagValue": t["TagValue"]}
                                                            for t in p.tags()]}}
    _save_instance(ctx, inst)
    return iid


@action("Ecs", "RunInstances")
def run_instances(ctx: Ctx, p: Params) -> dict:
    """- InstanceType and ImageId from the fixed catalogue; the security group in the vSwitch's VPC
    - Amount 1-100 instances, Running, private IPs from the vSwitch"""
    amount = p.int("Amount", 1, 100, default=1)
    assert amount is not None
    if amount > 1 and p.has("PrivateIpAddress"):
        raise err("InvalidParameter", "The specified parameter PrivateIpAddress is not valid.")
    ids = [_new_instance(ctx, p, "Running") for _ in range(amount)]
    return {"InstanceIdSets": {"InstanceIdSet": ids}}


@action("Ecs", "CreateInstance")
def create_instance(ctx: Ctx, p: Params) -> dict:
    """- as RunInstances, one instance, created Stopped"""
    return {"InstanceId": _new_instance(ctx, p, "Stopped")}


def _instance_out(ctx: Ctx, inst: dict[str, Any], attached: list[tuple[str, str]] | None = None) -> dict[str, Any]:
    """An instance as Describe* shows it; ``attached``: its ENIs when the caller looked them up already."""
    out = copy_doc(inst)
    if attached is None:
        attached = ctx.store.referrers("instance", inst["InstanceId"], "eni")
    enis = [{"NetworkInterfaceId": e, "Type": "Secondary"} for _, e in attached]
    out["NetworkInterfaces"] = {"NetworkInterface": enis}
    return out


@action("Ecs", "DescribeInstances")
def describe_instances(ctx: Ctx, p: Params) -> dict:
    """- InstanceIds is a JSON list; filters VpcId, VSwitchId, ZoneId, Status; PageSize <= 100"""
    ids = p.flat("InstanceIds")
    filters = {"VpcId": p.get("VpcId"), "VSwitchId": p.get("VSwitchId")}
    zone, status = p.get("ZoneId"), p.get("Status")
    if ids:
        items = [d for d in (ctx.store.get("instance", i) for i in ids) if d and d["RegionId"] == ctx.region]
    else:
        items = ctx.store.docs("instance", region=ctx.region)
    wanted = [(k, v) for k, v in filters.items() if v is not None]
    if wanted or zone is not None or status is not None:
        items = [d for d in items
                 if all(d["VpcAttributes"][k] == v for k, v in wanted)
                 and (zone is None or d["ZoneId"] == zone) and (status is None or d["Status"] == status)]
    page, num, size = _page(p, items, 10, 100)
    attached = ctx.store.referrers_of_many("instance", [d["InstanceId"] for d in page], "eni")
    return {"Instances": {"Instance": [_instance_out(ctx, d, attached[d["InstanceId"]]) for d in page]},
            "TotalCount": len(items),
            "PageNumber": num, "PageSize": size}


@action("Ecs", "StartInstance")
def start_instance(ctx: Ctx, p: Params) -> dict:
    """- only a Stopped instance can start (IncorrectInstanceStatus)"""
    inst = _instance(ctx, p.req("InstanceId"))
    if inst["Status"] != "Stopped":
        raise err("IncorrectInstanceStatus")
    inst["Status"] = "Running"
    _save_instance(ctx, inst)
    return {}


@action("Ecs", "StopInstance")
def stop_instance(ctx: Ctx, p: Params) -> dict:
    """- only a Running instance can stop (IncorrectInstanceStatus)"""
    inst = _instance(ctx, p.req("InstanceId"))
    if inst["Status"] != "Running":
        raise err("IncorrectInstanceStatus")
    inst["Status"] = "Stopped"
    _save_instance(ctx, inst)
    return {}


def _leave_backends(ctx: Ctx, iid: str) -> None:
    st = ctx.store
    for kind, oid in st.containing(("lb", "vsg"), f'"{iid}"'):
        doc = st.get(kind, oid)
        if doc is None:
            continue
        kept = [s for s in doc["BackendServers"] if s["ServerId"] != iid]
        if len(kept) != len(doc["BackendServers"]):
            doc["BackendServers"] = kept
            st.put(kind, oid, doc, region=doc["RegionId"], lb_id=doc["LoadBalancerId"])


@action("Ecs", "DeleteInstance")
def delete_instance(ctx: Ctx, p: Params) -> dict:
    """- a Running instance needs Force=true; attached ENIs must be detached first
    - a released instance leaves the default server groups and VServer groups it was in"""
    inst = _instance(ctx, p.req("InstanceId"))
    if inst["Status"] == "Running" and not p.bool("Force"):
        raise err("IncorrectInstanceStatus")
    if ctx.store.referrers("instance", inst["InstanceId"], "eni"):
        raise err("DependencyViolation")
    _leave_backends(ctx, inst["InstanceId"])
    release_bindings(ctx, "instance", inst["InstanceId"])
    ctx.store.ip_release_owner(inst["InstanceId"])
    ctx.store.delete("instance", inst["InstanceId"])
    return {}


@action("Ecs", "CreateNetworkInterface")
def create_network_interface(ctx: Ctx, p: Params) -> dict:
    """- VSwitchId and SecurityGroupId (same VPC); PrimaryIpAddress from the vSwitch CIDR;
      PrivateIpAddress.N chosen secondary addresses, or SecondaryPrivateIpAddressCount
      extra addresses (not both)"""
    vsw = get_vswitch(ctx, p.req("VSwitchId"))
    sg = _sg(ctx, p.req("SecurityGroupId"))
    if sg["VpcId"] and sg["VpcId"] != vsw["VpcId"]:
        raise err("InvalidSecurityGroup.VpcMismatch")
    eni_id = ctx.new_id("eni-", 18)
    primary = allocate_ip(ctx, vsw, eni_id, p.get("PrimaryIpAddress"))
    wanted = p.flat("PrivateIpAddress")
    extra = p.int("SecondaryPrivateIpAddressCount", 0, 49, default=0) or 0
    if wanted and extra:
        raise err("InvalidParameter", "PrivateIpAddress.N and SecondaryPrivateIpAddressCount cannot be set together.")
    if len(wanted) > 49:
        raise err("InvalidParameter", "The specified parameter PrivateIpAddress is not valid.")
    ips = [{"PrivateIpAddress": primary, "Primary": True}]
    for ip in wanted:
        ips.append({"PrivateIpAddress": allocate_ip(ctx, vsw, eni_id, ip), "Primary": False})
    for _ in range(extra):
        ips.append({"PrivateIpAddress": allocate_ip(ctx, vsw, eni_id), "Primary": False})
    eni = {"NetworkInterfaceId": eni_id, "NetworkInterfaceName": p.get("NetworkInterfaceName", ""),
           "Status": "Available", "Type": "Secondary", "VpcId": vsw["VpcId"], "VSwitchId": vsw["VSwitchId"],
           "ZoneId": vsw["ZoneId"], "PrivateIpAddress": primary, "PrivateIpSets": {"PrivateIpSet": ips},
           "MacAddress": "00:16:3e:" + ":".join(f"{ctx.rng.randrange(256):02x}" for _ in range(3)),
           "SecurityGroupIds": {"SecurityGroupId": [sg["SecurityGroupId"]]}, "InstanceId": "",
           "RegionId": ctx.region, "CreationTime": ctx.iso_now(), "Description": p.get("Description", ""),
           "Tags": {"Tag": [dict(t) for t in p.tags()]}}
    _save_eni(ctx, eni)
    return {"NetworkInterfaceId": eni_id, "PrimaryIpAddress": primary, "Status": "Available",
            "VpcId": vsw["VpcId"], "VSwitchId": vsw["VSwitchId"], "ZoneId": vsw["ZoneId"],
            "PrivateIpSets": {"PrivateIpSet": copy_doc(ips)}, "MacAddress": eni["MacAddress"]}


@action("Ecs", "AssignPrivateIpAddresses")
def assign_private_ip_addresses(ctx: Ctx, p: Params) -> dict:
    """- PrivateIpAddress.N (from the vSwitch, unused) or SecondaryPrivateIpAddressCount
    - at most the instance type's per-ENI address quota when attached (QuotaExceed.PrivateIpAddress)"""
    eni = _eni(ctx, p.req("NetworkInterfaceId"))
    vsw = get_vswitch(ctx, eni["VSwitchId"])
    wanted = p.flat("PrivateIpAddress")
    count = p.int("SecondaryPrivateIpAddressCount", 1, 49)
    if not wanted and count is None:
        raise err("MissingParameter", "PrivateIpAddress or SecondaryPrivateIpAddressCount is required.")
    ips = eni["PrivateIpSets"]["PrivateIpSet"]
    limit = 50
    if eni.get("InstanceId"):
        inst = ctx.store.get("instance", eni["InstanceId"])
        if inst:
            limit = _itype(ctx, inst["InstanceType"])["EniPrivateIpAddressQuantity"]
    new = [allocate_ip(ctx, vsw, eni["NetworkInterfaceId"], w) for w in wanted]
    new += [allocate_ip(ctx, vsw, eni["NetworkInterfaceId"]) for _ in range(count or 0)]
    if len(ips) + len(new) > limit:
        raise err("QuotaExceed.PrivateIpAddress")
    ips.extend({"PrivateIpAddress": ip, "Primary": False} for ip in new)
    _save_eni(ctx, eni)
    return {"AssignedPrivateIpAddressesSet": {"NetworkInterfaceId": eni["NetworkInterfaceId"],
                                              "PrivateIpSet": {"PrivateIpAddress": new}}}


@action("Ecs", "UnassignPrivateIpAddresses")
def unassign_private_ip_addresses(ctx: Ctx, p: Params) -> dict:
    """- only secondary addresses of this ENI can be unassigned"""
    eni = _eni(ctx, p.req("NetworkInterfaceId"))
    drop = set(p.flat("PrivateIpAddress"))
    if not drop:
        raise err("MissingParameter", "PrivateIpAddress is mandatory for this action.")
    ips = eni["PrivateIpSets"]["PrivateIpSet"]
    secondary = {x["PrivateIpAddress"] for x in ips if not x["Primary"]}
    if not drop <= secondary:
        raise err("InvalidPrivateIpAddress.Mismatch")
    eni["PrivateIpSets"]["PrivateIpSet"] = [x for x in ips if x["PrivateIpAddress"] not in drop]
    for ip in drop:
        ctx.store.ip_release(eni["VSwitchId"], ip)
    _save_eni(ctx, eni)
    return {}


@action("Ecs", "AttachNetworkInterface")
def attach_network_interface(ctx: Ctx, p: Params) -> dict:
    """- the ENI must be Available, in the instance's VPC and zone; the instance type limits how
      many ENIs it holds (InvalidOperation.EniCountExceeded)"""
    eni = _eni(ctx, p.req("NetworkInterfaceId"))
    inst = _instance(ctx, p.req("InstanceId"))
    if eni["Status"] != "Available":
        raise err("InvalidOperation.InvalidEniState")
    if eni["VpcId"] != inst["VpcAttributes"]["VpcId"]:
        raise err("InvalidOperation.VpcMismatch")
    if eni["ZoneId"] != inst["ZoneId"]:
        raise err("InvalidVSwitchId.MismatchZone")
    attached = len(ctx.store.referrers("instance", inst["InstanceId"], "eni"))
    if attached + 1 > _itype(ctx, inst["InstanceType"])["EniQuantity"] - 1:  # the primary NIC counts
        raise err("InvalidOperation.EniCountExceeded")
    eni["Status"] = "InUse"
    eni["InstanceId"] = inst["InstanceId"]
    _save_eni(ctx, eni)
    return {}


@action("Ecs", "DetachNetworkInterface")
def detach_network_interface(ctx: Ctx, p: Params) -> dict:
    """- the ENI must be attached to that instance"""
    eni = _eni(ctx, p.req("NetworkInterfaceId"))
    iid = p.req("InstanceId")
    if eni["Status"] != "InUse" or eni.get("InstanceId") != iid:
        raise err("InvalidOperation.InvalidEniState")
    eni["Status"] = "Available"
    eni["InstanceId"] = ""
    _save_eni(ctx, eni)
    return {}


@action("Ecs", "DescribeNetworkInterfaces")
def describe_network_interfaces(ctx: Ctx, p: Params) -> dict:
    """- NetworkInterfaceId.N, InstanceId, VpcId, VSwitchId filters; PageNumber/PageSize or
      MaxResults (10-500)/NextToken paging"""
    ids = p.flat("NetworkInterfaceId")
    iid, vpc_id, vsw_id = p.get("InstanceId"), p.get("VpcId"), p.get("VSwitchId")
    if ids:
        items = [d for d in (ctx.store.get("eni", i) for i in ids) if d and d["RegionId"] == ctx.region]
    else:
        items = ctx.store.docs("eni", region=ctx.region)
    items = [d for d in items if (iid is None or d.get("InstanceId") == iid)
             and (vpc_id is None or d["VpcId"] == vpc_id) and (vsw_id is None or d["VSwitchId"] == vsw_id)]
    if p.has("MaxResults") or p.has("NextToken"):  # the newer token paging
        max_results = p.int("MaxResults", 10, 500, default=10)
        assert max_results is not None
        token = p.get("NextToken")
        try:
            start = int(token, 16) if token else 0
        except ValueError:
            raise err("InvalidParameter", "The specified parameter NextToken is not valid.")
        out: dict[str, Any] = {"NetworkInterfaceSets": {"NetworkInterfaceSet": [
            copy_doc(d) for d in items[start:start + max_results]]}, "TotalCount": len(items)}
        out["NextToken"] = format(start + max_results, "x") if start + max_results < len(items) else ""
        return out
    page, num, size = _page(p, items, 10, 500)
    return {"NetworkInterfaceSets": {"NetworkInterfaceSet": [copy_doc(d) for d in page]},
            "TotalCount": len(items), "PageNumber": num, "PageSize": size}


@action("Ecs", "DeleteNetworkInterface")
def delete_network_interface(ctx: Ctx, p: Params) -> dict:
    """- an attached ENI cannot be deleted (InvalidOperation.InvalidEniState)"""
    eni = _eni(ctx, p.req("NetworkInterfaceId"))
    if eni["Status"] != "Available":
        raise err("InvalidOperation.InvalidEniState")
    release_bindings(ctx, "eni", eni["NetworkInterfaceId"])
    ctx.store.ip_release_owner(eni["NetworkInterfaceId"])
    ctx.store.delete("eni", eni["NetworkInterfaceId"])
    return {}


@action("Ecs", "ModifySecurityGroupAttribute")
def modify_security_group_attribute(ctx: Ctx, p: Params) -> dict:
    """- renames a security group or changes its description"""
    sg = _sg(ctx, p.req("SecurityGroupId"))
    for k in ("SecurityGroupName", "Description"):
        if p.raw(k) is not None:
            sg[k] = p.raw(k)
    ctx.store.put("sg", sg["SecurityGroupId"], sg, region=ctx.region, lb_id=sg["VpcId"])
    return {}


@action("Ecs", "ModifyInstanceAttribute")
def modify_instance_attribute(ctx: Ctx, p: Params) -> dict:
    """- InstanceName, Description, HostName, Password (write-only)"""
    inst = _instance(ctx, p.req("InstanceId"))
    for k in ("InstanceName", "Description", "HostName"):
        if p.raw(k) is not None:
            inst[k] = p.raw(k)
    _save_instance(ctx, inst)
    return {}


@action("Ecs", "ModifyInstanceVpcAttribute")
def modify_instance_vpc_attribute(ctx: Ctx, p: Params) -> dict:
    """- moves a Stopped instance to another vSwitch of its zone (IncorrectInstanceStatus,
      InvalidVSwitchId.MismatchZone); into another VPC only with VpcId (that vSwitch's VPC) and
      SecurityGroupId.N of the new VPC (InvalidSecurityGroup.VpcMismatch); no secondary ENIs attached
    - a new private IP from the vSwitch (PrivateIpAddress, or the next free one)"""
    inst = _instance(ctx, p.req("InstanceId"))
    vsw = get_vswitch(ctx, p.req("VSwitchId"))
    if inst["Status"] != "Stopped":
        raise err("IncorrectInstanceStatus")
    if vsw["ZoneId"] != inst["ZoneId"]:
        raise err("InvalidVSwitchId.MismatchZone")
    sgs = p.flat("SecurityGroupId")
    vpc_id = p.get("VpcId")
    if vsw["VpcId"] != inst["VpcAttributes"]["VpcId"]:
        if vpc_id != vsw["VpcId"] or not sgs:
            raise err("InvalidParameter", "VpcId (the new vSwitch's VPC) and SecurityGroupId.N are required to "
                                          "move an instance to another VPC.")
        if ctx.store.referrers("instance", inst["InstanceId"], "eni"):
            raise err("InvalidOperation.VpcMismatch")
    elif vpc_id is not None and vpc_id != vsw["VpcId"]:
        raise err("InvalidVSwitchId.NotFound")
    for sg_id in sgs:
        if _sg(ctx, sg_id)["VpcId"] not in ("", vsw["VpcId"]):
            raise err("InvalidSecurityGroup.VpcMismatch")
    ctx.store.ip_release_owner(inst["InstanceId"])
    ip = allocate_ip(ctx, vsw, inst["InstanceId"], p.get("PrivateIpAddress"))
    inst["VpcAttributes"] = {"VpcId": vsw["VpcId"], "VSwitchId": vsw["VSwitchId"],
                             "PrivateIpAddress": {"IpAddress": [ip]}}
    if sgs:
        inst["SecurityGroupIds"] = {"SecurityGroupId": list(dict.fromkeys(sgs))}
    _save_instance(ctx, inst)
    return {}


@action("Ecs", "ModifyNetworkInterfaceAttribute")
def modify_network_interface_attribute(ctx: Ctx, p: Params) -> dict:
    """- name, description, and SecurityGroupId.N (existing groups of the ENI's VPC)"""
    eni = _eni(ctx, p.req("NetworkInterfaceId"))
    for k in ("NetworkInterfaceName", "Description"):
        if p.raw(k) is not None:
            eni[k] = p.raw(k)
    sgs = p.flat("SecurityGroupId")
    if sgs:
        for sg_id in sgs:
            sg = _sg(ctx, sg_id)
            if sg["VpcId"] and sg["VpcId"] != eni["VpcId"]:
                raise err("InvalidSecurityGroup.VpcMismatch")
        eni["SecurityGroupIds"] = {"SecurityGroupId": sgs}
    _save_eni(ctx, eni)
    return {}


_TAG_KINDS = {"instance": "instance", "securitygroup": "sg", "eni": "eni", "keypair": "keypair"}


def _ecs_tags(doc: dict[str, Any]) -> list[dict[str, str]]:
    tags = doc.get("Tags") or {"Tag": []}
    return tags["Tag"] if isinstance(tags, dict) else tags


def _ecs_tag_target(ctx: Ctx, p: Params) -> tuple[str, list[tuple[str, dict[str, Any]]]]:
    rtype = p.req("ResourceType").lower()
    kind = _TAG_KINDS.get(rtype)
    if kind is None:
        raise err("InvalidResourceType.NotSupported", "The specified ResourceType is not supported.")
    out = []
    for rid in p.flat("ResourceId"):
        doc = ctx.store.get(kind, rid)
        if doc is None or doc.get("RegionId") != ctx.region:
            raise err("InvalidResourceId.NotFound", "The specified ResourceIds are not found in our records.",
                      status=404)
        out.append((rid, doc))
    return rtype, out


def _ecs_save(ctx: Ctx, rtype: str, doc: dict[str, Any]) -> None:
    if rtype == "instance":
        _save_instance(ctx, doc)
    elif rtype == "eni":
        _save_eni(ctx, doc)
    elif rtype == "keypair":
        ctx.store.put("keypair", doc["KeyPairName"], doc, region=ctx.region)
    else:
        ctx.store.put("sg", doc["SecurityGroupId"], doc, region=ctx.region, lb_id=doc["VpcId"])


@action("Ecs", "TagResources")
def ecs_tag_resources(ctx: Ctx, p: Params) -> dict:
    """- ResourceType instance|securitygroup|eni|keypair; at most 20 tags per resource"""
    rtype, targets = _ecs_tag_target(ctx, p)
    if not targets:
        raise err("MissingParam.ResourceId")
    tags = p.tags()
    for _, doc in targets:
        have = {t["TagKey"]: t["TagValue"] for t in _ecs_tags(doc)}
        have.update({t["TagKey"]: t["TagValue"] for t in tags})
        if len(have) > 20:
            raise err("QuotaExceed.TagsPerResource")
        doc["Tags"] = {"Tag": [{"TagKey": k, "TagValue": v} for k, v in have.items()]}
        _ecs_save(ctx, rtype, doc)
    return {}


@action("Ecs", "UntagResources")
def ecs_untag_resources(ctx: Ctx, p: Params) -> dict:
    """- TagKey.N removes those keys; All=true removes every tag"""
    rtype, targets = _ecs_tag_target(ctx, p)
    keys = set(p.flat("TagKey"))
    remove_all = p.bool("All")
    for _, doc in targets:
        if keys:
            doc["Tags"] = {"Tag": [t for t in _ecs_tags(doc) if t["TagKey"] not in keys]}
        elif remove_all:
            doc["Tags"] = {"Tag": []}
        _ecs_save(ctx, rtype, doc)
    return {}


@action("Ecs", "ListTagResources")
def ecs_list_tag_resources(ctx: Ctx, p: Params) -> dict:
    rtype, targets = _ecs_tag_target(ctx, p)
    rows = [{"ResourceType": rtype, "ResourceId": rid, "TagKey": t["TagKey"], "TagValue": t["TagValue"]}
            for rid, doc in targets for t in _ecs_tags(doc)]
    return {"TagResources": {"TagResource": rows}}
