"""Security group rules and key pairs (ECS), the objects beside CLB backends.

Rules live inside their security group document. What the real API enforces here:
- a rule is identified by direction, protocol, port range, NIC type, peer (CIDR, group or prefix
  list), policy and priority; authorizing the same rule twice is refused (InvalidPermission.Duplicate),
  the description is not part of the identity;
- at most 200 rules per security group (AuthorizationLimitExceed);
- tcp/udp take ports 1-65535, icmp/gre/all only -1/-1 (InvalidIpPortRange.Malformed);
- a VPC security group only has intranet rules; a peer group must exist and be in the same VPC;
- revoking a rule that does not exist succeeds (the API is idempotent there);
- a group another group's rule names cannot be deleted (DependencyViolation, via references).
"""

from __future__ import annotations

import base64
import hashlib
import ipaddress
import re
from typing import Any

from planner.emulator.actions.vpc import _page
from planner.emulator.codes import err, invalid, missing
from planner.emulator.params import Params
from planner.emulator.registry import Ctx, action

MAX_RULES_PER_GROUP = 200
PROTOCOLS = ("tcp", "udp", "icmp", "icmpv6", "gre", "all")
_PORTS = re.compile(r"^(-?\d+)/(-?\d+)$")
_IDENTITY = ("Direction", "IpProtocol", "PortRange", "NicType", "Peer", "Policy", "Priority")


def _sg(ctx: Ctx, sg_id: str) -> dict[str, Any]:
    sg = ctx.store.get("sg", sg_id)
    if sg is None or sg["RegionId"] != ctx.region:
        raise err("InvalidSecurityGroupId.NotFound")
    return sg


def save_sg(ctx: Ctx, sg: dict[str, Any]) -> None:
    """Stores a group with references to the groups its rules name (so those cannot be deleted)."""
    peers = sorted({r["SourceGroupId"] or r["DestGroupId"] for r in sg.get("_Rules", [])
                    if r.get("SourceGroupId") or r.get("DestGroupId")} - {sg["SecurityGroupId"]})
    ctx.store.put("sg", sg["SecurityGroupId"], sg, region=sg["RegionId"], lb_id=sg.get("VpcId") or None,
                  refs=[("sg", x) for x in peers])


def _cidr(value: str, version: int) -> str:
    try:
        net = ipaddress.ip_network(value.strip(), strict=False)
    except ValueError:
        raise err("InvalidSourceCidrIp.Malformed" if version == 4 else "InvalidIpv6CidrIp.Malformed") from None
    if net.version != version:
        raise err("InvalidSourceCidrIp.Malformed" if version == 4 else "InvalidIpv6CidrIp.Malformed")
    return str(net) if "/" in value else value.strip()


