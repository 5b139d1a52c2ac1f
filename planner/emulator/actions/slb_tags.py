"""Tags on CLB resources: ``TagResources``/``UntagResources``/``ListTagResources`` and the legacy ``AddTags`` family."""

from __future__ import annotations

from typing import Any

from planner.emulator.actions.common import get_lb, save_lb
from planner.emulator.codes import err, invalid
from planner.emulator.params import Params, check_tag, parse_json_list
from planner.emulator.registry import Ctx, action

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
