"""``alicloud_slb_server_certificate`` (reference 4.10): uploaded once; name and tags change in
place. The PEM and key cannot be read back, so they are kept from the configuration."""

from __future__ import annotations

from planner.providers.base import CallContext, register

from .certificates import CertificateHandler
from .common import none_if_empty


@register("alicloud_slb_server_certificate")
class ServerCertificateHandler(CertificateHandler):
    kind = "Server"
    config_only = ("server_certificate", "private_key", "alicloud_certificate_region_id")

    def upload_params(self, planned: dict, ctx: CallContext) -> dict:
        return {"ServerCertificate": planned.get("server_certificate"), "PrivateKey": planned.get("private_key"),
                "AliCloudCertificateId": planned.get("alicloud_certificate_id"),
                "AliCloudCertificateName": planned.get("alicloud_certificate_name"),
                "AliCloudCertificateRegionId": planned.get("alicloud_certificate_region_id"),
                # a retried upload with the same token returns the first certificate, not a second one
                "ClientToken": ctx.token("create")}

    def read_attributes(self, listed: dict, prior: dict) -> dict:
        if listed.get("AliCloudCertificateId") or prior.get("alicloud_certificate_id"):
            return {"alicloud_certificate_id": none_if_empty(listed.get("AliCloudCertificateId")),
                    "alicloud_certificate_name": none_if_empty(listed.get("AliCloudCertificateName"))}
        return {}
