"""The lookup data sources: arguments and attributes as the alicloud provider declares them.

Every one of these is read through the provider (``planner.providers.alicloud.data_sources``), over
the same transport as the resources, so a served emulator and the official SDK see the calls. The
argument names, defaults and allowed values are the provider's (``website/docs/d/*.html.markdown``
and the data sources' Go schemas); attributes are the ``ids``/``names`` lists and the object list
under the provider's name (``balancers``, ``listeners``, ``acls``...). Arguments the provider
removed are refused with the replacement named.
"""

from __future__ import annotations

from planner.schema._dsl import GONE, OC, C, O, table
from planner.schema.base import Attribute, ResourceSchema

OUT = (O("output_file"),)


def _ids(names: bool = True) -> tuple[Attribute, ...]:
    """The ``ids`` argument (a client-side filter, computed when unset) and the ``names`` list."""
    out: tuple[Attribute, ...] = (OC("ids", "list(string)"),)
    if names:
        out += (C("names", "list(string)"),)
    return out


def _schema(type_name: str, description: str, *items: Attribute) -> ResourceSchema:
    return ResourceSchema(type_name, table(*items, *OUT), mode="data", description=description)


_LB_ARGS = (
    *_ids(), O("name_regex"), O("tags", "map(string)"),
    O("address"), O("address_ip_version", one_of=("ipv4", "ipv6")),
    O("address_type", one_of=("internet", "intranet")),
    O("internet_charge_type", one_of=("PayByBandwidth", "PayByTraffic")),
    O("load_balancer_name"), O("master_zone_id"), O("slave_zone_id"),
    O("network_type", one_of=("vpc", "classic")),
    O("payment_type", one_of=("PayAsYouGo", "Subscription")),
    O("resource_group_id"), O("server_id"), O("server_intranet_address"),
    O("status", one_of=("active", "inactive", "locked")),
    O("vswitch_id"), O("vpc_id"), O("enable_details", "bool", default=False),
    O("page_number", "number"), O("page_size", "number", default=100),
    GONE("master_availability_zone", "use master_zone_id instead"),
    GONE("slave_availability_zone", "use slave_zone_id instead"),
    C("total_count", "number"), C("balancers", "list(map(string))"), C("slbs", "list(map(string))"),
)

SLB_LOAD_BALANCERS = _schema("alicloud_slb_load_balancers", "Load balancers of the region.", *_LB_ARGS)
SLBS = _schema("alicloud_slbs", "Load balancers of the region (the provider's older name).", *_LB_ARGS)

SLB_LISTENERS = _schema(
    "alicloud_slb_listeners", "Listeners of one load balancer.",
    O("load_balancer_id", required=True, optional=False), O("frontend_port", "number"),
    O("protocol", one_of=("http", "https", "tcp", "udp")), O("description_regex"),
    C("slb_listeners", "list(map(string))"),
)

SLB_SERVER_GROUPS = _schema(
    "alicloud_slb_server_groups", "VServer groups of one load balancer.",
    O("load_balancer_id", required=True, optional=False), *_ids(), O("name_regex"),
    C("slb_server_groups", "list(map(string))"),
)

SLB_MASTER_SLAVE_SERVER_GROUPS = _schema(
    "alicloud_slb_master_slave_server_groups", "Master-slave server groups of one load balancer.",
    O("load_balancer_id", required=True, optional=False), *_ids(), O("name_regex"),
    C("groups", "list(map(string))"),
)

SLB_BACKEND_SERVERS = _schema(
    "alicloud_slb_backend_servers", "Servers of one load balancer's default group.",
    O("load_balancer_id", required=True, optional=False), OC("ids", "list(string)"),
    C("backend_servers", "list(map(string))"),
)

SLB_RULES = _schema(
    "alicloud_slb_rules", "Forwarding rules of one listener.",
    O("load_balancer_id", required=True, optional=False), O("frontend_port", "number", required=True,
                                                            optional=False),
    *_ids(), O("name_regex"), C("slb_rules", "list(map(string))"),
)

SLB_ACLS = _schema(
    "alicloud_slb_acls", "Access control lists of the region.",
    *_ids(), O("name_regex"), O("tags", "map(string)"), O("resource_group_id"),
    C("acls", "list(map(string))"),
)

SLB_SERVER_CERTIFICATES = _schema(
    "alicloud_slb_server_certificates", "Server certificates of the region.",
    *_ids(), O("name_regex"), O("tags", "map(string)"), O("resource_group_id"),
    C("certificates", "list(map(string))"),
)

SLB_CA_CERTIFICATES = _schema(
    "alicloud_slb_ca_certificates", "CA certificates of the region.",
    *_ids(), O("name_regex"), O("tags", "map(string)"), O("resource_group_id"),
    C("certificates", "list(map(string))"),
)

