"""alicloud_slb_domain_extension: one more domain (with its own certificate) on an HTTPS listener
of a performance-guaranteed load balancer (SNI). Only the certificate changes in place."""

from __future__ import annotations

from planner.schema._dsl import PORT, O, R, all_of, length, matches, table
from planner.schema.base import ResourceSchema

DOMAIN = all_of(length(1, 80), matches(r"(\*\.)?([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}",
                                       "must be a domain name such as www.example.com or *.example.com"))

ATTRIBUTES = table(
    R("load_balancer_id", force_new=True),
    R("frontend_port", "number", force_new=True, ranges=PORT, description="the port of an https listener"),
    R("domain", force_new=True, check=DOMAIN),
    R("server_certificate_id", description="the certificate served for this domain"),
    O("delete_protection_validation", "bool", default=False),
)

SCHEMA = ResourceSchema("alicloud_slb_domain_extension", ATTRIBUTES,
                        description="An extra domain and certificate on an HTTPS listener.")
