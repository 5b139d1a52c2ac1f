"""Access control lists, server certificates and tags."""

from __future__ import annotations

import hashlib
import ipaddress
import re
from typing import Any

from planner.emulator.actions.common import DEFAULT_RESOURCE_GROUP, get_lb, save_lb, tags_out
from planner.emulator.codes import err, invalid, missing
from planner.emulator.params import Params, check_tag, parse_json_list
from planner.emulator.registry import Ctx, action

MAX_ACLS = 200
MAX_ACL_ENTRIES = 300
MAX_ENTRIES_PER_CALL = 50
_ACL_NAME = re.compile(r"^[A-Za-z0-9\u4e00-\u9fa5./_-]{1,80}$")
_CERT_NAME = re.compile(r"^[A-Za-z\u4e00-\u9fa5][A-Za-z0-9\u4e00-\u9fa5._-]{0,79}$")


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


# --- server certificates ------------------------------------------------------------------------

def _get_cert(ctx: Ctx, cert_id: str) -> dict[str, Any]:
    c = ctx.store.get("cert", cert_id)
    if c is None or c["RegionId"] != ctx.region:
        raise err("ServerCertificateId.NotFound")
    return c


@action("Slb", "UploadServerCertificate")
def upload_server_certificate(ctx: Ctx, p: Params) -> dict:
    """- ServerCertificate (PEM certificate) with PrivateKey (PEM key), or AliCloudCertificateId
    - name 1-80 characters starting with a letter; at most 100 certificates per region"""
    cert = p.get("ServerCertificate")
    key = p.get("PrivateKey")
    ali = p.get("AliCloudCertificateId")
    if not ali:
        if not cert or not key:
            raise missing("ServerCertificate" if not cert else "PrivateKey")
        if "BEGIN CERTIFICATE" not in cert:
            raise err("IllegalParam.ServerCertificate")
        if "PRIVATE KEY" not in key:
            raise err("InvalidParameter", "The specified ServerCertificate and PrivateKey fail to validate.")
    name = p.get("ServerCertificateName")
    if name is not None and not _CERT_NAME.match(name):
        raise invalid("ServerCertificateName")
    if ctx.store.count("cert", region=ctx.region) >= 100:
        raise err("OverQuota", "The Total is over the quota", status=400)
    n = ctx.store.next_counter("cert", 1000)
    cert_id = f"{1231579085529123 + n}_{ctx.rng.randrange(16**10):010x}_{ctx.region}"
    body = (cert or ali or "").encode()
    fp = hashlib.sha1(body).hexdigest()
    doc = {"ServerCertificateId": cert_id, "ServerCertificateName": name or cert_id,
           "Fingerprint": ":".join(fp[i:i + 2] for i in range(0, 40, 2)), "RegionId": ctx.region,
           "CommonName": "example.com", "SubjectAlternativeNames": {"SubjectAlternativeName": []},
           "ExpireTime": "2030-01-01T00:00:00Z", "ExpireTimeStamp": 1893456000000,
           "CreateTime": ctx.iso_now(), "CreateTimeStamp": ctx.ms_now(), "IsAliCloudCertificate": 1 if ali else 0,
           "AliCloudCertificateId": ali or "", "ResourceGroupId": p.get("ResourceGroupId", DEFAULT_RESOURCE_GROUP),
           "Tags": p.tags()}
    ctx.store.put("cert", cert_id, doc, region=ctx.region)
    return {k: v for k, v in doc.items() if k not in ("Tags",)}


@action("Slb", "DescribeServerCertificates")
def describe_server_certificates(ctx: Ctx, p: Params) -> dict:
    want = p.get("ServerCertificateId")
    ids = {x.strip() for x in want.split(",")} if want else None
    items = [dict(c, Tags=tags_out(c)) for c in ctx.store.docs("cert", region=ctx.region)
             if ids is None or c["ServerCertificateId"] in ids]
    return {"ServerCertificates": {"ServerCertificate": items}}


@action("Slb", "DeleteServerCertificate")
def delete_server_certificate(ctx: Ctx, p: Params) -> dict:
    """- a certificate used by a listener cannot be deleted (CertificateAndPrivateKeyIsRefered), nor one
      a domain extension uses (CertificateRelatedDomainExtensionExist)"""
    c = _get_cert(ctx, p.req("ServerCertificateId"))
    if ctx.store.referrers("cert", c["ServerCertificateId"], "listener"):
        raise err("CertificateAndPrivateKeyIsRefered")
    if ctx.store.referrers("cert", c["ServerCertificateId"], "domainext"):
        raise err("CertificateRelatedDomainExtensionExist")
    ctx.store.delete("cert", c["ServerCertificateId"])
    return {}