SLB_DOMAIN_EXTENSIONS = _schema(
    "alicloud_slb_domain_extensions", "Domain extensions (extra certificates by domain) of one HTTPS listener.",
    OC("ids", "list(string)"), O("load_balancer_id", required=True, optional=False),
    O("frontend_port", "number", required=True, optional=False),
    C("extensions", "list(map(string))"),
)

SLB_ZONES = _schema(
    "alicloud_slb_zones", "Primary/secondary zone pairs that sell CLB.",
    O("available_slb_address_type", one_of=("vpc", "classic_internet", "classic_intranet", "Vpc")),
    O("available_slb_address_ip_version", one_of=("ipv4", "ipv6")),
    O("master_zone_id"), O("slave_zone_id"), O("enable_details", "bool"),
    C("ids", "list(string)"), C("zones", "list(map(string))"),
)

REGIONS = _schema(
    "alicloud_regions", "Public regions.",
    OC("name"), OC("current", "bool"), C("ids", "list(string)"), C("regions", "list(map(string))"),
)

VPCS = _schema(
    "alicloud_vpcs", "VPCs of the region.",
    *_ids(), O("name_regex"), O("tags", "map(string)"), O("cidr_block"), O("is_default", "bool"),
    O("status", one_of=("Pending", "Available")), O("vswitch_id"), O("vpc_name"), O("resource_group_id"),
    O("enable_details", "bool", default=True), C("total_count", "number"), C("vpcs", "list(map(string))"),
)

VSWITCHES = _schema(
    "alicloud_vswitches", "vSwitches of the region.",
    *_ids(), O("name_regex"), O("tags", "map(string)"), O("cidr_block"), O("is_default", "bool"),
    O("vpc_id"), O("zone_id"), O("vswitch_name"), O("status", one_of=("Pending", "Available")),
    O("resource_group_id"), C("total_count", "number"), C("vswitches", "list(map(string))"),
)

SECURITY_GROUPS = _schema(
    "alicloud_security_groups", "Security groups of the region.",
    *_ids(), O("name_regex"), O("tags", "map(string)"), O("vpc_id"), O("resource_group_id"),
    O("security_group_type", one_of=("normal", "enterprise")),
    O("enable_details", "bool", default=True), C("total_count", "number"), C("groups", "list(map(string))"),
)

INSTANCES = _schema(
    "alicloud_instances", "ECS instances of the region.",
    *_ids(), O("name_regex"), O("tags", "map(string)"), O("image_id"), O("instance_name"),
    O("status", one_of=("Running", "Stopped", "Creating", "Starting", "Stopping")),
    O("vpc_id"), O("vswitch_id"), O("availability_zone"), O("resource_group_id"), O("ram_role_name"),
    O("enable_details", "bool", default=True), C("total_count", "number"), C("instances", "list(map(string))"),
)

NETWORK_INTERFACES = _schema(
    "alicloud_network_interfaces", "Elastic network interfaces of the region.",
    *_ids(), O("name_regex"), O("tags", "map(string)"), O("vpc_id"), O("vswitch_id"),
    O("private_ip"), O("security_group_id"), O("type", one_of=("Primary", "Secondary")),
    O("instance_id"), O("network_interface_name"), O("status"), O("resource_group_id"),
    C("total_count", "number"), C("interfaces", "list(map(string))"),
)

# the data sources that list objects a configuration creates (not the catalogue): their reads are
# deferred until there is a cloud to ask (``clbplan validate`` reads only the catalogue)
OBJECT_LOOKUPS = frozenset({
    "alicloud_slb_load_balancers", "alicloud_slbs", "alicloud_slb_listeners", "alicloud_slb_server_groups",
    "alicloud_slb_master_slave_server_groups", "alicloud_slb_backend_servers", "alicloud_slb_rules",
    "alicloud_slb_acls", "alicloud_slb_server_certificates", "alicloud_slb_ca_certificates",
    "alicloud_slb_domain_extensions", "alicloud_vpcs", "alicloud_vswitches", "alicloud_security_groups",
    "alicloud_instances", "alicloud_network_interfaces",
})

SCHEMAS: tuple[ResourceSchema, ...] = (
    SLB_LOAD_BALANCERS, SLBS, SLB_LISTENERS, SLB_SERVER_GROUPS, SLB_MASTER_SLAVE_SERVER_GROUPS,
    SLB_BACKEND_SERVERS, SLB_RULES, SLB_ACLS, SLB_SERVER_CERTIFICATES, SLB_CA_CERTIFICATES,
    SLB_DOMAIN_EXTENSIONS, SLB_ZONES, REGIONS, VPCS, VSWITCHES, SECURITY_GROUPS, INSTANCES, NETWORK_INTERFACES,
)
