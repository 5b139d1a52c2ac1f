"""The CLB objects beside listeners that HTTPS uses: CA certificates (mutual TLS), domain extensions
(extra certificates per domain on one HTTPS listener) and custom TLS cipher policies.

Each is one create, in-place name/attribute changes, and one delete; deletes retry briefly while the
cloud still reports the object in use right after the listener moved off it (the ordering moves the
listener first).
"""

from __future__ import annotations

from planner.providers.base import BaseHandler, CallContext, ProviderError, register
from planner.providers.errors import ApiError

from .certificates import CertificateHandler
from .common import (
    SLB,
    items,
    keep_order,
    to_int,
)


@register("alicloud_slb_ca_certificate")
class CACertificateHandler(CertificateHandler):
    """UploadCACertificate / SetCACertificateName / DeleteCACertificate; read DescribeCACertificates."""

    kind = "CA"
    name_attr = "ca_certificate_name"
    config_only = ("ca_certificate",)

    def upload_params(self, planned: dict, ctx: CallContext) -> dict:
        return {"CACertificate": planned.get("ca_certificate")}

    def read_attributes(self, listed: dict, prior: dict) -> dict:
        # the deprecated "name" mirrors ca_certificate_name
        return {"name": listed.get("CACertificateName")}


DE_NOT_FOUND = "InvalidParameter.DomainExtensionId"
DE_BUSY = ("DomainExtensionProcessing", "ServiceIsConfiguring")


@register("alicloud_slb_domain_extension")
class DomainExtensionHandler(BaseHandler):
    """CreateDomainExtension / SetDomainExtensionAttribute (the certificate) / DeleteDomainExtension;
    read DescribeDomainExtensions per (load balancer, port)."""

    config_only = ("delete_protection_validation",)

    def create(self, planned: dict, ctx: CallContext) -> dict:
        resp = ctx.write(SLB, "CreateDomainExtension", {
            "LoadBalancerId": planned["load_balancer_id"], "ListenerPort": int(planned["frontend_port"]),
            "Domain": planned["domain"], "ServerCertificateId": planned["server_certificate_id"]},
            also_retry=DE_BUSY)
        de = resp.get("DomainExtensionId")
        if not de:
            raise ProviderError("CreateDomainExtension returned no DomainExtensionId")
        return self.must_read(dict(planned, id=de), ctx)

    def update(self, prior: dict, planned: dict, ctx: CallContext) -> dict:
        if planned.get("server_certificate_id") != prior.get("server_certificate_id"):
            ctx.write(SLB, "SetDomainExtensionAttribute", {
                "DomainExtensionId": prior["id"], "ServerCertificateId": planned["server_certificate_id"]},
                also_retry=DE_BUSY)
        return self.must_read(dict(planned, id=prior["id"]), ctx)

    def delete(self, prior: dict, ctx: CallContext) -> None:
        try:
            ctx.write(SLB, "DeleteDomainExtension", {"DomainExtensionId": prior["id"]},
                      already_done=(DE_NOT_FOUND,), also_retry=DE_BUSY)
        except ApiError as e:
            if e.code not in (DE_NOT_FOUND, "InvalidLoadBalancerId.NotFound"):
                raise

    def read_many(self, priors: list[dict], ctx: CallContext) -> list[dict | None]:
        cache: dict[tuple[str, int], dict[str, dict]] = {}
        out: list[dict | None] = []
        for p in priors:
            key = (p.get("load_balancer_id") or "", to_int(p.get("frontend_port")) or 0)
            if key not in cache:
                try:
                    resp = ctx.read(SLB, "DescribeDomainExtensions",
                                    {"LoadBalancerId": key[0], "ListenerPort": key[1]})
                    cache[key] = {d.get("DomainExtensionId"): d
                                  for d in items(resp, "DomainExtensions", "DomainExtension")}
                except ApiError as e:
                    if e.code != "InvalidLoadBalancerId.NotFound":
                        raise
                    cache[key] = {}
            d = cache[key].get(p["id"])
            if d is None:
                out.append(None)
                continue
            out.append(self.carry(p, {**p, "id": p["id"], "load_balancer_id": key[0], "frontend_port": key[1],
                                      "domain": d.get("Domain"), "server_certificate_id": d.get("ServerCertificateId")}))
        return out

    def prior_from_id(self, id: str) -> dict:
        """Import id ``<load_balancer_id>:<frontend_port>:<domain_extension_id>`` (the API lists domain
        extensions per listener)."""
        parts = id.split(":")
        if len(parts) != 3:
            raise ProviderError(f"import id {id!r}: use <load_balancer_id>:<frontend_port>:<domain_extension_id>")
        return {"id": parts[2], "load_balancer_id": parts[0], "frontend_port": to_int(parts[1])}


TLS_NOT_FOUND = "InvalidTLSPolicyId.NotExist"


def _list(prefix: str, values: list | None) -> dict[str, str]:
    return {f"{prefix}.{i}": str(v) for i, v in enumerate(sorted(values or []), start=1)}


@register("alicloud_slb_tls_cipher_policy")
class TLSCipherPolicyHandler(BaseHandler):
    """CreateTLSCipherPolicy / SetTLSCipherPolicyAttribute / DeleteTLSCipherPolicy; read
    ListTLSCipherPolicies by id."""

    def load_balancer_id(self, attrs: dict) -> str | None:
        return None

    def create(self, planned: dict, ctx: CallContext) -> dict:
        resp = ctx.write(SLB, "CreateTLSCipherPolicy", {
            "Name": planned["tls_cipher_policy_name"], **_list("TLSVersions", planned.get("tls_versions")),
            **_list("Ciphers", planned.get("ciphers"))})
        pid = resp.get("TLSCipherPolicyId")
        if not pid:
            raise ProviderError("CreateTLSCipherPolicy returned no TLSCipherPolicyId")
        return self.must_read(dict(planned, id=pid), ctx)

    def update(self, prior: dict, planned: dict, ctx: CallContext) -> dict:
        ctx.write(SLB, "SetTLSCipherPolicyAttribute", {
            "TLSCipherPolicyId": prior["id"], "Name": planned["tls_cipher_policy_name"],
            **_list("TLSVersions", planned.get("tls_versions")), **_list("Ciphers", planned.get("ciphers"))},
            also_retry=("TLSPolicyConfiguring",))
        return self.must_read(dict(planned, id=prior["id"]), ctx)

    def delete(self, prior: dict, ctx: CallContext) -> None:
        try:
            ctx.write(SLB, "DeleteTLSCipherPolicy", {"TLSCipherPolicyId": prior["id"]},
                      already_done=(TLS_NOT_FOUND,),
                      also_retry=("TLSPolicyConfiguring", "ResourceInUse.TLSCipherPolicy"))
        except ApiError as e:
            if e.code != TLS_NOT_FOUND:
                raise

    def read_many(self, priors: list[dict], ctx: CallContext) -> list[dict | None]:
        out: list[dict | None] = []
        for p in priors:
            resp = ctx.read(SLB, "ListTLSCipherPolicies", {"TLSCipherPolicyId": p["id"]})
            found = [d for d in items(resp, "TLSCipherPolicies") if d.get("InstanceId") == p["id"]]
            if not found:
                out.append(None)
                continue
            d = found[0]
            out.append({**p, "id": p["id"], "tls_cipher_policy_name": d.get("Name"),
                        "tls_versions": keep_order(p.get("tls_versions"), sorted(d.get("TLSVersions") or [])),
                        "ciphers": keep_order(p.get("ciphers"), sorted(d.get("Ciphers") or [])),
                        "status": d.get("Status")})
        return out
