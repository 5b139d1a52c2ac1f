"""Every argument and attribute the alicloud provider declares for the network objects around CLB
(VPC, vSwitch, security group, both ENI resources) is known to clbplan's schema: a configuration
written for the provider is never refused for a name the provider accepts. The lists were read from
the provider's Schema maps (fixtures/provider_arguments.json says where)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from planner.schema.registry import MANAGED

REFERENCE = json.loads((Path(__file__).parent / "fixtures" / "provider_arguments.json").read_text())["types"]


@pytest.mark.parametrize("type_name", sorted(REFERENCE))
def test_every_provider_argument_is_configurable(type_name: str) -> None:
    schema = MANAGED[type_name]
    missing = [n for n in REFERENCE[type_name]["arguments"]
               if n not in schema.blocks and (n not in schema.attributes
                                              or not (schema.attributes[n].optional or schema.attributes[n].required)
                                              or schema.attributes[n].removed)]
    assert missing == [], f"{type_name}: the provider accepts {missing} but clbplan's schema does not"


@pytest.mark.parametrize("type_name", sorted(REFERENCE))
def test_every_provider_attribute_can_be_read(type_name: str) -> None:
    schema = MANAGED[type_name]
    missing = [n for n in REFERENCE[type_name]["computed_only"] if n not in schema.attributes]
    assert missing == [], f"{type_name}: the provider exports {missing} but clbplan's schema does not"


@pytest.mark.parametrize("type_name", sorted(REFERENCE))
def test_arguments_the_provider_removed_are_refused_by_name(type_name: str) -> None:
    schema = MANAGED[type_name]
    kept = [n for n in REFERENCE[type_name]["removed"] if not schema.attributes.get(n) or
            not schema.attributes[n].removed]
    assert kept == [], f"{type_name}: the provider removed {kept}; clbplan must refuse them with the reason"
