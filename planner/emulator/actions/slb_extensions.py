"""CA certificates (mutual TLS), domain extensions (extra certificates per domain on one HTTPS
listener) and custom TLS cipher policies: the HTTPS objects beside listeners.

Kept apart from ``slb_acls``, ``slb_server_certificates`` and ``slb_tags`` so the data sources that list these
objects can grow without touching the resource rules.

Rules, as the real API enforces them:
- a CA certificate an HTTPS listener verifies clients with cannot be deleted
  (CertificateAndPrivateKeyIsRefered), like a server certificate;
- a domain extension lives on an HTTPS listener of a performance-guaranteed instance, one per domain
  (InvalidParameter.Domain), with an existing server certificate (InvalidParameter.ServerCertificateId);
  a server certificate a domain extension uses cannot be deleted (CertificateRelatedDomainExtensionExist);
  domain extensions go with their listener and their load balancer;
- a TLS cipher policy lists TLS versions and ciphers each version supports; one a listener uses
  cannot be deleted; a listener names either a built-in ``tls_cipher_policy_*`` or a policy id.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from planner.emulator.actions.common import (
    DEFAULT_RESOURCE_GROUP,
    is_guaranteed,
    lb_param,
    listener_id,
    tags_out,
)
from planner.emulator.codes import err, invalid, missing
from planner.emulator.params import Params, parse_json_list
from planner.emulator.registry import Ctx, action

MAX_CA_CERTIFICATES = 100
_CERT_NAME = re.compile(r"^[A-Za-z\u4e00-\u9fa5][A-Za-z0-9\u4e00-\u9fa5._-]{0,79}$")
_DOMAIN = re.compile(r"^(\*\.)?([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$")
_POLICY_NAME = re.compile(r"^[A-Za-z\u4e00-\u9fa5][A-Za-z0-9\u4e00-\u9fa5._-]{1,199}$")
MAX_CIPHERS = 32

_TLS10_11 = ("ECDHE-ECDSA-AES128-SHA", "ECDHE-ECDSA-AES256-SHA", "ECDHE-RSA-AES128-SHA", "ECDHE-RSA-AES256-SHA",
             "AES128-SHA", "AES256-SHA", "DES-CBC3-SHA")
CIPHERS: dict[str, frozenset[str]] = {
    "TLSv1.0": frozenset(_TLS10_11),
    "TLSv1.1": frozenset(_TLS10_11),
    "TLSv1.2": frozenset(_TLS10_11 + (
        "ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-ECDSA-AES256-GCM-SHA384", "ECDHE-ECDSA-AES128-SHA256",
        "ECDHE-ECDSA-AES256-SHA384", "ECDHE-RSA-AES128-GCM-SHA256", "ECDHE-RSA-AES256-GCM-SHA384",
        "ECDHE-RSA-AES128-SHA256", "ECDHE-RSA-AES256-SHA384", "AES128-GCM-SHA256", "AES256-GCM-SHA384",
        "AES128-SHA256", "AES256-SHA256")),
    "TLSv1.3": frozenset(("TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256",
                          "TLS_AES_128_CCM_SHA256", "TLS_AES_128_CCM_8_SHA256")),
}


def _fingerprint(body: str) -> str:
    fp = hashlib.sha1(body.encode()).hexdigest()
    return ":".join(fp[i:i + 2] for i in range(0, 40, 2))


# --- CA certificates ----------------------------------------------------------------------------

def get_ca(ctx: Ctx, ca_id: str) -> dict[str, Any]:
    c = ctx.store.get("cacert", ca_id)
    if c is None or c["RegionId"] != ctx.region:
        raise err("CACertificateId.NotFound")
    return c


def _ca_out(c: dict[str, Any]) -> dict[str, Any]:
    return {**{k: v for k, v in c.items() if k not in ("Tags", "Body")}, "Tags": tags_out(c)}


@action("Slb", "UploadCACertificate")
def upload_ca_certificate(ctx: Ctx, p: Params) -> dict:
    """- CACertificate: one PEM certificate (no private key); name 1-80 characters starting with a
      letter (defaults to the id); at most 100 CA certificates per region"""
    body = p.req("CACertificate")
    if "BEGIN CERTIFICATE" not in body or "PRIVATE KEY" in body:
        raise err("InvalidParameter", "The specified CACertificate is not valid.")
    name = p.get("CACertificateName")
    if name is not None and not _CERT_NAME.match(name):
        raise invalid("CACertificateName")
    if ctx.store.count("cacert", region=ctx.region) >= MAX_CA_CERTIFICATES:
        raise err("OverQuota", "The Total is over the quota", status=400)
    ca_id = ctx.new_id("ca-", 17)
    doc = {"CACertificateId": ca_id, "CACertificateName": name or ca_id, "Fingerprint": _fingerprint(body),
           "CommonName": "ca.example.com", "ExpireTime": "2030-01-01T00:00:00Z", "ExpireTimeStamp": 1893456000000,
           "CreateTime": ctx.iso_now(), "CreateTimeStamp": ctx.ms_now(), "RegionId": ctx.region,
           "ResourceGroupId": p.get("ResourceGroupId", DEFAULT_RESOURCE_GROUP), "Tags": p.tags()}
    ctx.store.put("cacert", ca_id, doc, region=ctx.region)
    return {k: v for k, v in doc.items() if k not in ("Tags", "RegionId")}


@action("Slb", "DescribeCACertificates")
def describe_ca_certificates(ctx: Ctx, p: Params) -> dict:
    """- filters CACertificateId (comma-separated), ResourceGroupId, Tag.N"""
    from planner.emulator.actions.slb_instances import match_tags

    want = p.get("CACertificateId")
    ids = {x.strip() for x in want.split(",")} if want else None
    rg = p.get("ResourceGroupId")
    tags = [(o["key"], o.get("value")) for o in p.flat_objects("Tag") if o.get("key")]
    found = [_ca_out(c) for c in ctx.store.docs("cacert", region=ctx.region)
             if (ids is None or c["CACertificateId"] in ids) and (rg is None or c["ResourceGroupId"] == rg)
             and (not tags or match_tags(c, tags))]
    return {"CACertificates": {"CACertificate": found}}


@action("Slb", "SetCACertificateName")
def set_ca_certificate_name(ctx: Ctx, p: Params) -> dict:
    c = get_ca(ctx, p.req("CACertificateId"))
    name = p.req("CACertificateName")
    if not _CERT_NAME.match(name):
        raise invalid("CACertificateName")
    c["CACertificateName"] = name
    ctx.store.put("cacert", c["CACertificateId"], c, region=ctx.region)
    return {}


@action("Slb", "DeleteCACertificate")
def delete_ca_certificate(ctx: Ctx, p: Params) -> dict:
    """- a CA certificate an HTTPS listener uses cannot be deleted (CertificateAndPrivateKeyIsRefered)"""
    c = get_ca(ctx, p.req("CACertificateId"))
    if ctx.store.referrers("cacert", c["CACertificateId"], "listener"):
        raise err("CertificateAndPrivateKeyIsRefered")
    ctx.store.delete("cacert", c["CACertificateId"])
    return {}


# --- domain extensions --------------------------------------------------------------------------

def _server_cert(ctx: Ctx, cert_id: str) -> None:
    c = ctx.store.get("cert", cert_id)
    if c is None or c["RegionId"] != ctx.region:
        raise err("InvalidParameter.ServerCertificateId")


def _get_extension(ctx: Ctx, de_id: str) -> dict[str, Any]:
    d = ctx.store.get("domainext", de_id)
    if d is None or d["RegionId"] != ctx.region:
        raise err("InvalidParameter.DomainExtensionId")
    return d


def _save_extension(ctx: Ctx, d: dict[str, Any]) -> None:
    lid = listener_id(d["LoadBalancerId"], "https", d["ListenerPort"])
    ctx.store.put("domainext", d["DomainExtensionId"], d, region=ctx.region, lb_id=d["LoadBalancerId"],
                  refs=[("listener", lid), ("cert", d["ServerCertificateId"])])


@action("Slb", "CreateDomainExtension")
def create_domain_extension(ctx: Ctx, p: Params) -> dict:
    """- the listener on ListenerPort must be HTTPS (ResourceNotFound.Listener otherwise) on a
      performance-guaranteed instance (InvalidParameter.SpecNotSupport)
    - Domain: a domain name, optionally wildcard (*.example.com); unique per listener
      (InvalidParameter.Domain); ServerCertificateId must exist (InvalidParameter.ServerCertificateId)"""
    lb = lb_param(ctx, p)
    port = p.int("ListenerPort", 1, 65535, required=True)
    assert port is not None
    domain = p.req("Domain").strip()
    cert_id = p.req("ServerCertificateId")
    lst = ctx.store.get("listener", listener_id(lb["LoadBalancerId"], "https", port))
    if lst is None:
        raise err("ResourceNotFound.Listener")
    if not is_guaranteed(lb):
        raise err("InvalidParameter.SpecNotSupport", "The loadBalancer of shared spec does not support the "
                                                     "parameter: DomainExtension.")
    if len(domain) > 80 or not _DOMAIN.match(domain):
        raise err("DomainMalformed", "The specified Domain is invalid.")
    _server_cert(ctx, cert_id)
    lid = listener_id(lb["LoadBalancerId"], "https", port)
    for _, other in ctx.store.referrers("listener", lid, "domainext"):
        o = ctx.store.get("domainext", other)
        if o is not None and o["Domain"].lower() == domain.lower():
            raise err("InvalidParameter.Domain")
    de_id = ctx.new_id("de-", 17)
    doc = {"DomainExtensionId": de_id, "LoadBalancerId": lb["LoadBalancerId"], "ListenerPort": port,
           "Domain": domain, "ServerCertificateId": cert_id, "RegionId": ctx.region}
    _save_extension(ctx, doc)
    return {"DomainExtensionId": de_id, "ListenerPort": port}


@action("Slb", "SetDomainExtensionAttribute")
def set_domain_extension_attribute(ctx: Ctx, p: Params) -> dict:
    """- re-points the domain to another existing server certificate"""
    d = _get_extension(ctx, p.req("DomainExtensionId"))
    cert_id = p.get("ServerCertificateId")
    if not cert_id:
        raise missing("ServerCertificateId")
    _server_cert(ctx, cert_id)
    d["ServerCertificateId"] = cert_id
    _save_extension(ctx, d)
    return {}


@action("Slb", "DeleteDomainExtension")
def delete_domain_extension(ctx: Ctx, p: Params) -> dict:
    d = _get_extension(ctx, p.req("DomainExtensionId"))
    ctx.store.delete("domainext", d["DomainExtensionId"])
    return {}


@action("Slb", "DescribeDomainExtensions")
def describe_domain_extensions(ctx: Ctx, p: Params) -> dict:
    """- LoadBalancerId and ListenerPort required; DomainExtensionId narrows to one"""
    lb = lb_param(ctx, p)
    port = p.int("ListenerPort", 1, 65535, required=True)
    want = p.get("DomainExtensionId")
    found = []
    for d in ctx.store.docs("domainext", region=ctx.region):
        if d["LoadBalancerId"] == lb["LoadBalancerId"] and d["ListenerPort"] == port and \
                (want is None or d["DomainExtensionId"] == want):
            found.append({"DomainExtensionId": d["DomainExtensionId"], "Domain": d["Domain"],
                          "ServerCertificateId": d["ServerCertificateId"]})
    return {"DomainExtensions": {"DomainExtension": found}}


def extensions_of_listener(ctx: Ctx, lb_id: str, port: int) -> list[dict[str, Any]]:
    """The domain extensions of one HTTPS listener (DescribeLoadBalancerHTTPSListenerAttribute shows them)."""
    lid = listener_id(lb_id, "https", port)
    out = []
    for _, de_id in ctx.store.referrers("listener", lid, "domainext"):
        d = ctx.store.get("domainext", de_id)
        if d is not None:
            out.append({"DomainExtensionId": d["DomainExtensionId"], "Domain": d["Domain"],
                        "ServerCertificateId": d["ServerCertificateId"]})
    return out


# --- TLS cipher policies ------------------------------------------------------------------------

def get_policy(ctx: Ctx, policy_id: str) -> dict[str, Any]:
    d = ctx.store.get("tlspolicy", policy_id)
    if d is None or d["RegionId"] != ctx.region:
        raise err("InvalidTLSPolicyId.NotExist")
    return d


def _list_param(p: Params, name: str) -> list[str] | None:
    """``TLSVersions.1=..`` (the SDK's flattening) or a JSON list in ``TLSVersions``."""
    flat = p.flat(name)
    if flat:
        return flat
    raw = p.get(name)
    if raw is None:
        return None
    try:
        val = parse_json_list(raw)
    except ValueError:
        val = [x.strip() for x in raw.split(",") if x.strip()]
    return [str(v) for v in (val if isinstance(val, list) else [val])]


def _policy_body(p: Params, current: dict[str, Any] | None) -> tuple[str, list[str], list[str]]:
    name = p.get("Name") if current is not None else p.req("Name")
    name = name if name is not None else current["Name"]  # type: ignore[index]
    if not _POLICY_NAME.match(name):
        raise invalid("Name")
    versions = _list_param(p, "TLSVersions")
    ciphers = _list_param(p, "Ciphers")
    if current is None and not versions:
        raise missing("TLSVersions")
    if current is None and not ciphers:
        raise missing("Ciphers")
    versions = versions if versions is not None else list(current["TLSVersions"])  # type: ignore[index]
    ciphers = ciphers if ciphers is not None else list(current["Ciphers"])  # type: ignore[index]
    if any(v not in CIPHERS for v in versions):
        raise invalid("TLSVersions")
    if len(ciphers) > MAX_CIPHERS:
        raise invalid("Ciphers")
    supported = frozenset().union(*(CIPHERS[v] for v in versions))
    if any(c not in supported for c in ciphers):
        raise invalid("Ciphers")
    if "TLSv1.3" in versions and not any(c in CIPHERS["TLSv1.3"] for c in ciphers):
        raise invalid("Ciphers")
    return name, sorted(set(versions)), list(dict.fromkeys(ciphers))


def _policy_out(ctx: Ctx, d: dict[str, Any], include_listener: bool) -> dict[str, Any]:
    out = {"InstanceId": d["InstanceId"], "Name": d["Name"], "TLSVersions": list(d["TLSVersions"]),
           "Ciphers": list(d["Ciphers"]), "Status": d["Status"], "CreateTime": d["CreateTime"]}
    if include_listener:
        rel = []
        for _, lid in ctx.store.referrers("tlspolicy", d["InstanceId"], "listener"):
            lst = ctx.store.get("listener", lid)
            if lst is not None:
                rel.append({"LoadBalancerId": lst["LoadBalancerId"], "Port": lst["ListenerPort"],
                            "Protocol": lst["ListenerProtocol"].upper()})
        out["RelateListeners"] = rel
    return out


@action("Slb", "CreateTLSCipherPolicy")
def create_tls_cipher_policy(ctx: Ctx, p: Params) -> dict:
    """- Name 2-200 characters starting with a letter; TLSVersions.N of TLSv1.0-TLSv1.3; Ciphers.N
      (at most 32), each supported by one of the versions; TLSv1.3 needs a TLSv1.3 cipher"""
    name, versions, ciphers = _policy_body(p, None)
    pid = ctx.new_id("tls-", 17)
    doc = {"InstanceId": pid, "Name": name, "TLSVersions": versions, "Ciphers": ciphers, "Status": "normal",
           "CreateTime": ctx.ms_now(), "RegionId": ctx.region}
    ctx.store.put("tlspolicy", pid, doc, region=ctx.region)
    return {"TLSCipherPolicyId": pid}


@action("Slb", "SetTLSCipherPolicyAttribute")
def set_tls_cipher_policy_attribute(ctx: Ctx, p: Params) -> dict:
    """- changes name, versions and ciphers (the same rules as create); listeners using the policy
      pick the change up"""
    d = get_policy(ctx, p.req("TLSCipherPolicyId"))
    d["Name"], d["TLSVersions"], d["Ciphers"] = _policy_body(p, d)
    ctx.store.put("tlspolicy", d["InstanceId"], d, region=ctx.region)
    return {}


@action("Slb", "DeleteTLSCipherPolicy")
def delete_tls_cipher_policy(ctx: Ctx, p: Params) -> dict:
    """- a policy an HTTPS listener uses cannot be deleted (ResourceInUse.TLSCipherPolicy)"""
    d = get_policy(ctx, p.req("TLSCipherPolicyId"))
    if ctx.store.referrers("tlspolicy", d["InstanceId"], "listener"):
        raise err("ResourceInUse.TLSCipherPolicy")
    ctx.store.delete("tlspolicy", d["InstanceId"])
    return {}


@action("Slb", "ListTLSCipherPolicies")
def list_tls_cipher_policies(ctx: Ctx, p: Params) -> dict:
    """- filters TLSCipherPolicyId, Name; IncludeListener adds RelateListeners; MaxItems (1-100,
      default 20) with NextToken paging"""
    want, name = p.get("TLSCipherPolicyId"), p.get("Name")
    include = p.bool("IncludeListener")
    size = p.int("MaxItems", 1, 100, default=20)
    assert size is not None
    found = [d for d in ctx.store.docs("tlspolicy", region=ctx.region)
             if (want is None or d["InstanceId"] == want) and (name is None or d["Name"] == name)]
    start = 0
    token = p.get("NextToken")
    if token:
        try:
            start = int(token, 16)
        except ValueError:
            raise err("InvalidParameter", "The specified parameter NextToken is not valid.")
    page = found[start:start + size]
    out: dict[str, Any] = {"TLSCipherPolicies": [_policy_out(ctx, d, include) for d in page],
                           "TotalCount": len(found), "IsTruncated": start + size < len(found)}
    if start + size < len(found):
        out["NextToken"] = format(start + size, "x")
    return out
