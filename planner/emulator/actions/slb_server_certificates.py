"""Server certificates (``UploadServerCertificate`` and friends) an HTTPS listener serves."""

from __future__ import annotations

import hashlib
import re
from typing import Any

from planner.emulator.actions.common import DEFAULT_RESOURCE_GROUP, tags_out
from planner.emulator.codes import err, invalid, missing
from planner.emulator.params import Params
from planner.emulator.registry import Ctx, action

_CERT_NAME = re.compile(r"^[A-Za-z\u4e00-\u9fa5][A-Za-z0-9\u4e00-\u9fa5._-]{0,79}$")


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
