"""planner.schema: what each alicloud resource type accepts, and the CLB rules a configuration must obey.

Public API (called by planner.config):
- ``get_schema(type_name, mode="managed")``: the ResourceSchema, or None;
- ``conform(instance)``: convert/fill/validate one instance in place -> diagnostics;
- ``validate_configuration(config)``: cross-resource rules (listener count, ports, groups...);
- ``read_data_source(type_name, attrs)``: static results for the catalogue data sources.
"""

from planner.schema.conform import conform
from planner.schema.datasources import read_data_source
from planner.schema.registry import get_schema, type_names
from planner.schema.rules import validate_configuration

__all__ = ["conform", "get_schema", "read_data_source", "type_names", "validate_configuration"]
