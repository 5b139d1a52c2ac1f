"""The state document: what clbplan believes the cloud holds, keyed by resource address.

On disk (and in the pg backend) the state is Terraform's format version 4: see
``planner.state.tfstate``. The ``to_json`` shapes here are clbplan's internal per-instance form:
journal records, ``clbplan show -json``, and the layout of state files written before format 4
(still read)::

    {"version": 1, "serial": 7, "lineage": "uuid", "clbplan_version": "0.1.0",
     "resources": [{"address": "alicloud_slb_listener.http", "mode": "managed",
                    "type": "alicloud_slb_listener", "name": "http", "index": null,
                    "provider": "alicloud", "id": "lb-x:http:80",
                    "attributes": {...}, "dependencies": ["alicloud_slb_load_balancer.web"],
                    "sensitive_attributes": [[{"type": "get_attr", "value": "private_key"}]]}],
     "outputs": {"name": {"value": ..., "sensitive": false}}}

``sensitive_attributes`` is Terraform's: the paths of the attributes whose value is sensitive
(by the schema, or derived from a sensitive variable); every renderer masks them. Written only
when there are some.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from planner.addresses import ResourceAddress, parse_module_path

STATE_VERSION = 4  # Terraform's state format version, written since clbplan 0.1 moved to it


@dataclass
class ResourceState:
    address: ResourceAddress
    id: str
    attributes: dict[str, Any]
    provider: str = "alicloud"
    dependencies: list[ResourceAddress] = field(default_factory=list)
    # top-level attribute names holding a sensitive value (Terraform's sensitive_attributes)
    sensitive: set[str] = field(default_factory=set)
    # format-4 instance fields clbplan does not use (schema_version, private, status, ...): kept on rewrite
    extra: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def type(self) -> str:
        return self.address.type

    def to_json(self) -> dict:
        a = self.address
        doc = {
            "address": str(a), "mode": a.mode, "type": a.type, "name": a.name, "index": a.key,
            "provider": self.provider, "id": self.id, "attributes": self.attributes,
            "dependencies": sorted(str(d) for d in self.dependencies),
        }
        if self.sensitive:
            doc["sensitive_attributes"] = [[{"type": "get_attr", "value": n}] for n in sorted(self.sensitive)]
        if a.module:  # Terraform's "module": the module instance address, omitted in the root module
            doc = {"module": a.module_address, **doc}
        return doc

    @classmethod
    def from_json(cls, doc: dict) -> ResourceState:
        module = parse_module_path(doc["module"] + ".")[0] if doc.get("module") else ()
        addr = ResourceAddress(doc["type"], doc["name"], doc.get("index"), doc.get("mode", "managed"), module)
        return cls(
            address=addr, id=doc["id"], attributes=doc.get("attributes", {}),
            provider=doc.get("provider", "alicloud"),
            dependencies=[ResourceAddress.parse(d) for d in doc.get("dependencies", [])],
            sensitive=_sensitive_names(doc.get("sensitive_attributes")),
        )


def _sensitive_names(paths: Any) -> set[str]:
    """Top-level attribute names of Terraform's ``sensitive_attributes`` paths (a path into a
    nested value masks its whole top-level attribute: safe, if coarser)."""
    names: set[str] = set()
    if not isinstance(paths, list):
        return names
    for path in paths:
        if isinstance(path, list) and path and isinstance(path[0], dict) and path[0].get("type") == "get_attr":
            value = path[0].get("value")
            if isinstance(value, str):
                names.add(value)
    return names


@dataclass
class State:
    lineage: str = field(default_factory=lambda: str(uuid.uuid4()))
    serial: int = 0
    version: int = STATE_VERSION
    resources: dict[ResourceAddress, ResourceState] = field(default_factory=dict)
    outputs: dict[str, dict[str, Any]] = field(default_factory=dict)
    # format-4 resource objects clbplan does not manage (other providers' types, data sources): untouched
    foreign: list[dict[str, Any]] = field(default_factory=list)
    terraform_version: str = ""  # the writer's, as read (Terraform's or clbplan's language level)
    # the SHA-256 of the file bytes this state was read from, while it is exactly what they hold: set by
    # the local backend's read, not copied by ``dataclasses.replace``, cleared by a journal replay
    source_digest: str = field(default="", init=False, repr=False, compare=False)

    def without_resources(self) -> State:
        """This state's lineage, serial, version, outputs and foreign objects (the last two copied), and
        no resources yet: the start of a state derived from it (refreshed, re-addressed)."""
        return State(lineage=self.lineage, serial=self.serial, version=self.version, outputs=dict(self.outputs),
                     foreign=list(self.foreign), terraform_version=self.terraform_version)

    def to_json(self) -> dict:
        from planner import __version__

        return {
            "version": self.version, "serial": self.serial, "lineage": self.lineage,
            "clbplan_version": __version__,
            "resources": [self.resources[a].to_json() for a in sorted(self.resources, key=str)],
            "outputs": self.outputs,
        }

    @classmethod
    def from_json(cls, doc: dict) -> State:
        st = cls(lineage=doc["lineage"], serial=int(doc["serial"]), version=int(doc["version"]),
                 outputs=doc.get("outputs", {}))
        for r in doc.get("resources", []):
            rs = ResourceState.from_json(r)
            st.resources[rs.address] = rs
        return st
