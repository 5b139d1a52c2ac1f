"""alicloud_slb_tls_cipher_policy: a custom TLS policy (versions and ciphers) an HTTPS listener of a
performance-guaranteed load balancer names in ``tls_cipher_policy``. Everything changes in place."""

from __future__ import annotations

from typing import TYPE_CHECKING

from planner.diagnostics import Diagnostic
from planner.schema._checks import err, known
from planner.schema._dsl import C, R, all_of, length, matches, table
from planner.schema.base import ResourceSchema

if TYPE_CHECKING:
    from planner.config.model import ResourceInstance

VERSIONS = ("TLSv1.0", "TLSv1.1", "TLSv1.2", "TLSv1.3")
_OLD = ("ECDHE-ECDSA-AES128-SHA", "ECDHE-ECDSA-AES256-SHA", "ECDHE-RSA-AES128-SHA", "ECDHE-RSA-AES256-SHA",
        "AES128-SHA", "AES256-SHA", "DES-CBC3-SHA")
CIPHERS: dict[str, tuple[str, ...]] = {
    "TLSv1.0": _OLD, "TLSv1.1": _OLD,
    "TLSv1.2": _OLD + ("ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-ECDSA-AES256-GCM-SHA384", "ECDHE-ECDSA-AES128-SHA256",
                       "ECDHE-ECDSA-AES256-SHA384", "ECDHE-RSA-AES128-GCM-SHA256", "ECDHE-RSA-AES256-GCM-SHA384",
                       "ECDHE-RSA-AES128-SHA256", "ECDHE-RSA-AES256-SHA384", "AES128-GCM-SHA256", "AES256-GCM-SHA384",
                       "AES128-SHA256", "AES256-SHA256"),
    "TLSv1.3": ("TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256",
                "TLS_AES_128_CCM_SHA256", "TLS_AES_128_CCM_8_SHA256"),
}

ATTRIBUTES = table(
    R("tls_cipher_policy_name", check=all_of(length(2, 128), matches(
        r"[A-Za-z\u4e00-\u9fff][\w.\-\u4e00-\u9fff]*",
        "must start with a letter and use only letters, digits, '.', '_' and '-'"))),
    R("tls_versions", "set(string)", one_of=VERSIONS),
    R("ciphers", "set(string)", description="cipher suites; each must be supported by one of tls_versions"),
    C("status"),
)


def _checks(attrs: dict, inst: ResourceInstance) -> list[Diagnostic]:
    versions, ciphers = attrs.get("tls_versions"), attrs.get("ciphers")
    if not (isinstance(versions, list) and isinstance(ciphers, list)) or not all(map(known, versions + ciphers)):
        return []
    out: list[Diagnostic] = []
    supported = {c for v in versions for c in CIPHERS.get(v, ())}
    for c in ciphers:
        if c not in supported:
            out.append(err(inst, ("ciphers",), f'cipher "{c}" is not supported by {", ".join(sorted(versions))}',
                           "choose ciphers the listed TLS versions support (see the CreateTLSCipherPolicy API "
                           "reference), or add the TLS version that has it"))
    if len(ciphers) > 32:
        out.append(err(inst, ("ciphers",), f"{len(ciphers)} ciphers listed; a policy holds at most 32",
                       "remove ciphers"))
    if "TLSv1.3" in versions and not supported.intersection(CIPHERS["TLSv1.3"]).intersection(ciphers):
        out.append(err(inst, ("ciphers",), "TLSv1.3 is listed but none of its ciphers",
                       'add a TLSv1.3 cipher such as "TLS_AES_128_GCM_SHA256"'))
    return out


SCHEMA = ResourceSchema("alicloud_slb_tls_cipher_policy", ATTRIBUTES, instance_checks=[_checks],
                        description="A custom TLS cipher policy for HTTPS listeners.")
