"""Hand-built configurations, states and a small fake schema, so the diff and ordering tests do
not depend on the config/schema packages (which are tested on their own)."""

from __future__ import annotations

from planner.addresses import ResourceAddress
from planner.config.model import Configuration, Lifecycle, ResourceInstance
from planner.diagnostics import SourcePos
from planner.schema.base import Attribute, BlockType, ResourceSchema
from planner.state.model import ResourceState, State


def _s(name, attrs, blocks=None):
    return ResourceSchema(name, {a.name: a for a in attrs}, {b.name: b for b in (blocks or [])})


FAKE_SCHEMAS = {
    "alicloud_slb_load_balancer": _s("alicloud_slb_load_balancer", [
        Attribute("load_balancer_name", computed=True),
        Attribute("address", computed=True),
        Attribute("address_type", computed=True, force_new=True),
        Attribute("load_balancer_spec"),
        Attribute("delete_protection", default="off"),
    ]),
    "alicloud_slb_server_group": _s("alicloud_slb_server_group", [
        Attribute("load_balancer_id", required=True, force_new=True),
        Attribute("name"),
    ], [BlockType("servers", {"server_ids": Attribute("server_ids", "list(string)"),
                              "port": Attribute("port", "number"),
                              "weight": Attribute("weight", "number", default=100)},
                  nesting="set", computed=True)]),
    "alicloud_slb_master_slave_server_group": _s("alicloud_slb_master_slave_server_group", [
        Attribute("load_balancer_id", required=True, force_new=True),
        Attribute("name", force_new=True),
    ], [BlockType("servers", {"server_id": Attribute("server_id"), "port": Attribute("port", "number"),
                              "server_type": Attribute("server_type")}, nesting="set", force_new=True)]),
    "alicloud_slb_listener": _s("alicloud_slb_listener", [
        Attribute("load_balancer_id", required=True, force_new=True),
        Attribute("frontend_port", "number", required=True, force_new=True),
        Attribute("protocol", required=True, force_new=True),
        Attribute("backend_port", "number", force_new=True),
        Attribute("bandwidth", "number", computed=True),
        Attribute("server_group_id"),
        Attribute("master_slave_server_group_id"),
        Attribute("listener_forward", computed=True, force_new=True),
        Attribute("forward_port", "number", force_new=True),
        Attribute("description"),
    ]),
    "alicloud_slb_rule": _s("alicloud_slb_rule", [
        Attribute("load_balancer_id", required=True, force_new=True),
        Attribute("frontend_port", "number", required=True, force_new=True),
        Attribute("name"),
        Attribute("url", force_new=True),
        Attribute("server_group_id", required=True),
    ]),
    "alicloud_slb_server_group_server_attachment": _s("alicloud_slb_server_group_server_attachment", [
        Attribute("server_group_id", required=True, force_new=True),
        Attribute("server_id", required=True, force_new=True),
        Attribute("port", "number", required=True, force_new=True),
        Attribute("weight", "number", computed=True, force_new=True),
    ]),
    "alicloud_slb_server_certificate": _s("alicloud_slb_server_certificate", [
        Attribute("name"),
        Attribute("private_key", sensitive=True, force_new=True),
    ]),
}


def A(text: str) -> ResourceAddress:
    return ResourceAddress.parse(text)


def inst(addr: str, attrs: dict, deps=(), line: int = 1, **lifecycle) -> ResourceInstance:
    return ResourceInstance(A(addr), dict(attrs), SourcePos("main.tf", line, 1),
                            depends_on={A(d) for d in deps}, lifecycle=Lifecycle(**lifecycle))


def config(*instances: ResourceInstance) -> Configuration:
    return Configuration(directory=".", resources={i.address: i for i in instances})


def rstate(addr: str, id_: str, attrs: dict, deps=()) -> ResourceState:
    return ResourceState(A(addr), id_, dict(attrs), dependencies=[A(d) for d in deps])


def state(*resources: ResourceState) -> State:
    st = State(lineage="test-lineage", serial=3)
    for r in resources:
        st.resources[r.address] = r
    return st