def _rule_from(ctx: Ctx, p: Params, sg: dict[str, Any], direction: str, *, for_revoke: bool) -> dict[str, Any]:
    side = "Source" if direction == "ingress" else "Dest"
    proto = (p.get("IpProtocol") or "").lower()
    if not proto:
        raise missing("IpProtocol")
    if proto not in PROTOCOLS:
        raise err("InvalidIpProtocol.Malformed")
    ports = p.get("PortRange")
    if ports is None:
        raise missing("PortRange")
    m = _PORTS.match(ports)
    if m is None:
        raise err("InvalidIpPortRange.Malformed")
    lo, hi = int(m.group(1)), int(m.group(2))
    if proto in ("tcp", "udp"):
        if not 1 <= lo <= hi <= 65535:
            raise err("InvalidIpPortRange.Malformed")
    elif (lo, hi) != (-1, -1):
        raise err("InvalidIpPortRange.Malformed")
    policy = (p.get("Policy") or "accept").lower()
    if policy not in ("accept", "drop"):
        raise err("InvalidPolicy.Malformed")
    priority = p.int("Priority", 1, 100, default=1, error=lambda: err("InvalidPriority.Malformed"))
    cidr, cidr6 = p.get(f"{side}CidrIp"), p.get(f"Ipv6{side}CidrIp")
    group, prefix = p.get(f"{side}GroupId"), p.get(f"{side}PrefixListId")
    given = [x for x in (cidr, cidr6, group, prefix) if x]
    if not given:
        raise missing(f"{side}CidrIp")
    if len(given) > 1:
        raise invalid(f"{side}CidrIp")
    nic = (p.get("NicType") or ("intranet" if sg["VpcId"] or group else "internet")).lower()
    if nic not in ("internet", "intranet"):
        raise err("InvalidNicType.ValueNotSupported")
    if nic == "internet" and (sg["VpcId"] or group):
        raise err("InvalidNicType.ValueNotSupported")
    rule: dict[str, Any] = {
        "Direction": direction, "IpProtocol": proto.upper(), "PortRange": ports, "NicType": nic,
        "Policy": policy.capitalize(), "Priority": str(priority), "Description": p.get("Description", ""),
        "SourceCidrIp": "", "DestCidrIp": "", "Ipv6SourceCidrIp": "", "Ipv6DestCidrIp": "",
        "SourceGroupId": "", "DestGroupId": "", "SourcePrefixListId": "", "DestPrefixListId": "",
        "SourceGroupOwnerAccount": "", "DestGroupOwnerAccount": "", "SourcePortRange": "",
    }
    if cidr:
        rule[f"{side}CidrIp"] = cidr.strip() if for_revoke else _cidr(cidr, 4)
    elif cidr6:
        rule[f"Ipv6{side}CidrIp"] = cidr6.strip() if for_revoke else _cidr(cidr6, 6)
    elif group:
        if not for_revoke:
            peer = _sg(ctx, group)
            if sg["VpcId"] and peer["VpcId"] and peer["VpcId"] != sg["VpcId"]:
                raise err("InvalidSecurityGroup.NotInSameVpc")
        rule[f"{side}GroupId"] = group
        rule[f"{side}GroupOwnerAccount"] = p.get(f"{side}GroupOwnerAccount", "") or ""
    else:
        rule[f"{side}PrefixListId"] = prefix
    rule["Peer"] = cidr or cidr6 or group or prefix
    return rule


def _key(rule: dict[str, Any]) -> tuple:
    return tuple(str(rule[k]).lower() for k in _IDENTITY)


def _authorize(ctx: Ctx, p: Params, direction: str) -> dict:
    sg = _sg(ctx, p.req("SecurityGroupId"))
    rule = _rule_from(ctx, p, sg, direction, for_revoke=False)
    rules = sg.setdefault("_Rules", [])
    if any(_key(r) == _key(rule) for r in rules):
        raise err("InvalidPermission.Duplicate")
    if len(rules) >= MAX_RULES_PER_GROUP:
        raise err("AuthorizationLimitExceed")
    rule["SecurityGroupRuleId"] = ctx.new_id("sgr-", 17)
    rule["CreateTime"] = ctx.iso_now()
    rules.append(rule)
    save_sg(ctx, sg)
    return {}


def _matching(ctx: Ctx, p: Params, sg: dict[str, Any], direction: str) -> list[dict[str, Any]]:
    ids = set(p.flat("SecurityGroupRuleId"))
    if ids:
        return [r for r in sg.get("_Rules", []) if r["SecurityGroupRuleId"] in ids and r["Direction"] == direction]
    want = _key(_rule_from(ctx, p, sg, direction, for_revoke=True))
    return [r for r in sg.get("_Rules", []) if _key(r) == want]


def _revoke(ctx: Ctx, p: Params, direction: str) -> dict:
    sg = _sg(ctx, p.req("SecurityGroupId"))
    gone = {id(r) for r in _matching(ctx, p, sg, direction)}
    sg["_Rules"] = [r for r in sg.get("_Rules", []) if id(r) not in gone]
    save_sg(ctx, sg)
    return {}


def _modify(ctx: Ctx, p: Params, direction: str) -> dict:
    sg = _sg(ctx, p.req("SecurityGroupId"))
    found = _matching(ctx, p, sg, direction)
    if not found:
        raise err("InvalidSecurityGroupRule.NotFound")
    desc = p.get("Description")
    if desc is not None:
        if len(desc) > 512:
            raise invalid("Description")
        for r in found:
            r["Description"] = desc
    save_sg(ctx, sg)
    return {}


@action("Ecs", "AuthorizeSecurityGroup")
def authorize_security_group(ctx: Ctx, p: Params) -> dict:
    """- inbound rule: IpProtocol, PortRange and one of SourceCidrIp / Ipv6SourceCidrIp /
      SourceGroupId / SourcePrefixListId; Policy accept|drop, Priority 1-100, NicType
    - the same rule twice: InvalidPermission.Duplicate; more than 200 rules: AuthorizationLimitExceed"""
    return _authorize(ctx, p, "ingress")


