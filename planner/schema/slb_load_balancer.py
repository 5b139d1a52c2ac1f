"""alicloud_slb_load_balancer (and its deprecated alias alicloud_slb): one CLB instance.

Table mirrors the provider schema (reference clb-api.md 4.1); name rules come from the API,
checked here so a bad name fails at plan time instead of half way through apply.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from planner.diagnostics import Diagnostic
from planner.schema._checks import err, known, warn
from planner.schema._dsl import ALIAS, GONE, LB_NAME, OC, ON_OFF, C, O, length, one_of_ci, table
from planner.schema.base import ResourceSchema
from planner.schema.facts import LOAD_BALANCER_TYPES

SPECS = ("slb.s1.small", "slb.s2.medium", "slb.s2.small", "slb.s3.large", "slb.s3.medium",
         "slb.s3.small", "slb.s4.large", "slb.lcu.elastic")

ATTRIBUTES = table(
    OC("load_balancer_name", check=LB_NAME, conflicts_with=("name",)),
    ALIAS("name", "load_balancer_name"),
    OC("address_type", force_new=True, one_of=("internet", "intranet")),
    OC("address", force_new=True),
    O("address_ip_version", default="ipv4", force_new=True, one_of=("ipv4", "ipv6")),
    O("vswitch_id", force_new=True),
    O("internet_charge_type", default="PayByTraffic", check=one_of_ci("PayByBandwidth", "PayByTraffic")),
    O("bandwidth", "number", default=1, ranges=((1, 5120),),
      description="bandwidth (Mbit/s) applies only to PayByBandwidth instances"),
    OC("load_balancer_spec", one_of=SPECS,
       description="a spec makes the instance performance-guaranteed (slb.s1.small is the smallest)"),
    ALIAS("specification", "load_balancer_spec"),
    OC("instance_charge_type", one_of=("PayBySpec", "PayByCLCU")),
    OC("payment_type", one_of=("PayAsYouGo", "Subscription")),
    O("period", "number", ranges=((1, 9), (12, 12), (24, 24), (36, 36)),
      description="months of a Subscription: 1-9, 12, 24 or 36"),
    OC("master_zone_id", force_new=True),
    OC("slave_zone_id", force_new=True),
    OC("resource_group_id", force_new=True),
    O("delete_protection", default="off", one_of=ON_OFF),
    OC("modification_protection_status", one_of=("ConsoleProtection", "NonProtection")),
    O("modification_protection_reason", check=length(1, 80)),
    OC("status", one_of=("active", "inactive", "locked")),
    OC("tags", "map(string)"),
    GONE("internet", 'the provider removed "internet"; use address_type = "internet" or "intranet"'),
    C("network_type"),
    C("vpc_id"),
)


def _checks(attrs: dict, inst: ResourceInstance) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    addr_type = attrs.get("address_type")
    if addr_type == "intranet" and attrs.get("address_ip_version") == "ipv6":
        out.append(err(inst, ("address_ip_version",), "IPv6 is only available for internet load balancers",
                       'use address_ip_version = "ipv4" or address_type = "internet"'))
    if addr_type == "internet" and known(attrs.get("vswitch_id")):
        out.append(warn(inst, ("vswitch_id",), "vswitch_id has no effect on an internet load balancer",
                        'remove vswitch_id, or set address_type = "intranet" to place it in the vSwitch'))
    if addr_type == "internet" and known(attrs.get("address")):
        out.append(warn(inst, ("address",), "address has no effect on an internet load balancer",
                        "the cloud assigns public addresses; remove address"))
    ict = attrs.get("internet_charge_type")
    if known(ict) and ict.lower() == "paybytraffic" and known(attrs.get("bandwidth")) and attrs["bandwidth"] != 1:
        out.append(warn(inst, ("bandwidth",), "bandwidth has no effect with internet_charge_type PayByTraffic",
                        'set internet_charge_type = "PayByBandwidth" to cap the bandwidth'))
    if attrs.get("payment_type") != "Subscription" and known(attrs.get("period")):
        out.append(warn(inst, ("period",), "period applies only to Subscription load balancers",
                        'remove period, or set payment_type = "Subscription"'))
    spec, charge = attrs.get("load_balancer_spec"), attrs.get("instance_charge_type")
    if charge == "PayByCLCU" and isinstance(ict, str) and ict.lower() == "paybybandwidth":
        out.append(err(inst, ("internet_charge_type",), "pay-by-LCU load balancers are billed by traffic only",
                       'remove internet_charge_type (PayByTraffic), or use instance_charge_type = "PayBySpec"'))
    if addr_type == "intranet" and isinstance(ict, str) and ict.lower() == "paybybandwidth":
        out.append(warn(inst, ("internet_charge_type",), "internet_charge_type has no effect on an intranet load "
                        "balancer", "intranet traffic is not billed by bandwidth; remove internet_charge_type"))
    if charge == "PayByCLCU" and known(spec) and spec != "slb.lcu.elastic":
        out.append(warn(inst, ("load_balancer_spec",), "load_balancer_spec is ignored for PayByCLCU instances",
                        "remove load_balancer_spec: pay-by-LCU instances scale elastically"))
    if _shared(attrs):
        # a warning here: validate cannot see the state, and an existing shared instance (created
        # before the halt, or imported) is still served; plan refuses to create a new one
        out.append(warn(inst, (), "no load_balancer_spec: this asks for a shared-performance instance",
                        'Alibaba no longer sells shared-performance instances (ShareSlbHaltSales), so plan '
                        'refuses to create one; set load_balancer_spec = "slb.s1.small" or '
                        'instance_charge_type = "PayByCLCU"'))
    if known(attrs.get("modification_protection_reason")) and \
            attrs.get("modification_protection_status") != "ConsoleProtection":
        out.append(warn(inst, ("modification_protection_reason",),
                        "modification_protection_reason is ignored unless protection is on",
                        'set modification_protection_status = "ConsoleProtection"'))
    return out


def _shared(attrs: dict) -> bool:
    """No spec and pay-by-spec: what the cloud calls a shared-performance instance."""
    spec = attrs.get("load_balancer_spec", attrs.get("specification"))
    return spec is None and attrs.get("instance_charge_type") in (None, "PayBySpec")


def new_shared_instances(changes: Iterable[ResourceChange], config: Configuration) -> list[Diagnostic]:
    """Plan-time errors for every load balancer the plan would create as a shared-performance
    instance (PayBySpec with no load_balancer_spec): CreateLoadBalancer refuses it with
    ShareSlbHaltSales. Only creates (and the create half of a replacement): a shared instance
    already in the state, or imported, stays managed as it is."""
    out: list[Diagnostic] = []
    for ch in changes:
        if ch.address.type not in LOAD_BALANCER_TYPES or "create" not in ch.action.actions:
            continue
        inst = config.resources.get(ch.address)
        if inst is None or not _shared(inst.attributes):
            continue
        what = "replacing it creates" if ch.action.is_replace else "this creates"
        out.append(err(inst, (), f"{what} a shared-performance load balancer (no load_balancer_spec, "
                       "pay by spec), which Alibaba Cloud no longer sells: CreateLoadBalancer refuses it with "
                       "ShareSlbHaltSales",
                       'set load_balancer_spec = "slb.s1.small" (or a larger spec), or instance_charge_type = '
                       '"PayByCLCU"; a shared instance already in the state (or imported) is still managed'))
    return out


SCHEMA = ResourceSchema(
    "alicloud_slb_load_balancer", ATTRIBUTES, mode="managed", instance_checks=[_checks],
    description="A Classic Load Balancer instance.",
)

if TYPE_CHECKING:
    from planner.config.model import Configuration, ResourceInstance
    from planner.plan.model import ResourceChange
