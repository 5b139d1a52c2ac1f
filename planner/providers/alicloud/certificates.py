"""What the two uploaded-certificate kinds share: server certificates (HTTPS listeners) and CA
certificates (mutual TLS) are both uploaded once, renamed and retagged in place, listed in one call
per region and deleted with a brief retry while a listener that just moved off still holds them.

The action names and response keys differ only by the kind's prefix, so one base serves both and a
fix (such as sending tag changes) cannot reach one kind and miss the other."""

from __future__ import annotations

from planner.providers.base import BaseHandler, CallContext, ProviderError
from planner.providers.errors import ApiError

from .common import SLB, clean, items, none_if_empty, parse_tags, sync_tags, tag_params, tags_out


class CertificateHandler(BaseHandler):
    """``kind`` is the API's prefix ("Server", "CA"); ``name_attr`` the attribute holding the name."""

    kind: str = ""
    name_attr: str = "name"

    @property
    def _id_key(self) -> str:
        return f"{self.kind}CertificateId"

    @property
    def _name_key(self) -> str:
        return f"{self.kind}CertificateName"

    @property
    def _not_found(self) -> str:
        return f"{self.kind}CertificateId.NotFound"

    def load_balancer_id(self, attrs: dict) -> str | None:
        return None

    def upload_params(self, planned: dict, ctx: CallContext) -> dict:
        """The kind's own upload parameters beside name, resource group and tags."""
        raise NotImplementedError

    def create(self, planned: dict, ctx: CallContext) -> dict:
        params = {**self.upload_params(planned, ctx), self._name_key: planned.get(self.name_attr),
                  "ResourceGroupId": planned.get("resource_group_id"), **tag_params(planned.get("tags"))}
        action = f"Upload{self.kind}Certificate"
        resp = ctx.write(SLB, action, clean(params))
        cid = resp.get(self._id_key)
        if not cid:
            raise ProviderError(f"{action} returned no {self._id_key}")
        return self.must_read(dict(planned, id=cid), ctx)

    def update(self, prior: dict, planned: dict, ctx: CallContext) -> dict:
        name = planned.get(self.name_attr)
        if name and name != prior.get(self.name_attr):
            ctx.write(SLB, f"Set{self.kind}CertificateName", {self._id_key: prior["id"], self._name_key: name})
        if (planned.get("tags") or {}) != (prior.get("tags") or {}):
            sync_tags(ctx, "certificate", prior["id"], prior.get("tags"), planned.get("tags"))
        return self.must_read(dict(planned, id=prior["id"]), ctx)

    def delete(self, prior: dict, ctx: CallContext) -> None:
        try:
            ctx.write(SLB, f"Delete{self.kind}Certificate", {self._id_key: prior["id"]},
                      already_done=(self._not_found,), also_retry=("CertificateAndPrivateKeyIsRefered",))
        except ApiError as e:
            if e.code != self._not_found:
                raise

    def read_attributes(self, listed: dict, prior: dict) -> dict:
        """The kind's own attributes read from its entry in the region's list."""
        return {}

    def read_many(self, priors: list[dict], ctx: CallContext) -> list[dict | None]:
        if not priors:
            return []
        # one call lists the region's certificates (at most 100 per region, reference 6)
        plural = f"{self.kind}Certificates"
        resp = ctx.read(SLB, f"Describe{plural}", {})
        by_id = {c.get(self._id_key): c for c in items(resp, plural, f"{self.kind}Certificate")}
        out: list[dict | None] = []
        for p in priors:
            c = by_id.get(p["id"])
            if c is None:
                out.append(None)
                continue
            a = {**p, "id": p["id"], self.name_attr: c.get(self._name_key),
                 "resource_group_id": none_if_empty(c.get("ResourceGroupId")) or p.get("resource_group_id"),
                 "tags": tags_out(parse_tags(c.get("Tags")), p), **self.read_attributes(c, p)}
            out.append(self.carry(p, a))
        return out