@action("Ecs", "AuthorizeSecurityGroupEgress")
def authorize_security_group_egress(ctx: Ctx, p: Params) -> dict:
    """- outbound rule: as AuthorizeSecurityGroup with Dest* peers"""
    return _authorize(ctx, p, "egress")


@action("Ecs", "RevokeSecurityGroup")
def revoke_security_group(ctx: Ctx, p: Params) -> dict:
    """- removes the inbound rule named by its fields or SecurityGroupRuleId.N; none matching is not
      an error"""
    return _revoke(ctx, p, "ingress")


@action("Ecs", "RevokeSecurityGroupEgress")
def revoke_security_group_egress(ctx: Ctx, p: Params) -> dict:
    return _revoke(ctx, p, "egress")


@action("Ecs", "ModifySecurityGroupRule")
def modify_security_group_rule(ctx: Ctx, p: Params) -> dict:
    """- changes the description of an inbound rule (InvalidSecurityGroupRule.NotFound when none matches)"""
    return _modify(ctx, p, "ingress")


@action("Ecs", "ModifySecurityGroupEgressRule")
def modify_security_group_egress_rule(ctx: Ctx, p: Params) -> dict:
    return _modify(ctx, p, "egress")


def _permission_out(r: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in r.items() if k != "Peer"}


@action("Ecs", "DescribeSecurityGroupAttribute")
def describe_security_group_attribute(ctx: Ctx, p: Params) -> dict:
    """- Direction all (default) | ingress | egress; NicType filters"""
    sg = _sg(ctx, p.req("SecurityGroupId"))
    direction = (p.get("Direction") or "all").lower()
    if direction not in ("all", "ingress", "egress"):
        raise invalid("Direction")
    nic = p.get("NicType")
    perms = [_permission_out(r) for r in sg.get("_Rules", [])
             if direction in ("all", r["Direction"]) and (nic is None or r["NicType"] == nic)]
    return {"SecurityGroupId": sg["SecurityGroupId"], "SecurityGroupName": sg.get("SecurityGroupName", ""),
            "Description": sg.get("Description", ""), "VpcId": sg.get("VpcId", ""), "RegionId": sg["RegionId"],
            "InnerAccessPolicy": sg.get("InnerAccessPolicy", "Accept"), "Permissions": {"Permission": perms}}


# --- key pairs ----------------------------------------------------------------------------------

_KP_NAME = re.compile(r"^[A-Za-z\u4e00-\u9fa5][A-Za-z0-9\u4e00-\u9fa5:_.-]{1,127}$")
MAX_KEY_PAIRS = 500


def _kp_name(p: Params) -> str:
    name = p.req("KeyPairName")
    if not _KP_NAME.match(name) or name.startswith(("http://", "https://")):
        raise err("InvalidKeyPairName.Malformed")
    return name


def _kp_get(ctx: Ctx, name: str) -> dict[str, Any] | None:
    """Key pairs are named, not numbered: the name is the id (unique in a region)."""
    d = ctx.store.get("keypair", name)
    return d if d is not None and d["RegionId"] == ctx.region else None


def _fingerprint(public_key: str) -> str:
    return hashlib.md5(public_key.encode(), usedforsecurity=False).hexdigest()


def _new_key_pair(ctx: Ctx, p: Params, public_key: str, private_key: str | None) -> dict[str, Any]:
    name = _kp_name(p)
    if _kp_get(ctx, name) is not None:
        raise err("KeyPair.AlreadyExist")
    if ctx.store.count("keypair", region=ctx.region) >= MAX_KEY_PAIRS:
        raise err("QuotaExceed.KeyPair")
    doc = {"KeyPairName": name, "KeyPairId": ctx.new_id("kp-", 17), "KeyPairFingerPrint": _fingerprint(public_key),
           "PublicKey": public_key, "CreationTime": ctx.iso_now(), "RegionId": ctx.region,
           "ResourceGroupId": p.get("ResourceGroupId", ""), "Tags": {"Tag": [dict(t) for t in p.tags()]}}
    ctx.store.put("keypair", name, doc, region=ctx.region)
    out = {"KeyPairName": name, "KeyPairId": doc["KeyPairId"], "KeyPairFingerPrint": doc["KeyPairFingerPrint"]}
    if private_key is not None:
        out["PrivateKeyBody"] = private_key
    return out


