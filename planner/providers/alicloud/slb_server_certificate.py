"""``alicloud_slb_server_certificate`` (reference 4.10): uploaded once; only the name changes in
place. The PEM and key cannot be read back, so they are kept from the configuration."""

from __future__ import annotations

from planner.providers.base import BaseHandler, CallContext, ProviderError, register
from planner.providers.errors import ApiError

from .common import SLB, clean, items, none_if_empty, parse_tags, tag_params, tags_out

NOT_FOUND = "ServerCertificateId.NotFound"


@register("alicloud_slb_server_certificate")
class ServerCertificateHandler(BaseHandler):
    config_only = ("server_certificate", "private_key", "alicloud_certificate_region_id")

    def load_balancer_id(self, attrs: dict) -> str | None:
        return None

    def create(self, planned: dict, ctx: CallContext) -> dict:
        p = {"ServerCertificate": planned.get("server_certificate"), "PrivateKey": planned.get("private_key"),
             "ServerCertificateName": planned.get("name"),
             "AliCloudCertificateId": planned.get("alicloud_certificate_id"),
             "AliCloudCertificateName": planned.get("alicloud_certificate_name"),
             "AliCloudCertificateRegionId": planned.get("alicloud_certificate_region_id"),
             "ResourceGroupId": planned.get("resource_group_id"), "ClientToken": ctx.token("create"),
             **tag_params(planned.get("tags"))}
        resp = ctx.write(SLB, "UploadServerCertificate", clean(p))
        cid = resp.get("ServerCertificateId")
        if not cid:
            raise ProviderError("UploadServerCertificate returned no ServerCertificateId")
        return self.must_read(dict(planned, id=cid), ctx)

    def update(self, prior: dict, planned: dict, ctx: CallContext) -> dict:
        if planned.get("name") and planned["name"] != prior.get("name"):
            ctx.write(SLB, "SetServerCertificateName",
                      {"ServerCertificateId": prior["id"], "ServerCertificateName": planned["name"]})
        return self.must_read(dict(planned, id=prior["id"]), ctx)

    def delete(self, prior: dict, ctx: CallContext) -> None:
        try:
            ctx.write(SLB, "DeleteServerCertificate", {"ServerCertificateId": prior["id"]},
                      already_done=(NOT_FOUND,), also_retry=("CertificateAndPrivateKeyIsRefered",))
        except ApiError as e:
            if e.code != NOT_FOUND:
                raise

    def read_many(self, priors: list[dict], ctx: CallContext) -> list[dict | None]:
        if not priors:
            return []
        # one call lists the region's certificates (at most 100 per region, reference 6)
        resp = ctx.read(SLB, "DescribeServerCertificates", {})
        by_id = {c.get("ServerCertificateId"): c for c in items(resp, "ServerCertificates", "ServerCertificate")}
        out: list[dict | None] = []
        for p in priors:
            c = by_id.get(p["id"])
            if c is None:
                out.append(None)
                continue
            a = {**p, "id": p["id"], "name": c.get("ServerCertificateName"),
                 "resource_group_id": none_if_empty(c.get("ResourceGroupId")) or p.get("resource_group_id"),
                 "tags": tags_out(parse_tags(c.get("Tags")), p)}
            if c.get("AliCloudCertificateId") or p.get("alicloud_certificate_id"):
                a["alicloud_certificate_id"] = none_if_empty(c.get("AliCloudCertificateId"))
                a["alicloud_certificate_name"] = none_if_empty(c.get("AliCloudCertificateName"))
            out.append(self.carry(p, a))
        return out
