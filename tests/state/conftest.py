"""Fixtures for the state tests: a state path in a temp dir and a small populated state."""

from __future__ import annotations

from pathlib import Path

import pytest

from planner.addresses import ResourceAddress
from planner.state.model import ResourceState, State


def rstate(addr: str, rid: str, attrs: dict | None = None, deps: tuple[str, ...] = ()) -> ResourceState:
    a = ResourceAddress.parse(addr)
    return ResourceState(a, rid, dict(attrs or {}), dependencies=[ResourceAddress.parse(d) for d in deps])


@pytest.fixture
def state_path(tmp_path: Path) -> Path:
    return tmp_path / "clbplan.tfstate"


@pytest.fixture
def sample_state() -> State:
    st = State()
    for rs in (
        rstate("alicloud_slb_load_balancer.web", "lb-1",
               {"load_balancer_name": "web", "bandwidth": 10, "tags": {"env": "prod"}}),
        rstate("alicloud_slb_listener.http[0]", "lb-1:http:80", {"frontend_port": 80, "protocol": "http"},
               ("alicloud_slb_load_balancer.web",)),
        rstate("alicloud_slb_listener.http[1]", "lb-1:http:81", {"frontend_port": 81, "protocol": "http"},
               ("alicloud_slb_load_balancer.web", "alicloud_slb_server_group.g")),
        rstate("alicloud_slb_server_certificate.cert", "sc-1",
               {"name": "c", "private_key": "-----BEGIN KEY-----", "server_certificate": "CERT"}),
        rstate("alicloud_slb_server_group.g", "rsp-1",
               {"name": "g", "servers": [{"server_ids": ["i-1", "i-2"], "port": 80, "weight": 100,
                                          "auth_password": "hunter2"}]},
               ("alicloud_slb_load_balancer.web",)),
    ):
        st.resources[rs.address] = rs
    return st