@action("Slb", "SetServerCertificateName")
def set_server_certificate_name(ctx: Ctx, p: Params) -> dict:
    c = _get_cert(ctx, p.req("ServerCertificateId"))
    name = p.req("ServerCertificateName")
    if not _CERT_NAME.match(name):
        raise invalid("ServerCertificateName")
    c["ServerCertificateName"] = name
    ctx.store.put("cert", c["ServerCertificateId"], c, region=ctx.region)
    return {}


# --- tags ---------------------------------------------------------------------------------------

RESOURCE_KINDS = {"instance": "lb", "certificate": "cert", "acl": "acl", "listener": "listener",
                  "vservergroup": "vsg", "masterslaveservergroup": "msg"}
MAX_TAGS = 20
TAG_PAGE = 50


def _resource(ctx: Ctx, rtype: str, rid: str) -> tuple[str, dict[str, Any]]:
    kind = RESOURCE_KINDS[rtype]
    doc = ctx.store.get(kind, rid)
    if doc is None and kind == "cert":  # ResourceType certificate covers CA certificates too
        kind, doc = "cacert", ctx.store.get("cacert", rid)
    if doc is None or doc.get("RegionId", ctx.region) != ctx.region:
        raise err("ResourceNotExist", None, f"The resource {rid} does not exist")
    return kind, doc


def _save(ctx: Ctx, kind: str, rid: str, doc: dict[str, Any]) -> None:
    from planner.emulator.actions.common import save_listener

    if kind == "listener":
        save_listener(ctx, doc)
    elif kind == "lb":
        save_lb(ctx, doc)
    else:
        ctx.store.put(kind, rid, doc, region=ctx.region, lb_id=doc.get("LoadBalancerId"))


def _rtype(p: Params) -> str:
    rtype = p.req("ResourceType").lower()
    if rtype not in RESOURCE_KINDS:
        raise err("InvalidParam.ResourceType")
    return rtype


def _resource_ids(p: Params, required: bool = True) -> list[str]:
    ids = p.flat("ResourceId")
    if not ids and required:
        raise err("MissingParam.ResourceId")
    if len(ids) > 20:
        raise err("SizeLimitExceeded.ResourceId")
    return ids


@action("Slb", "TagResources")
def tag_resources(ctx: Ctx, p: Params) -> dict:
    """- ResourceType instance|certificate|acl|listener|vservergroup|masterslaveservergroup
      (listener ResourceId = <lb>_<protocol>_<port>); ResourceId.N <= 20; Tag.N <= 20
    - at most 20 tags per resource; an existing key gets the new value"""
    rtype = _rtype(p)
    ids = _resource_ids(p)
    tags = p.tags()
    if not tags:
        raise err("MissingParam.TagKey", "The parameter TagKey is required.")
    for rid in ids:
        kind, doc = _resource(ctx, rtype, rid)
        have = {t["TagKey"]: t["TagValue"] for t in doc.get("Tags", [])}
        for t in tags:
            have[t["TagKey"]] = t["TagValue"]
        if len(have) > MAX_TAGS:
            raise err("QuotaExceed.TagsPerResource")
        doc["Tags"] = [{"TagKey": k, "TagValue": v} for k, v in have.items()]
        _save(ctx, kind, rid, doc)
    return {}


@action("Slb", "UntagResources")
def untag_resources(ctx: Ctx, p: Params) -> dict:
    """- TagKey.N <= 20 removes those keys; All=true with no keys removes every tag"""
    rtype = _rtype(p)
    ids = _resource_ids(p)
    keys = set(p.flat("TagKey"))
    if len(keys) > 20:
        raise err("SizeLimitExceeded.Tag")
    remove_all = p.bool("All")
    for rid in ids:
        kind, doc = _resource(ctx, rtype, rid)
        if keys:
            doc["Tags"] = [t for t in doc.get("Tags", []) if t["TagKey"] not in keys]
        elif remove_all:
            doc["Tags"] = []
        _save(ctx, kind, rid, doc)
    return {}


