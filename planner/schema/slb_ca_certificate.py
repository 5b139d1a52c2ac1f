"""alicloud_slb_ca_certificate: a CA certificate an HTTPS listener verifies clients against (mutual
TLS, listener ``ca_certificate_id``). Only the name changes in place; the PEM is ForceNew."""

from __future__ import annotations

from planner.schema._dsl import ALIAS, LB_NAME, OC, R, pem, table
from planner.schema.base import ResourceSchema

ATTRIBUTES = table(
    OC("ca_certificate_name", check=LB_NAME, conflicts_with=("name",)),
    ALIAS("name", "ca_certificate_name"),
    R("ca_certificate", force_new=True, check=pem("CERTIFICATE"),
      description='the PEM CA certificate, e.g. file("ca.pem")'),
    OC("resource_group_id", force_new=True),
    OC("tags", "map(string)"),
)

SCHEMA = ResourceSchema("alicloud_slb_ca_certificate", ATTRIBUTES,
                        description="A CA certificate for mutual TLS on HTTPS listeners.")
