"""The state document: what clbplan believes the cloud holds, keyed by resource address.

On disk (and in the pg backend) the state is Terraform's format version 4: see
``planner.state.tfstate``. The ``to_json`` shapes here are clbplan's internal per-instance form:
journal records, ``clbplan show -json``, and the layout of state files written before format 4
(still read)::

    {"version": 1, "serial": 7, "lineage": "uuid", "clbplan_version": "0.1.0",
     "resources": [{"address": "alicloud_slb_listener.http", "mode": "managed",
                    "type": "alicloud_slb_listener", "name": "http", "index": null,
                    "provider": "alicloud", "id": "lb-x:http:80",
                    "attributes": {...}, "dependencies": ["alicloud_slb_load_balancer.web"]}],
     "outputs": {"name": {"value": ..., "sensitive": false}}}
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
        )


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
