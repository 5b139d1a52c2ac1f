"""ACLs: ``alicloud_slb_acl`` (with its deprecated ``entry_list``) and
``alicloud_slb_acl_entry_attachment`` (reference 4.9, 5.7). Entries change 50 per call."""

from __future__ import annotations

from typing import Any

from planner.providers.base import BaseHandler, CallContext, ProviderError, register
from planner.providers.errors import ApiError

from .common import SLB, chunks, clean, dumps, items, keep_order, parse_tags, sync_tags, tag_params, tags_out

NOT_FOUND = "AclNotExist"


def read_acl(ctx: CallContext, acl_id: str) -> tuple[dict, list[dict]] | None:
    """The ACL and all its entries (the entry list is paged, 50 per page)."""
    entries: list[dict] = []
    page = 1
    first: dict | None = None
    while True:
        try:
            resp = ctx.read(SLB, "DescribeAccessControlListAttribute", {"AclId": acl_id, "Page": page, "PageSize": 50})
        except ApiError as e:
            if e.code == NOT_FOUND:
                return None
            raise
        first = first or resp
        got = items(resp, "AclEntrys", "AclEntry")
        entries.extend(got)
        total = resp.get("TotalAclEntry")
        if not got or len(got) < 50 or (total is not None and len(entries) >= int(total)):
            break
        page += 1
    return first, entries


def _entry_wire(e: dict) -> dict[str, str]:
    d = {"entry": e["entry"]}
    if e.get("comment"):
        d["comment"] = e["comment"]
    return d


@register("alicloud_slb_acl")
class AclHandler(BaseHandler):
    def create(self, planned: dict, ctx: CallContext) -> dict:
        p = {"AclName": planned.get("name"), "AddressIPVersion": planned.get("ip_version"),
             "ResourceGroupId": planned.get("resource_group_id"), "ClientToken": ctx.token("create"),
             **tag_params(planned.get("tags"))}
        resp = ctx.write(SLB, "CreateAccessControlList", clean(p))
        acl_id = resp.get("AclId")
        if not acl_id:
            raise ProviderError("CreateAccessControlList returned no AclId")
        self._entries(ctx, acl_id, [], planned.get("entry_list") or [])
        return self.must_read(dict(planned, id=acl_id), ctx)

    def _entries(self, ctx: CallContext, acl_id: str, old: list[dict], new: list[dict]) -> None:
        o = {e["entry"]: e for e in old}
        n = {e["entry"]: e for e in new}
        removed = [o[k] for k in sorted(o) if k not in n or (o[k].get("comment") or "") != (n[k].get("comment") or "")]
        added = [n[k] for k in sorted(n) if k not in o or (o[k].get("comment") or "") != (n[k].get("comment") or "")]
        for part in chunks(removed, 50):
            try:
                ctx.write(SLB, "RemoveAccessControlListEntry",
                          {"AclId": acl_id, "AclEntrys": dumps([_entry_wire(e) for e in part])})
            except ApiError as e:
                if e.code != "AclEntryEmpty":
                    raise
        for part in chunks(added, 50):
            ctx.write(SLB, "AddAccessControlListEntry",
                      {"AclId": acl_id, "AclEntrys": dumps([_entry_wire(e) for e in part])},
                      already_done=("InvalidParam.AclEntryExists", "AclEntryExists"))

    def update(self, prior: dict, planned: dict, ctx: CallContext) -> dict:
        acl_id = prior["id"]
        if planned.get("name") and planned.get("name") != prior.get("name"):
            ctx.write(SLB, "SetAccessControlListAttribute", {"AclId": acl_id, "AclName": planned["name"]})
        if planned.get("entry_list") is not None:
            self._entries(ctx, acl_id, prior.get("entry_list") or [], planned["entry_list"])
        if "tags" in planned and (planned.get("tags") or {}) != (prior.get("tags") or {}):
            sync_tags(ctx, "acl", acl_id, prior.get("tags"), planned.get("tags"))
        return self.must_read(dict(planned, id=acl_id), ctx)

    def delete(self, prior: dict, ctx: CallContext) -> None:
        try:
            ctx.write(SLB, "DeleteAccessControlList", {"AclId": prior["id"]}, already_done=(NOT_FOUND,))
        except ApiError as e:
            if e.code != NOT_FOUND:
                raise

    def read_many(self, priors: list[dict], ctx: CallContext) -> list[dict | None]:
        read = ctx.read_each(lambda acl_id: read_acl(ctx, acl_id), (p["id"] for p in priors))
        out: list[dict | None] = []
        for p in priors:
            got = read[p["id"]]
            if got is None:
                out.append(None)
                continue
            resp, entries = got
            fresh = sorted(({"entry": e.get("AclEntryIP"), "comment": e.get("AclEntryComment") or None}
                            for e in entries), key=lambda e: e["entry"])
            prior_entries = p.get("entry_list")
            if isinstance(prior_entries, list):
                shaped = [{"entry": e["entry"], "comment": e.get("comment") or None} for e in prior_entries]
                entry_list: Any = prior_entries if sorted(shaped, key=lambda e: e["entry"]) == fresh \
                    else keep_order(prior_entries, fresh)
            else:
                entry_list = fresh
            a = {**p, "id": resp.get("AclId") or p["id"], "name": resp.get("AclName"),
                 "ip_version": resp.get("AddressIPVersion") or "ipv4",
                 "resource_group_id": resp.get("ResourceGroupId") or p.get("resource_group_id"),
                 "entry_list": entry_list, "tags": tags_out(parse_tags(resp.get("Tags")), p)}
            out.append(a)
        return out

    def load_balancer_id(self, attrs: dict) -> str | None:
        return None


