"""Small shared pieces of the alicloud handlers: response shapes, tags, on/off flags, chunks."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from planner import compact_json
from planner.providers.base import CallContext
from planner.providers.errors import ApiError

SLB = "Slb"
VPC = "Vpc"
ECS = "Ecs"

# tag keys the provider ignores on read (reference 4.0)
_SYSTEM_TAG_PREFIXES = ("aliyun", "acs:", "http://", "https://")


def items(resp: Mapping[str, Any] | None, *path: str) -> list[dict]:
    """``resp["A"]["B"]`` as a list, tolerating the API's habit of wrapping lists in objects,
    omitting empty ones, or returning a single object."""
    cur: Any = resp
    for p in path:
        if not isinstance(cur, Mapping):
            return []
        cur = cur.get(p)
    if cur is None:
        return []
    if isinstance(cur, list):
        return cur
    if isinstance(cur, Mapping):
        # a wrapper holding exactly one list ({"AclId": [...]}) or a lone object
        vals = list(cur.values())
        if len(vals) == 1 and isinstance(vals[0], list):
            return vals[0]
        return [dict(cur)]
    return [cur]


def str_list(value: Any) -> list[str]:
    """A list of ids from a list, a one-list wrapper object, or a comma-joined string."""
    if value is None:
        return []
    if isinstance(value, str):
        return [v for v in (s.strip() for s in value.split(",")) if v]
    if isinstance(value, Mapping):
        return [str(v) for v in items({"x": value}, "x") if v not in (None, "")]
    return [str(v) for v in value if v not in (None, "")]


def none_if_empty(v: Any) -> Any:
    return None if v in ("", None) else v


def to_int(v: Any) -> int | None:
    if v in (None, ""):
        return None
    try:
        return int(v)
    except (TypeError, ValueError):
        return None


def onoff(v: Any) -> str:
    """Terraform bools to the API's on/off flags."""
    if isinstance(v, str):
        return "on" if v.lower() in ("on", "true") else "off"
    return "on" if v else "off"


def from_onoff(v: Any) -> bool | None:
    if v is None or v == "":
        return None
    if isinstance(v, bool):
        return v
    return str(v).lower() in ("on", "true")


def as_bool(v: Any) -> bool | None:
    if v is None or v == "":
        return None
    if isinstance(v, bool):
        return v
    return str(v).lower() in ("true", "on", "1")


def chunks(seq: list, n: int) -> Iterator[list]:
    for i in range(0, len(seq), n):
        yield seq[i:i + n]


def dumps(value: Any) -> str:
    """JSON-in-a-string parameters (BackendServers, RuleList, AclEntrys...), compact."""
    return compact_json.dumps(value)


def tag_params(tags: Mapping[str, Any] | None, prefix: str = "Tag") -> dict[str, str]:
    out: dict[str, str] = {}
    for i, (k, v) in enumerate(sorted((tags or {}).items()), start=1):
        out[f"{prefix}.{i}.Key"] = str(k)
        out[f"{prefix}.{i}.Value"] = "" if v is None else str(v)
    return out


def parse_tags(obj: Any) -> dict[str, str]:
    """``Tags.Tag[]{TagKey,TagValue}`` (or a flat list of them) to a map, system keys dropped."""
    out: dict[str, str] = {}
    for t in items({"t": obj}, "t"):
        if not isinstance(t, Mapping):
            continue
        k = t.get("TagKey", t.get("Key"))
        if k is None or str(k).startswith(_SYSTEM_TAG_PREFIXES):
            continue
        out[str(k)] = str(t.get("TagValue", t.get("Value", "")) or "")
    return out


def tags_out(api_tags: dict[str, str], prior: Mapping[str, Any]) -> dict[str, str] | None:
    """No tags in the cloud and none configured reads back as what was configured (None/{})."""
    if not api_tags and not prior.get("tags"):
        return prior.get("tags")
    return api_tags