@action("Ecs", "CreateKeyPair")
def create_key_pair(ctx: Ctx, p: Params) -> dict:
    """- KeyPairName 2-128 characters starting with a letter, unique in the region (KeyPair.AlreadyExist);
      the cloud makes the key and returns the private key once (PrivateKeyBody)"""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                                serialization.NoEncryption()).decode()
    public = key.public_key().public_bytes(serialization.Encoding.OpenSSH,
                                           serialization.PublicFormat.OpenSSH).decode()
    return _new_key_pair(ctx, p, public, private)


@action("Ecs", "ImportKeyPair")
def import_key_pair(ctx: Ctx, p: Params) -> dict:
    """- PublicKeyBody: an OpenSSH public key (ssh-rsa, ssh-ed25519, ecdsa-sha2-*) else
      InvalidPublicKeyBody.Malformed"""
    body = p.get("PublicKeyBody")
    if not body:
        raise missing("PublicKeyBody")
    parts = body.strip().split()
    ok = len(parts) >= 2 and parts[0] in ("ssh-rsa", "ssh-ed25519", "ssh-dss", "ecdsa-sha2-nistp256",
                                          "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521")
    if ok:
        try:
            base64.b64decode(parts[1], validate=True)
        except ValueError:
            ok = False
    if not ok:
        raise err("InvalidPublicKeyBody.Malformed")
    return _new_key_pair(ctx, p, body.strip(), None)


@action("Ecs", "DescribeKeyPairs")
def describe_key_pairs(ctx: Ctx, p: Params) -> dict:
    """- KeyPairName filters (supports a trailing *), KeyPairFingerPrint; PageSize at most 50"""
    name, fp = p.get("KeyPairName"), p.get("KeyPairFingerPrint")
    found = []
    for d in ctx.store.docs("keypair", region=ctx.region):
        if name and not (d["KeyPairName"] == name or (name.endswith("*") and d["KeyPairName"].startswith(name[:-1]))):
            continue
        if fp and d["KeyPairFingerPrint"] != fp:
            continue
        found.append({k: v for k, v in d.items() if k not in ("PublicKey", "RegionId")})
    page, num, size = _page(p, found)
    return {"KeyPairs": {"KeyPair": page}, "TotalCount": len(found), "PageNumber": num, "PageSize": size}


@action("Ecs", "DeleteKeyPairs")
def delete_key_pairs(ctx: Ctx, p: Params) -> dict:
    """- KeyPairNames: a JSON list of up to 100 names; names that do not exist are ignored"""
    import json

    raw = p.req("KeyPairNames")
    try:
        names = json.loads(raw)
    except ValueError:
        raise invalid("KeyPairNames") from None
    if not isinstance(names, list) or len(names) > 100:
        raise invalid("KeyPairNames")
    for n in names:
        if _kp_get(ctx, str(n)) is not None:
            ctx.store.delete("keypair", str(n))
    return {}


def key_pair_exists(ctx: Ctx, name: str) -> bool:
    return _kp_get(ctx, name) is not None


def _instances_param(ctx: Ctx, p: Params) -> list[dict[str, Any]]:
    import json

    raw = p.req("InstanceIds")
    try:
        ids = json.loads(raw)
    except ValueError:
        raise invalid("InstanceIds") from None
    if not isinstance(ids, list) or not 1 <= len(ids) <= 50:
        raise invalid("InstanceIds")
    out = []
    for iid in ids:
        inst = ctx.store.get("instance", str(iid))
        if inst is None or inst["RegionId"] != ctx.region:
            raise err("InvalidInstanceId.NotFound")
        out.append(inst)
    return out


def _save_instance_key(ctx: Ctx, inst: dict[str, Any]) -> None:
    ctx.store.put("instance", inst["InstanceId"], inst, region=inst["RegionId"],
                  lb_id=inst["VpcAttributes"]["VpcId"])