@register("alicloud_slb_acl_entry_attachment")
class AclEntryAttachmentHandler(BaseHandler):
    """One entry of an ACL as its own resource; id ``<acl_id>:<entry>``."""

    def load_balancer_id(self, attrs: dict) -> str | None:
        return None

    def create(self, planned: dict, ctx: CallContext) -> dict:
        acl_id = planned["acl_id"]
        ctx.write(SLB, "AddAccessControlListEntry", {"AclId": acl_id, "AclEntrys": dumps([_entry_wire(planned)])},
                  already_done=("InvalidParam.AclEntryExists", "AclEntryExists"))
        return self.must_read(dict(planned, id=f"{acl_id}:{planned['entry']}"), ctx)

    def update(self, prior: dict, planned: dict, ctx: CallContext) -> dict:
        return self.must_read(dict(planned, id=prior["id"]), ctx)  # all arguments force a new one

    def delete(self, prior: dict, ctx: CallContext) -> None:
        a = self._fill(prior)
        try:
            ctx.write(SLB, "RemoveAccessControlListEntry", {"AclId": a["acl_id"], "AclEntrys": dumps([_entry_wire(a)])})
        except ApiError as e:
            if e.code not in ("AclEntryEmpty", NOT_FOUND):
                raise

    def _fill(self, a: dict) -> dict:
        if a.get("acl_id") and a.get("entry"):
            return a
        acl_id, sep, entry = str(a.get("id", "")).partition(":")
        if not sep or not entry:
            raise ProviderError(f"invalid ACL entry attachment id {a.get('id')!r}: expected <acl_id>:<entry>")
        return {**a, "acl_id": acl_id, "entry": entry}

    def read_many(self, priors: list[dict], ctx: CallContext) -> list[dict | None]:
        filled = [self._fill(p) for p in priors]
        read = ctx.read_each(lambda acl_id: read_acl(ctx, acl_id), (p["acl_id"] for p in filled))  # one per ACL
        cache = {k: None if got is None else got[1] for k, got in read.items()}
        out: list[dict | None] = []
        for p in filled:
            hit = next((e for e in cache[p["acl_id"]] or [] if e.get("AclEntryIP") == p["entry"]), None)
            if hit is None:
                out.append(None)
                continue
            out.append({**p, "id": f"{p['acl_id']}:{p['entry']}",
                        "comment": hit.get("AclEntryComment") or p.get("comment")})
        return out