def sync_tags(ctx: CallContext, resource_type: str, resource_id: str,
              old: Mapping[str, Any] | None, new: Mapping[str, Any] | None) -> None:
    """UntagResources for removed keys, then TagResources for added/changed ones (as the
    provider does)."""
    old = dict(old or {})
    new = dict(new or {})
    removed = sorted(k for k in old if k not in new)
    changed = {k: v for k, v in new.items() if old.get(k) != v}
    base = {"ResourceType": resource_type, "ResourceId.1": resource_id}
    for part in chunks(removed, 20):
        p = dict(base)
        for i, k in enumerate(part, start=1):
            p[f"TagKey.{i}"] = k
        ctx.write(SLB, "UntagResources", p)
    keys = sorted(changed)
    for part in chunks(keys, 20):
        ctx.write(SLB, "TagResources", {**base, **tag_params({k: changed[k] for k in part})})


def keep_order(prior_list: Any, fresh: list) -> list:
    """Sets come back from the API in its own order: keep the configured order when the members
    are the same, so an unchanged set never shows as a diff."""
    if isinstance(prior_list, list) and _same_members(prior_list, fresh):
        return list(prior_list)
    return fresh


_TAGS = {str: "s", int: "i", bool: "b"}


def _member_key(x: Any) -> Any:
    """A hashable stand-in for ``_canon``'s text of one member made of strings, integers and booleans
    only (equal keys exactly when the texts are equal: the type tag keeps 1, "1" and true apart);
    None when the member holds anything else, which ``_canon`` then compares."""
    tag = _TAGS.get(type(x))
    if tag is not None:
        return (tag, x)
    if type(x) is not dict:
        return None
    out = []
    for k, v in x.items():
        if v is None:
            continue  # (dropped by _canon's norm too)
        t = _TAGS.get(type(v))
        if t is None or type(k) is not str:
            return None
        out.append((k, t, v))
    out.sort()
    return ("m", tuple(out))


def _same_members(a: list, b: list) -> bool:
    """``_canon(a) == _canon(b)``: the same members whatever the order. Members of plain values are
    compared as hashable keys: one JSON text per member per refresh was a quarter of the provider's
    refresh time at 10,000 load balancers (20 backend servers each)."""
    if len(a) != len(b):
        return False
    ka = [_member_key(x) for x in a]
    kb = [_member_key(x) for x in b]
    if None in ka or None in kb:
        return _canon(a) == _canon(b)
    # multisets as plain dicts (no zero counts either side): Counter.__eq__ walks both in Python
    return dict.__eq__(Counter(ka), Counter(kb))


def _canon(lst: Iterable) -> list[str]:
    def norm(x: Any) -> Any:
        return {k: v for k, v in x.items() if v is not None} if isinstance(x, Mapping) else x

    return sorted(json.dumps(norm(x), sort_keys=True, default=str) for x in lst)


def is_code(err: ApiError, *codes: str, message: str | None = None) -> bool:
    if err.code in codes:
        return message is None or message.lower() in err.message.lower()
    return bool(message) and message.lower() in err.message.lower() and not codes


def not_found(err: ApiError, *codes: str, messages: Iterable[str] = ()) -> bool:
    """The provider's ``IsExpectedErrors``: the code equals one of ``codes`` or the message
    contains one of ``messages``."""
    if err.code in codes:
        return True
    return any(m.lower() in err.message.lower() for m in messages)


def clean(d: Mapping[str, Any]) -> dict[str, Any]:
    """Drop None values (the API treats an absent parameter as "not given")."""
    return {k: v for k, v in d.items() if v is not None}


def sync_ecs_tags(ctx: CallContext, resource_type: str, resource_id: str, old: Mapping[str, Any] | None,
                  new: Mapping[str, Any] | None) -> None:
    """ECS tags (instance, securitygroup, eni, keypair) change in place: UntagResources for removed
    keys, then TagResources for added or changed ones. Unset ``tags`` leaves them alone."""
    if new is None:
        return
    old, new = dict(old or {}), dict(new or {})
    gone = sorted(k for k in old if k not in new)
    base = {"ResourceType": resource_type, "ResourceId.1": resource_id}
    if gone:
        ctx.write(ECS, "UntagResources", {**base, **{f"TagKey.{i}": k for i, k in enumerate(gone, start=1)}})
    changed = {k: v for k, v in new.items() if old.get(k) != v}
    if changed:
        ctx.write(ECS, "TagResources", {**base, **tag_params(changed)})
