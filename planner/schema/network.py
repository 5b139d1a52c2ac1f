"""Supporting VPC resources the examples declare: alicloud_vpc, alicloud_vswitch, alicloud_security_group.

Only what CLB configurations use is modelled, with the provider's names and deprecated aliases.
"""

from __future__ import annotations

from planner.schema._dsl import ALIAS, OC, C, O, R, length, strict_cidr, table
from planner.schema.base import ResourceSchema

VPC = ResourceSchema("alicloud_vpc", table(
    OC("vpc_name", check=length(1, 128)),
    ALIAS("name", "vpc_name"),
    OC("cidr_block", check=strict_cidr, description="e.g. 172.16.0.0/12, 192.168.0.0/16 or 10.0.0.0/8"),
    O("description", check=length(1, 256)),
    OC("resource_group_id"),
    OC("tags", "map(string)"),
    O("enable_ipv6", "bool"),
    O("dry_run", "bool"),
    OC("user_cidrs", "list(string)"),
    # ADDED by clbres (issue 14 item 2): arguments real configurations set
    O("secondary_cidr_blocks", "list(string)",
       deprecated='"secondary_cidr_blocks" is deprecated; use alicloud_vpc_ipv4_cidr_block resources'),
    O("classic_link_enabled", "bool"),
    O("ipv6_isp"),
    O("is_default", "bool", force_new=True),
    O("system_route_table_name"),
    O("system_route_table_description"),
    O("ipv4_ipam_pool_id"),
    O("ipv4_cidr_mask", "number"),
    # ADDED by fixes (issue 14 item 2): the rest of the provider's arguments (its Schema map)
    OC("dns_hostname_status", one_of=("ENABLED", "DISABLED")),
    O("force_delete", "bool"),
    O("secondary_cidr_mask", "number",
      deprecated='"secondary_cidr_mask" is deprecated; use alicloud_vpc_ipv4_cidr_block resources'),
    OC("system_route_table_route_propagation_enable", "bool"),
    OC("ipv6_cidr_block", force_new=True,
       deprecated='"ipv6_cidr_block" is deprecated; use alicloud_vpc_ipv6_cidr_block resources'),
    C("router_id"), C("route_table_id"), C("status"), C("create_time"), C("region_id"),
    C("router_table_id", description="deprecated spelling of route_table_id"),
    C("ipv6_cidr_blocks", "list(map(string))"),
), description="A VPC.")

VSWITCH = ResourceSchema("alicloud_vswitch", table(
    R("vpc_id", force_new=True),
    R("cidr_block", force_new=True, check=strict_cidr, description="a block inside the VPC's CIDR"),
    OC("zone_id", force_new=True),
    ALIAS("availability_zone", "zone_id"),
    OC("vswitch_name", check=length(1, 128)),
    ALIAS("name", "vswitch_name"),
    O("description", check=length(1, 256)),
    OC("tags", "map(string)"),
    O("enable_ipv6", "bool"),
    O("ipv6_cidr_block_mask", "number", ranges=((0, 255),)),
    OC("is_default", "bool", force_new=True),  # ADDED by fixes: the provider's remaining arguments
    O("vpc_ipv6_cidr_block"),
    C("status"), C("ipv6_cidr_block"), C("create_time"),
), description="A vSwitch (subnet) in one zone.")

SECURITY_GROUP = ResourceSchema("alicloud_security_group", table(
    OC("security_group_name", check=length(2, 128)),
    ALIAS("name", "security_group_name"),
    O("description", check=length(2, 256)),
    O("vpc_id", force_new=True),
    O("security_group_type", default="normal", force_new=True, one_of=("normal", "enterprise")),
    OC("inner_access_policy", one_of=("Accept", "Drop")),
    O("inner_access", "bool", deprecated='"inner_access" is deprecated; use inner_access_policy = "Accept" or "Drop"'),
    OC("resource_group_id"),
    OC("tags", "map(string)"),
    C("create_time"),
), description="A security group.")
