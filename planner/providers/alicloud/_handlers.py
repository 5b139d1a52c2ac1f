"""Imports every handler module so their ``@register`` decorators run.

The modules are named as the schema's (``planner/schema/``) and, for the CLB API families, as the
emulator's (``planner/emulator/actions/``): one vocabulary from the `.tf` type to the API call.
"""

from . import (  # noqa: F401
    around,
    ecs,
    network,
    slb_acl,
    slb_attachment,
    slb_backend_server,
    slb_extensions,
    slb_listener,
    slb_load_balancer,
    slb_master_slave_server_group,
    slb_rule,
    slb_server_certificate,
    slb_server_group,
)