@action("Slb", "ListTagResources")
def list_tag_resources(ctx: Ctx, p: Params) -> dict:
    """- ResourceId.N and/or Tag.N (MissingParam.TagOrResourceId); NextToken paging (50 per page)"""
    from planner.emulator.actions.slb_instances import match_tags

    rtype = _rtype(p)
    ids = _resource_ids(p, required=False)
    want = [(o["key"], o.get("value")) for o in p.flat_objects("Tag") if o.get("key")]
    if not ids and not want:
        raise err("MissingParam.TagOrResourceId")
    kind = RESOURCE_KINDS[rtype]
    if ids:
        docs = [(rid, ctx.store.get(kind, rid)) for rid in ids]
    else:
        docs = [(rid, ctx.store.get(kind, rid)) for rid in ctx.store.ids(kind, region=ctx.region)]
    rows = []
    for rid, doc in docs:
        if doc is None or (want and not match_tags(doc, want)):
            continue
        for t in doc.get("Tags", []):
            rows.append({"ResourceType": rtype, "ResourceId": rid, "TagKey": t["TagKey"], "TagValue": t["TagValue"]})
    start = 0
    token = p.get("NextToken")
    if token:
        try:
            start = int(token, 16)
        except ValueError:
            raise err("InvalidParam.NextToken")
    out: dict[str, Any] = {"TagResources": {"TagResource": rows[start:start + TAG_PAGE]}}
    if start + TAG_PAGE < len(rows):
        out["NextToken"] = format(start + TAG_PAGE, "x")
    return out


def _legacy_tags(p: Params, *, required: bool = True) -> list[dict[str, str]]:
    raw = p.get("Tags")
    if raw is None:
        if required:
            raise err("MissingParameter.Tags")
        return []
    try:
        val = parse_json_list(raw)
    except ValueError:
        raise err("InvalidTag")
    items = val if isinstance(val, list) else [val]
    out = []
    for it in items:
        if not isinstance(it, dict):
            raise err("InvalidTag")
        low = {str(k).lower(): ("" if v is None else str(v)) for k, v in it.items()}
        key = low.get("tagkey", "")
        try:
            check_tag(key, low.get("tagvalue", ""))
        except Exception:
            raise err("InvalidParameter.TagKey")
        out.append({"TagKey": key, "TagValue": low.get("tagvalue", "")})
    return out


@action("Slb", "AddTags")
def add_tags(ctx: Ctx, p: Params) -> dict:
    """- legacy, instances only: Tags JSON [{"TagKey","TagValue"}], at most 5 per call and 10 per
      instance (QuotaExceed.TagsPerResource); an existing key is overwritten"""
    lb = get_lb(ctx, p.req("LoadBalancerId"))
    tags = _legacy_tags(p)
    if len(tags) > 5:
        raise err("SizeLimitExceeded.Tag")
    have = {t["TagKey"]: t["TagValue"] for t in lb.get("Tags", [])}
    for t in tags:
        have[t["TagKey"]] = t["TagValue"]
    if len(have) > 10:
        raise err("QuotaExceed.TagsPerResource")
    lb["Tags"] = [{"TagKey": k, "TagValue": v} for k, v in have.items()]
    save_lb(ctx, lb)
    return {}


@action("Slb", "RemoveTags")
def remove_tags(ctx: Ctx, p: Params) -> dict:
    """- legacy: removes the given key (and value, when given) pairs from one instance"""
    lb = get_lb(ctx, p.req("LoadBalancerId"))
    tags = _legacy_tags(p)
    if len(tags) > 5:
        raise err("SizeLimitExceeded.Tag")
    drop = {(t["TagKey"], t["TagValue"]) for t in tags}
    keys_only = {t["TagKey"] for t in tags if t["TagValue"] == ""}
    lb["Tags"] = [t for t in lb.get("Tags", [])
                  if (t["TagKey"], t["TagValue"]) not in drop and t["TagKey"] not in keys_only]
    save_lb(ctx, lb)
    return {}


@action("Slb", "DescribeTags")
def describe_tags(ctx: Ctx, p: Params) -> dict:
    """- legacy: tag sets with the number of instances carrying each; LoadBalancerId (<= 10,
      comma-separated), Tags filter, DistinctKey; PageSize <= 100"""
    ids = [x.strip() for x in (p.get("LoadBalancerId") or "").split(",") if x.strip()]
    if len(ids) > 10:
        raise invalid("LoadBalancerId")
    want = _legacy_tags(p, required=False)
    distinct = p.bool("DistinctKey")
    num = p.int("PageNumber", 1, None, default=1)
    size = p.int("PageSize", 1, 100, default=50)
    assert num is not None and size is not None
    docs = [get_lb(ctx, i) for i in ids] if ids else ctx.store.docs("lb", region=ctx.region)
    counts: dict[tuple[str, str], int] = {}
    for d in docs:
        for t in d.get("Tags", []):
            if want and not any(t["TagKey"] == w["TagKey"] and (not w["TagValue"] or t["TagValue"] == w["TagValue"])
                                for w in want):
                continue
            k = (t["TagKey"], "" if distinct else t["TagValue"])
            counts[k] = counts.get(k, 0) + 1
    rows = [{"TagKey": k, "TagValue": v, "InstanceCount": n} for (k, v), n in counts.items()]
    page = rows[(num - 1) * size: num * size]
    return {"TagSets": {"TagSet": page}, "TotalCount": len(rows), "PageNumber": num, "PageSize": size}