@action("Ecs", "AttachKeyPair")
def attach_key_pair(ctx: Ctx, p: Params) -> dict:
    """- binds KeyPairName (InvalidKeyPairName.NotFound) to InstanceIds (a JSON list, at most 50);
      a running instance takes it at its next restart"""
    name = p.req("KeyPairName")
    if _kp_get(ctx, name) is None:
        raise err("InvalidKeyPairName.NotFound")
    instances = _instances_param(ctx, p)
    for inst in instances:
        inst["KeyPairName"] = name
        _save_instance_key(ctx, inst)
    return {"TotalCount": str(len(instances)), "FailCount": "0", "KeyPairName": name,
            "Results": {"Result": [{"InstanceId": i["InstanceId"], "Success": "true", "Code": "200",
                                    "Message": "successful"} for i in instances]}}


@action("Ecs", "DetachKeyPair")
def detach_key_pair(ctx: Ctx, p: Params) -> dict:
    """- unbinds KeyPairName from InstanceIds (instances bound to another key pair are left alone)"""
    name = p.req("KeyPairName")
    instances = _instances_param(ctx, p)
    for inst in instances:
        if inst.get("KeyPairName") == name:
            inst["KeyPairName"] = ""
            _save_instance_key(ctx, inst)
    return {"TotalCount": str(len(instances)), "FailCount": "0", "KeyPairName": name,
            "Results": {"Result": [{"InstanceId": i["InstanceId"], "Success": "true", "Code": "200",
                                    "Message": "successful"} for i in instances]}}


# --- instance changes the provider makes in place -------------------------------------------------

MAX_GROUPS_PER_INSTANCE = 5


def _instance(ctx: Ctx, iid: str) -> dict[str, Any]:
    inst = ctx.store.get("instance", iid)
    if inst is None or inst["RegionId"] != ctx.region:
        raise err("InvalidInstanceId.NotFound")
    return inst


@action("Ecs", "JoinSecurityGroup")
def join_security_group(ctx: Ctx, p: Params) -> dict:
    """- adds an instance to a security group of its VPC (InvalidSecurityGroup.VpcMismatch), at most 5
      groups per instance (InstanceSecurityGroupLimitExceeded); already a member: InvalidInstanceId.AlreadyExists"""
    from planner.emulator.actions.ecs import _save_instance

    inst = _instance(ctx, p.req("InstanceId"))
    sg = _sg(ctx, p.req("SecurityGroupId"))
    groups = inst["SecurityGroupIds"]["SecurityGroupId"]
    if sg["SecurityGroupId"] in groups:
        raise err("InvalidInstanceId.AlreadyExists")
    if sg["VpcId"] and sg["VpcId"] != inst["VpcAttributes"]["VpcId"]:
        raise err("InvalidSecurityGroup.VpcMismatch")
    if len(groups) >= MAX_GROUPS_PER_INSTANCE:
        raise err("InstanceSecurityGroupLimitExceeded")
    groups.append(sg["SecurityGroupId"])
    _save_instance(ctx, inst)
    return {}


@action("Ecs", "LeaveSecurityGroup")
def leave_security_group(ctx: Ctx, p: Params) -> dict:
    """- an instance keeps at least one security group (InstanceLastSecurityGroup)"""
    from planner.emulator.actions.ecs import _save_instance

    inst = _instance(ctx, p.req("InstanceId"))
    sg_id = p.req("SecurityGroupId")
    groups = inst["SecurityGroupIds"]["SecurityGroupId"]
    if sg_id not in groups:
        raise err("InvalidSecurityGroupId.NotFound")
    if len(groups) == 1:
        raise err("InstanceLastSecurityGroup")
    groups.remove(sg_id)
    _save_instance(ctx, inst)
    return {}


@action("Ecs", "ModifyInstanceSpec")
def modify_instance_spec(ctx: Ctx, p: Params) -> dict:
    """- a pay-as-you-go instance changes its type only while Stopped (IncorrectInstanceStatus); the
      type must exist (InvalidInstanceType.NotFound)"""
    from planner.emulator.actions.ecs import _itype, _save_instance

    inst = _instance(ctx, p.req("InstanceId"))
    itype = p.get("InstanceType")
    if itype:
        tdoc = _itype(ctx, itype)
        if inst["Status"] != "Stopped":
            raise err("IncorrectInstanceStatus")
        inst["InstanceType"] = itype
        inst["Cpu"] = tdoc["CpuCoreCount"]
        inst["Memory"] = int(tdoc["MemorySize"] * 1024)
    bw = p.int("InternetMaxBandwidthOut", 0, 100)
    if bw is not None:
        inst["InternetMaxBandwidthOut"] = bw
    _save_instance(ctx, inst)
    return {}
