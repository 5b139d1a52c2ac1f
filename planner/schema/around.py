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


# --- EIPs ------------------------------------------------------------------------------------------

ISPS = ("BGP", "BGP_PRO", "ChinaTelecom", "ChinaUnicom", "ChinaMobile", "ChinaTelecom_L2", "ChinaUnicom_L2",
        "ChinaMobile_L2", "BGP_FinanceCloud", "BGP_International")


def _bandwidth(v: object) -> str | None:
    try:
        n = int(str(v))
    except ValueError:
        return "must be a whole number of Mbit/s, e.g. \"5\""
    if not 1 <= n <= 200:
        return "must be 1 to 200 Mbit/s (pay-as-you-go)"
    return None


EIP_ADDRESS = ResourceSchema("alicloud_eip_address", table(
    OC("address_name", check=length(1, 128), conflicts_with=("name",)),
    ALIAS("name", "address_name"),
    OC("bandwidth", check=_bandwidth, description="Mbit/s, a string in the provider (\"5\")"),
    O("internet_charge_type", default="PayByBandwidth", force_new=True, one_of=("PayByBandwidth", "PayByTraffic")),
    OC("payment_type", force_new=True, one_of=("PayAsYouGo", "Subscription")),
    O("instance_charge_type", force_new=True, one_of=("PostPaid", "PrePaid"),
      deprecated='"instance_charge_type" is deprecated; use "payment_type" instead'),
    O("period", "number"),
    O("pricing_cycle", one_of=("Month", "Year")),
    O("auto_pay", "bool"),
    OC("isp", force_new=True, one_of=ISPS),
    OC("netmode", force_new=True, one_of=("public",)),
    O("description", check=length(0, 256)),
    OC("resource_group_id"),
    OC("deletion_protection", "bool"),
    O("activity_id"),
    O("public_ip_address_pool_id", force_new=True),
    O("security_protection_types", "list(string)", force_new=True),
    O("zone", force_new=True),
    OC("ip_address", force_new=True),
    O("high_definition_monitor_log_status", one_of=("ON", "OFF")),
    O("log_project"), O("log_store"),
    OC("tags", "map(string)"),
    C("status"), C("create_time"), C("allocation_id"),
), description="An elastic IP address.")

EIP = ResourceSchema("alicloud_eip", table(
    OC("name", check=length(1, 128)),
    O("description", check=length(0, 256)),
    O("bandwidth", "number", default=5, ranges=((1, 200),)),
    O("internet_charge_type", default="PayByBandwidth", force_new=True, one_of=("PayByBandwidth", "PayByTraffic")),
    O("instance_charge_type", default="PostPaid", force_new=True, one_of=("PostPaid", "PrePaid")),
    O("period", "number"),
    OC("isp", force_new=True, one_of=ISPS),
    OC("resource_group_id", force_new=True),
    OC("deletion_protection", "bool"),
    OC("tags", "map(string)"),
    C("ip_address"), C("status"),
), description="An elastic IP address (older resource name).")

EIP_INSTANCE_TYPES = ("EcsInstance", "SlbInstance", "Nat", "NetworkInterface", "HaVip", "IpAddress")

EIP_ASSOCIATION = ResourceSchema("alicloud_eip_association", table(
    R("allocation_id", force_new=True),
    R("instance_id", force_new=True),
    OC("instance_type", force_new=True, one_of=EIP_INSTANCE_TYPES,
       description="inferred from the id when unset: lb- SlbInstance, eni- NetworkInterface, ngw- Nat"),
    OC("private_ip_address", force_new=True),
    O("force", "bool", default=False),
    OC("mode", one_of=("NAT", "MULTI_BINDED", "BINDED")),
    OC("vpc_id", force_new=True),
), description="Binds an EIP to a load balancer, an ECS instance or an ENI.")
