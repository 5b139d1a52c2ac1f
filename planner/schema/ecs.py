"""Supporting ECS resources: alicloud_instance, ENIs (two generations of names) and their attachments.

Backends of a load balancer are these objects; the emulator creates them so complete
configurations apply. Arguments mirror the provider; rarely used ones are accepted so
existing files keep working.
"""

from __future__ import annotations

from planner.schema._dsl import ALIAS, GONE, OC, SPELLING, C, O, R, block, length, table
from planner.schema.base import Attribute, ResourceSchema

DISK_CATEGORIES = ("cloud", "cloud_efficiency", "cloud_ssd", "cloud_essd", "cloud_auto", "cloud_essd_entry",
                   "ephemeral_ssd")

INSTANCE = ResourceSchema("alicloud_instance", table(
    R("image_id"),
    R("instance_type"),
    OC("availability_zone", force_new=True),
    OC("vswitch_id"),
    OC("security_groups", "set(string)"),
    OC("instance_name", check=length(2, 128)),
    OC("host_name"),
    O("password", sensitive=True, conflicts_with=("kms_encrypted_password",)),
    O("kms_encrypted_password", sensitive=True),
    O("key_name"),
    O("description", check=length(2, 256)),
    O("internet_charge_type", default="PayByTraffic", one_of=("PayByBandwidth", "PayByTraffic")),
    OC("internet_max_bandwidth_out", "number", ranges=((0, 100),)),
    OC("internet_max_bandwidth_in", "number", ranges=((1, 200),)),
    O("instance_charge_type", default="PostPaid", one_of=("PrePaid", "PostPaid")),
    O("period", "number"),
    O("period_unit", one_of=("Week", "Month")),
    O("system_disk_category", default="cloud_efficiency", force_new=True, one_of=DISK_CATEGORIES),
    OC("system_disk_size", "number", ranges=((20, 32768),)),
    OC("system_disk_name"),
    OC("system_disk_description"),
    OC("system_disk_performance_level", one_of=("PL0", "PL1", "PL2", "PL3")),
    O("user_data"),
    O("role_name"),
    OC("private_ip"),
    C("public_ip"),
    OC("secondary_private_ips", "set(string)"),
    OC("secondary_private_ip_address_count", "number"),
    OC("status", one_of=("Running", "Stopped")),
    O("stopped_mode", one_of=("StopCharging", "KeepCharging", "Not-applicable")),
    O("spot_strategy", default="NoSpot", one_of=("NoSpot", "SpotAsPriceGo", "SpotWithPriceLimit")),
    O("spot_price_limit", "number"),
    O("security_enhancement_strategy", one_of=("Active", "Deactive")),
    O("deletion_protection", "bool", default=False),
    O("force_delete", "bool"),
    O("dry_run", "bool", default=False),
    OC("resource_group_id"),
    OC("deployment_set_id"),
    OC("tags", "map(string)"),
    OC("volume_tags", "map(string)"),
    C("cpu", "number"), C("memory", "number"), C("os_type"), C("os_name"),
    OC("network_interface_id", force_new=True),  # the primary ENI; Optional+Computed in the provider
    C("primary_ip_address"), C("create_time"),
    # ADDED by clbres (issue 14 item 2): arguments real configurations set that were refused before
    # the provider removed these (subnet_id in 1.210.0, io_optimized in 1.213.1): an error, as in Terraform
    GONE("subnet_id", "Field 'subnet_id' has been removed from provider version 1.210.0; use vswitch_id"),
    O("credit_specification", one_of=("Standard", "Unlimited")),
    Attribute("allocate_public_ip", "bool", deprecated='"allocate_public_ip" is deprecated; set '
              "internet_max_bandwidth_out above 0 to get a public IP"),
    GONE("io_optimized", "Field 'io_optimized' has been removed from provider version 1.213.1: every instance "
         "is I/O optimized; remove it"),
    O("is_outdated", "bool"),
    O("kms_encryption_context", "map(string)"),
    O("system_disk_auto_snapshot_policy_id", force_new=True),
    O("system_disk_encrypted", "bool", force_new=True),
    O("system_disk_kms_key_id", force_new=True),
    O("system_disk_encrypt_algorithm", force_new=True),
    O("system_disk_storage_cluster_id", force_new=True),
    O("renewal_status", one_of=("AutoRenewal", "Normal", "NotRenewal")),
    O("auto_renew_period", "number", ranges=((1, 3), (6, 6), (12, 12))),
    O("include_data_disks", "bool"),
    O("auto_release_time"),
    O("hpc_cluster_id", force_new=True),
    O("dedicated_host_id", force_new=True),
    O("spot_duration", "number", ranges=((0, 6),)),
    O("ipv6_address_count", "number", force_new=True),
    O("ipv6_addresses", "set(string)"),
    O("http_endpoint", one_of=("enabled", "disabled")),
    O("http_tokens", one_of=("optional", "required")),
    O("http_put_response_hop_limit", "number", ranges=((1, 64),)),
    O("maintenance_action", one_of=("Stop", "AutoRecover", "AutoRedeploy")),
    O("maintenance_notify", "bool"),
    O("launch_template_id"), O("launch_template_name"), O("launch_template_version"),
    O("operator_type", one_of=("upgrade", "downgrade")),
    O("password_inherit", "bool"),
    O("enable_jumbo_frame", "bool"),
    O("network_interface_traffic_mode", one_of=("Standard", "HighPerformance")),
    # ADDED by fixes: the rest of the provider's instance arguments (its Schema map at 1.289.0)
    O("system_disk_provisioned_iops", "number"),
    O("system_disk_bursting_enabled", "bool"),
    OC("network_card_index", "number", force_new=True),
    OC("queue_pair_number", "number", force_new=True),
    OC("source_dest_check", "bool", force_new=True),
    OC("vpc_id"),
    OC("spot_interruption_behavior", force_new=True, one_of=("Terminate", "Stop")),
    OC("private_pool_options_match_criteria", one_of=("Open", "Target", "None")),
    OC("private_pool_options_id"),
    O("enable_high_density_mode", "bool"),
    C("system_disk_id"), C("deployment_set_group_no"), C("start_time"), C("expired_time"),
), {
    "image_options": block("image_options", O("login_as_non_root", "bool", force_new=True), max_items=1,
                           nesting="set", computed=True),
    "cpu_options": block("cpu_options", OC("core_count", "number"), OC("threads_per_core", "number"),
                         OC("topology_type"), max_items=1, computed=True),
    "data_disks": block(
        "data_disks",
        R("size", "number", ranges=((20, 32768),)),
        O("category", default="cloud_efficiency", one_of=DISK_CATEGORIES),
        O("name"), O("description"), O("snapshot_id"),
        O("encrypted", "bool", default=False),
        O("delete_with_instance", "bool", default=True),
        O("performance_level"),
        O("kms_key_id"), O("auto_snapshot_policy_id"), O("device"),
        force_new=True, max_items=16,
    ),
    "network_interfaces": block(
        "network_interfaces",
        O("network_interface_id"), O("vswitch_id"), O("security_group_ids", "set(string)"),
        O("network_interface_traffic_mode", one_of=("Standard", "HighPerformance")),
        force_new=True, max_items=1,
    ),
    "maintenance_time": block("maintenance_time", O("start_time"), O("end_time"), max_items=1),
}, description="An ECS instance (a typical backend server).")

