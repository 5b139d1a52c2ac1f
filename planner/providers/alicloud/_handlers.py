"""Imports every handler module so their ``@register`` decorators run."""

from . import (  # noqa: F401
    acl,
    around,
    attachment,
    backend_server,
    certificate,
    ecs,
    extensions,
    listener,
    load_balancer,
    master_slave,
    rule,
    server_group,
    vpc,
)
