"""Action handlers, one module per area; importing this package registers them all."""

from planner.emulator.actions import (  # noqa: F401
    catalogue_api,
    ecs,
    ecs_rules,
    slb_acls,
    slb_backend_servers,
    slb_extensions,
    slb_instances,
    slb_listeners,
    slb_rules,
    slb_server_certificates,
    slb_tags,
    vpc,
    vpc_eip,
)
