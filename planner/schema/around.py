"""Objects around CLB that nearly every configuration declares (issue 14 item 2): security group
rules, EIPs and their associations, key pairs.

Arguments and ForceNew flags follow the provider's schemas; value checks are the ones the provider
or the API applies, so a bad rule fails at plan time with its file and line.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from planner.diagnostics import Diagnostic
from planner.schema._checks import err, known
from planner.schema._dsl import ALIAS, OC, C, O, R, cidr, length, table
from planner.schema.base import ResourceSchema

if TYPE_CHECKING:
    from planner.config.model import ResourceInstance

ALL_PORTS = "-1/-1"
PORTED = ("tcp", "udp")
_PORT_RANGE = re.compile(r"(-?\d+)/(-?\d+)")


def port_range_problem(protocol: str, value: str) -> str | None:
    """Why ``value`` is not a port range for ``protocol`` (the provider's and the API's rule), or None."""
    m = _PORT_RANGE.fullmatch(value)
    if m is None:
        return 'must look like "start/end", e.g. "80/80", "1/65535" or "-1/-1"'
    lo, hi = int(m.group(1)), int(m.group(2))
    if protocol in PORTED:
        if not (1 <= lo <= hi <= 65535):
            return f"{protocol} takes ports 1 to 65535 with start <= end (e.g. \"443/443\"), not {value!r}"
    elif value != ALL_PORTS:
        return f'{protocol} has no ports: use port_range = "{ALL_PORTS}"'
    return None


def _rule_checks(attrs: dict, inst: ResourceInstance) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    proto, ports = attrs.get("ip_protocol"), attrs.get("port_range")
    if known(proto) and known(ports):
        why = port_range_problem(proto, ports)
        if why:
            out.append(err(inst, ("port_range",), f"port_range {ports!r} does not fit ip_protocol {proto!r}", why))
    sources = [n for n in ("cidr_ip", "source_security_group_id", "ipv6_cidr_ip", "prefix_list_id")
               if attrs.get(n) is not None]
    if not sources:
        out.append(err(inst, (), "the rule names no peer",
                       "set one of cidr_ip (e.g. \"0.0.0.0/0\"), source_security_group_id, ipv6_cidr_ip or "
                       "prefix_list_id"))
    if attrs.get("nic_type") == "internet" and attrs.get("source_security_group_id") is not None:
        out.append(err(inst, ("nic_type",), 'nic_type "internet" cannot authorize a security group',
                       'rules naming source_security_group_id must use nic_type = "intranet"'))
    return out


SECURITY_GROUP_RULE = ResourceSchema("alicloud_security_group_rule", table(
    R("type", force_new=True, one_of=("ingress", "egress")),
    R("ip_protocol", force_new=True, one_of=("tcp", "udp", "icmp", "icmpv6", "gre", "all")),
    OC("nic_type", force_new=True, one_of=("internet", "intranet"),
       description="intranet for VPC security groups (the default there)"),
    O("policy", default="accept", force_new=True, one_of=("accept", "drop")),
    O("port_range", default=ALL_PORTS, force_new=True, description='"start/end"; "-1/-1" for icmp, gre and all'),
    O("priority", "number", default=1, force_new=True, ranges=((1, 100),)),
    R("security_group_id", force_new=True),
    O("cidr_ip", force_new=True, check=cidr, conflicts_with=("source_security_group_id", "ipv6_cidr_ip",
                                                             "prefix_list_id")),
    O("ipv6_cidr_ip", force_new=True, check=cidr, conflicts_with=("source_security_group_id", "prefix_list_id")),
    O("source_security_group_id", force_new=True, conflicts_with=("prefix_list_id",)),
    O("source_group_owner_account", force_new=True),
    O("prefix_list_id", force_new=True),
    O("description", check=length(1, 512)),
    C("security_group_rule_id"),
), instance_checks=[_rule_checks], description="One rule of a security group.")


# --- key pairs -------------------------------------------------------------------------------------

_KP_NAME = length(2, 128)


def _key_pair_checks(attrs: dict, inst: ResourceInstance) -> list[Diagnostic]:
    pub = attrs.get("public_key")
    if known(pub) and isinstance(pub, str) and pub.split()[:1] and pub.split()[0] not in (
            "ssh-rsa", "ssh-ed25519", "ssh-dss", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521"):
        return [err(inst, ("public_key",), "public_key is not an OpenSSH public key",
                    'use the one-line public key, e.g. file("~/.ssh/id_ed25519.pub") ("ssh-rsa AAAA..." or '
                    '"ssh-ed25519 AAAA...")')]
    if known(pub) and attrs.get("key_file") is not None:
        return [err(inst, ("key_file",), "key_file is only written for a key pair the cloud makes",
                    "remove key_file (an imported public key has no private key to save), or remove public_key")]
    return []


ECS_KEY_PAIR = ResourceSchema("alicloud_ecs_key_pair", table(
    OC("key_pair_name", force_new=True, check=_KP_NAME, conflicts_with=("key_name_prefix", "key_name")),
    ALIAS("key_name", "key_pair_name", force_new=True),
    O("key_name_prefix", force_new=True, check=length(1, 100)),
    O("public_key", force_new=True, description="an OpenSSH public key to import; without it the cloud makes the key"),
    O("key_file", force_new=True, description="where the private key of a cloud-made key pair is saved (mode 0400)"),
    OC("resource_group_id"),
    OC("tags", "map(string)"),
    C("finger_print"),
), instance_checks=[_key_pair_checks], description="An SSH key pair for ECS instances.")

KEY_PAIR = ResourceSchema("alicloud_key_pair", table(
    OC("key_name", force_new=True, check=_KP_NAME, conflicts_with=("key_name_prefix",)),
    O("key_name_prefix", force_new=True, check=length(1, 100)),
    O("public_key", force_new=True),
    O("key_file", force_new=True),
    OC("resource_group_id"),
    OC("tags", "map(string)"),
    C("finger_print"),
), instance_checks=[_key_pair_checks], description="An SSH key pair (older resource name).")
