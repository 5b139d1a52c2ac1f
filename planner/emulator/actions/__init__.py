"""Action handlers, one module per area; importing this package registers them all."""

from planner.emulator.actions import (  # noqa: F401
    catalogue_api,
    ecs,
    ecs_rules,
    slb_extensions,
    slb_instances,
    slb_listeners,
    slb_misc,
    slb_rules,
    slb_servers,
    vpc,
    vpc_eip,
)
