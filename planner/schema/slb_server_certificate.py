"""alicloud_slb_server_certificate: a certificate uploaded for HTTPS listeners."""

from __future__ import annotations

from typing import TYPE_CHECKING

from planner.diagnostics import Diagnostic
from planner.schema._checks import err, known
from planner.schema._dsl import LB_NAME, OC, O, pem, table
from planner.schema.base import ResourceSchema

ATTRIBUTES = table(
    OC("name", check=LB_NAME),
    O("server_certificate", force_new=True, sensitive=False, check=pem("CERTIFICATE"),
      description='the PEM certificate chain, e.g. file("cert.pem")'),
    O("private_key", force_new=True, sensitive=True, check=pem("PRIVATE KEY"),
      description='the PEM private key, e.g. file("key.pem")'),
    O("alicloud_certificate_id", force_new=True, conflicts_with=("server_certificate", "private_key")),
    O("alicloud_certificate_name", force_new=True),
    O("alicloud_certificate_region_id", force_new=True),
    OC("resource_group_id", force_new=True),
    OC("tags", "map(string)"),
)

if TYPE_CHECKING:
    from planner.config.model import ResourceInstance


def certificate_checks(attrs: dict, inst: ResourceInstance) -> list[Diagnostic]:
    has_pem = attrs.get("server_certificate") is not None or attrs.get("private_key") is not None
    if attrs.get("alicloud_certificate_id") is not None:
        return []
    out: list[Diagnostic] = []
    if not has_pem:
        out.append(err(inst, (), "no certificate given",
                       'set server_certificate = file("cert.pem") and private_key = file("key.pem"), or '
                       "alicloud_certificate_id for a certificate held by Alibaba Cloud SSL Certificates"))
    else:
        for name in ("server_certificate", "private_key"):
            if attrs.get(name) is None:
                out.append(err(inst, (), f"{name} is missing",
                               "an uploaded certificate needs both server_certificate and private_key"))
    cert, key = attrs.get("server_certificate"), attrs.get("private_key")
    if known(cert) and known(key) and "PRIVATE KEY" in cert:
        out.append(err(inst, ("server_certificate",), "server_certificate holds a private key",
                       "the two arguments look swapped: server_certificate takes the CERTIFICATE block"))
    return out


SCHEMA = ResourceSchema("alicloud_slb_server_certificate", ATTRIBUTES,
                        instance_checks=[certificate_checks],
                        description="A server certificate used by HTTPS listeners.")
