"""Access control lists (``*AccessControlList*``): the whitelists and blacklists a listener uses."""

from __future__ import annotations

import ipaddress
import re
from typing import Any

from planner.emulator.actions.common import DEFAULT_RESOURCE_GROUP, tags_out
from planner.emulator.codes import err, invalid
from planner.emulator.params import Params
from planner.emulator.registry import Ctx, action

MAX_ACLS = 200
MAX_ACL_ENTRIES = 300
MAX_ENTRIES_PER_CALL = 50
_ACL_NAME = re.compile(r"^[A-Za-z0-9\u4e00-\u9fa5./_-]{1,80}$")


# --- ACLs -------------------------------------------------------------------------------------

def _get_acl(ctx: Ctx, acl_id: str) -> dict[str, Any]:
    acl = ctx.store.get("acl", acl_id)
    if acl is None or acl["RegionId"] != ctx.region:
        raise err("AclNotExist")
    return acl


def _save_acl(ctx: Ctx, acl: dict[str, Any]) -> None:
    ctx.store.put("acl", acl["AclId"], acl, region=acl["RegionId"])


@action("Slb", "CreateAccessControlList")
def create_access_control_list(ctx: Ctx, p: Params) -> dict:
    """- AclName 1-80 characters ([A-Za-z0-9./_-]), unique in the region
    - at most 200 ACLs per region (AclNumberOverLimit); AddressIPVersion ipv4 (default) or ipv6"""
    name = p.req("AclName")
    if not _ACL_NAME.match(name):
        raise invalid("AclName")
    ipv = p.enum("AddressIPVersion", ("ipv4", "ipv6"), default="ipv4")
    tags = p.tags()
    acls = ctx.store.docs("acl", region=ctx.region)
    if any(a["AclName"] == name for a in acls):
        raise err("AclNameExist")
    if len(acls) >= MAX_ACLS:
        raise err("AclNumberOverLimit")
    acl_id = ctx.new_id("acl-", 17)
    acl = {"AclId": acl_id, "AclName": name, "AddressIPVersion": ipv, "RegionId": ctx.region,
           "ResourceGroupId": p.get("ResourceGroupId", DEFAULT_RESOURCE_GROUP), "AclEntrys": [],
           "CreateTime": ctx.iso_now(), "Tags": tags}
    _save_acl(ctx, acl)
    return {"AclId": acl_id}


@action("Slb", "SetAccessControlListAttribute")
def set_access_control_list_attribute(ctx: Ctx, p: Params) -> dict:
    """- renames; the new name follows the create rules and stays unique"""
    acl = _get_acl(ctx, p.req("AclId"))
    name = p.req("AclName")
    if not _ACL_NAME.match(name):
        raise invalid("AclName")
    if any(a["AclName"] == name and a["AclId"] != acl["AclId"] for a in ctx.store.docs("acl", region=ctx.region)):
        raise err("AclNameExist")
    acl["AclName"] = name
    _save_acl(ctx, acl)
    return {}


def _entries(p: Params, acl: dict[str, Any], *, validate: bool) -> list[dict[str, str]]:
    items = p.json_list("AclEntrys", malformed=lambda: invalid("AclEntrys"))
    assert items is not None
    if len(items) > MAX_ENTRIES_PER_CALL:
        raise err("AclEntryExceedLimit")
    out = []
    for it in items:
        if not isinstance(it, dict):
            raise invalid("AclEntrys")
        low = {str(k).lower(): ("" if v is None else str(v)) for k, v in it.items()}
        entry = low.get("entry", "").strip()
        if not entry:
            raise invalid("AclEntrys")
        if validate:
            try:
                net = ipaddress.ip_network(entry, strict=False)
            except ValueError:
                raise err("AclEntryIllegal", None, f"The entry {entry} is illegal")
            if f"ipv{net.version}" != acl["AddressIPVersion"]:
                raise err("IllegalEntry")
            entry = str(net) if "/" in entry else entry
            comment = low.get("comment", "")
            if len(comment) > 100:
                raise err("InvalidParam.Comment", "The specified comment is invalid.")
            out.append({"AclEntryIP": entry, "AclEntryComment": comment})
        else:
            out.append({"AclEntryIP": entry, "AclEntryComment": ""})
    return out


@action("Slb", "AddAccessControlListEntry")
def add_access_control_list_entry(ctx: Ctx, p: Params) -> dict:
    """- AclEntrys: JSON [{"entry": CIDR, "comment": ...}] (lower-case keys), at most 50 per call and
      300 per ACL (AclEntryExceedLimit); the IP version must match the ACL (IllegalEntry)
    - an entry already in the ACL: InvalidParam.AclEntryExists"""
    acl = _get_acl(ctx, p.req("AclId"))
    new = _entries(p, acl, validate=True)
    have = {e["AclEntryIP"] for e in acl["AclEntrys"]}
    seen: set[str] = set()
    for e in new:
        if e["AclEntryIP"] in have or e["AclEntryIP"] in seen:
            raise err("InvalidParam.AclEntryExists")
        seen.add(e["AclEntryIP"])
    if len(acl["AclEntrys"]) + len(new) > MAX_ACL_ENTRIES:
        raise err("AclEntryExceedLimit")
    acl["AclEntrys"].extend(new)
    _save_acl(ctx, acl)
    return {}