# The ECS-era ENI resource: canonical names plus the old ones as deprecated aliases.
ECS_NETWORK_INTERFACE = ResourceSchema("alicloud_ecs_network_interface", table(
    R("vswitch_id", force_new=True),
    OC("security_group_ids", "set(string)"),
    ALIAS("security_groups", "security_group_ids", "set(string)"),
    OC("network_interface_name", check=length(2, 128)),
    ALIAS("name", "network_interface_name"),
    OC("primary_ip_address", force_new=True),
    ALIAS("private_ip", "primary_ip_address"),
    OC("private_ip_addresses", "set(string)", description="secondary private IPs of the ENI"),
    ALIAS("private_ips", "private_ip_addresses", "set(string)"),
    OC("secondary_private_ip_address_count", "number", ranges=((0, 49),)),
    ALIAS("private_ips_count", "secondary_private_ip_address_count", "number"),
    O("description", check=length(2, 256)),
    OC("resource_group_id"),
    OC("tags", "map(string)"),
    OC("queue_number", "number"),
    O("network_interface_traffic_mode", one_of=("Standard", "HighPerformance")),
    O("ipv6_addresses", "set(string)"),
    O("ipv6_address_count", "number"),
    O("ipv4_prefixes", "set(string)"),
    O("ipv4_prefix_count", "number"),
    O("instance_type", force_new=True, one_of=("Secondary", "Trunk")),
    O("source_dest_check", "bool"),  # ADDED by fixes: the provider's remaining arguments
    OC("delete_on_release", "bool"),
    C("mac"), C("status"),
), description="An elastic network interface (ENI).")

# The older resource keeps its own names (no deprecation noise for files written for it).
NETWORK_INTERFACE = ResourceSchema("alicloud_network_interface", table(
    R("vswitch_id", force_new=True),
    R("security_groups", "set(string)"),
    O("name", check=length(2, 128)),
    OC("private_ip", force_new=True),
    OC("private_ips", "set(string)", description="secondary private IPs of the ENI"),
    OC("private_ips_count", "number", ranges=((0, 49),)),
    O("description", check=length(2, 256)),
    OC("resource_group_id"),
    OC("tags", "map(string)"),
    # ADDED by fixes: the provider serves this name with the ECS resource's schema, so the current
    # spellings are accepted too (moved to this resource's names, no warning) with its other arguments
    SPELLING("network_interface_name", "name"),
    SPELLING("primary_ip_address", "private_ip"),
    SPELLING("private_ip_addresses", "private_ips", "set(string)"),
    SPELLING("secondary_private_ip_address_count", "private_ips_count", "number"),
    SPELLING("security_group_ids", "security_groups", "set(string)"),
    OC("queue_number", "number"),
    O("network_interface_traffic_mode", one_of=("Standard", "HighPerformance")),
    O("ipv6_addresses", "set(string)"),
    O("ipv6_address_count", "number"),
    O("ipv4_prefixes", "set(string)"),
    O("ipv4_prefix_count", "number"),
    O("instance_type", force_new=True, one_of=("Secondary", "Trunk")),
    O("source_dest_check", "bool"),
    OC("delete_on_release", "bool"),
    C("mac"), C("status"),
), description="An elastic network interface (ENI), older resource name.")

ECS_NETWORK_INTERFACE_ATTACHMENT = ResourceSchema("alicloud_ecs_network_interface_attachment", table(
    R("instance_id", force_new=True),
    R("network_interface_id", force_new=True),
    O("trunk_network_instance_id", force_new=True),
    O("wait_for_network_configuration_ready", "bool"),
), description="Attaches an ENI to an ECS instance.")

NETWORK_INTERFACE_ATTACHMENT = ResourceSchema("alicloud_network_interface_attachment", table(
    R("instance_id", force_new=True),
    R("network_interface_id", force_new=True),
), description="Attaches an ENI to an ECS instance (older resource name).")