@action("Slb", "RemoveAccessControlListEntry")
def remove_access_control_list_entry(ctx: Ctx, p: Params) -> dict:
    """- an ACL without entries: AclEntryEmpty; entries not in the ACL are ignored"""
    acl = _get_acl(ctx, p.req("AclId"))
    drop = {e["AclEntryIP"] for e in _entries(p, acl, validate=False)}
    if not acl["AclEntrys"]:
        raise err("AclEntryEmpty")
    norm = set()
    for d in drop:
        try:
            norm.add(str(ipaddress.ip_network(d, strict=False)) if "/" in d else d)
        except ValueError:
            norm.add(d)
    acl["AclEntrys"] = [e for e in acl["AclEntrys"] if e["AclEntryIP"] not in drop | norm]
    _save_acl(ctx, acl)
    return {}


@action("Slb", "DeleteAccessControlList")
def delete_access_control_list(ctx: Ctx, p: Params) -> dict:
    """- an ACL bound to a listener cannot be deleted (OperationFailed.AclBindedWithVip)"""
    acl = _get_acl(ctx, p.req("AclId"))
    if ctx.store.referrers("acl", acl["AclId"], "listener"):
        raise err("OperationFailed.AclBindedWithVip")
    ctx.store.delete("acl", acl["AclId"])
    return {}


def _related(ctx: Ctx, acl_id: str) -> list[dict[str, Any]]:
    out = []
    for _, lid in ctx.store.referrers("acl", acl_id, "listener"):
        lst = ctx.store.get("listener", lid)
        if lst:
            out.append({"LoadBalancerId": lst["LoadBalancerId"], "ListenerPort": lst["ListenerPort"],
                        "Protocol": lst["ListenerProtocol"], "AclType": lst.get("AclType", "")})
    return out


@action("Slb", "DescribeAccessControlListAttribute")
def describe_access_control_list_attribute(ctx: Ctx, p: Params) -> dict:
    """- entries are paged: Page from 1, PageSize at most 50 (default 10); AclEntryComment filters"""
    acl = _get_acl(ctx, p.req("AclId"))
    page = p.int("Page", 1, None, default=1)
    size = p.int("PageSize", 1, 50, default=10)
    assert page is not None and size is not None
    comment = p.get("AclEntryComment")
    entries = [e for e in acl["AclEntrys"] if comment is None or e["AclEntryComment"] == comment]
    return {"AclId": acl["AclId"], "AclName": acl["AclName"], "AddressIPVersion": acl["AddressIPVersion"],
            "ResourceGroupId": acl["ResourceGroupId"], "CreateTime": acl["CreateTime"],
            "AclEntrys": {"AclEntry": [dict(e) for e in entries[(page - 1) * size: page * size]]},
            "TotalAclEntry": len(entries),
            "RelatedListeners": {"RelatedListener": _related(ctx, acl["AclId"])}, "Tags": tags_out(acl)}


@action("Slb", "DescribeAccessControlLists")
def describe_access_control_lists(ctx: Ctx, p: Params) -> dict:
    """- filters AclName, AddressIPVersion, ResourceGroupId, Tag.N; PageSize at most 50 (default 10)"""
    from planner.emulator.actions.slb_instances import match_tags

    name, ipv, rg = p.get("AclName"), p.get("AddressIPVersion"), p.get("ResourceGroupId")
    want_tags = [(o["key"], o.get("value")) for o in p.flat_objects("Tag") if o.get("key")]
    num = p.int("PageNumber", 1, None, default=1)
    size = p.int("PageSize", 1, 50, default=10)
    assert num is not None and size is not None
    items = [a for a in ctx.store.docs("acl", region=ctx.region)
             if (name is None or a["AclName"] == name) and (ipv is None or a["AddressIPVersion"] == ipv)
             and (rg is None or a["ResourceGroupId"] == rg) and (not want_tags or match_tags(a, want_tags))]
    page = items[(num - 1) * size: num * size]
    return {"Acls": {"Acl": [{"AclId": a["AclId"], "AclName": a["AclName"], "AddressIPVersion": a["AddressIPVersion"],
                              "ResourceGroupId": a["ResourceGroupId"], "CreateTime": a["CreateTime"],
                              "Tags": tags_out(a)} for a in page]},
            "TotalCount": len(items), "PageNumber": num, "PageSize": size, "Count": len(page)}
