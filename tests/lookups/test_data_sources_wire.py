"""Every data source read through the provider twice: in-process, and over signed HTTP with the
official SDK against a served emulator holding the same cloud. Both must give the same answer.

The cloud is examples/lookups applied from empty (one load balancer with HTTP and HTTPS listeners,
groups, a rule, an ACL, a server and a CA certificate, a domain extension; a VPC, vSwitch, security group, two instances and an ENI).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from planner.emulator import Emulator
from planner.emulator.server import serve
from planner.engine.pipeline import apply_plan, final_outputs, make_plan
from planner.providers.alicloud import AlicloudProvider
from planner.providers.alicloud.data_sources import READERS
from planner.providers.alicloud.offline import read_with
from planner.providers.http_transport import HttpTransport
from planner.providers.transport import InProcessTransport
from planner.state.backend import LocalBackend
from planner.values import LOOKUP_NOTE
from tests.support.examples import copy_clean

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "lookups"
AK_ID, AK_SECRET = "LTAI5tLookupsWireKey", "lookups-wire-secret-0c1d"


@pytest.fixture(scope="module")
def applied(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = copy_clean(EXAMPLE, tmp_path_factory.mktemp("lookups") / "lookups")
    backend = LocalBackend(work / "clbplan.tfstate")
    planned = make_plan(work, backend.read(), env={})
    state = planned.refreshed
    result = apply_plan(planned, state, parallelism=2)
    assert not result.failures
    state.outputs = final_outputs(planned, state, env={})
    backend.write(state)
    return work


@pytest.fixture(scope="module")
def providers(applied: Path) -> Iterator[dict[str, AlicloudProvider]]:
    emu = Emulator(applied / ".clbplan" / "emulator.sqlite")
    server = serve(emu, "127.0.0.1", 0, {AK_ID: AK_SECRET})
    ep = server.endpoint
    http = HttpTransport({"Slb": ep, "Vpc": ep, "Ecs": ep}, "cn-hangzhou", AK_ID, AK_SECRET)
    yield {"in-process": AlicloudProvider(InProcessTransport(emu, "cn-hangzhou"), "cn-hangzhou"),
           "sdk-http": AlicloudProvider(http, "cn-hangzhou")}
    server.shutdown()
    emu.close()


def _lb(provider: AlicloudProvider) -> str:
    got = read_with(provider, "alicloud_slb_load_balancers", {"name_regex": "^shop-lookups"})
    assert len(got["ids"]) == 1
    return got["ids"][0]


def _args(type_name: str, lb: str) -> dict[str, Any]:
    on_lb = {"load_balancer_id": lb}
    return {
        "alicloud_regions": {"current": True},
        "alicloud_zones": {"available_resource_creation": "VSwitch"},
        "alicloud_slb_zones": {"available_slb_address_type": "vpc"},
        "alicloud_images": {"name_regex": "^ubuntu_18.*64", "owners": "system"},
        "alicloud_instance_types": {"cpu_core_count": 1, "memory_size": 2},
        "alicloud_slb_load_balancers": {"name_regex": "^shop-lookups", "enable_details": True},
        "alicloud_slbs": {"name_regex": "^shop-lookups"},
        "alicloud_slb_listeners": on_lb,
        "alicloud_slb_server_groups": on_lb,
        "alicloud_slb_master_slave_server_groups": on_lb,
        "alicloud_slb_backend_servers": on_lb,
        "alicloud_slb_rules": {**on_lb, "frontend_port": 80},
        "alicloud_slb_acls": {"name_regex": "^shop-lookups"},
        "alicloud_slb_server_certificates": {"name_regex": "^shop-lookups"},
        "alicloud_slb_ca_certificates": {"name_regex": "^shop-lookups"},
        "alicloud_slb_domain_extensions": {**on_lb, "frontend_port": 443},
        "alicloud_vpcs": {"name_regex": "^shop-lookups"},
        "alicloud_vswitches": {"name_regex": "^shop-lookups"},
        "alicloud_security_groups": {"name_regex": "^shop-lookups"},
        "alicloud_instances": {"name_regex": "^shop-lookups-web"},
        "alicloud_network_interfaces": {"name_regex": "^shop-lookups"},
    }[type_name]


WIRE_TYPES = sorted(READERS)
EXPECTED = {
    "alicloud_slb_load_balancers": 1, "alicloud_slbs": 1, "alicloud_slb_listeners": 2,
    "alicloud_slb_server_groups": 1, "alicloud_slb_master_slave_server_groups": 1,
    "alicloud_slb_backend_servers": 1, "alicloud_slb_rules": 1, "alicloud_slb_acls": 1,
    "alicloud_slb_server_certificates": 1, "alicloud_slb_ca_certificates": 1,
    "alicloud_slb_domain_extensions": 1, "alicloud_vpcs": 1, "alicloud_vswitches": 1,
    "alicloud_security_groups": 1, "alicloud_instances": 2, "alicloud_network_interfaces": 1,
    "alicloud_regions": 1,
}


@pytest.mark.parametrize("type_name", WIRE_TYPES)
def test_data_source_same_in_process_and_over_the_sdk(type_name: str, providers: dict) -> None:
    lb = _lb(providers["in-process"])
    answers = {}
    for path, provider in providers.items():
        before = provider.calls
        answers[path] = read_with(provider, type_name, _args(type_name, lb))
        assert provider.calls > before, f"{type_name} over {path} made no API call"
    local, wire = answers["in-process"], answers["sdk-http"]
    assert LOOKUP_NOTE not in local, local.get(LOOKUP_NOTE)
    assert local == wire
    if type_name in EXPECTED:
        assert len(local["ids"]) == EXPECTED[type_name], local["ids"]
    else:
        assert local["ids"]


def test_details_and_object_lists_carry_what_was_created(providers: dict) -> None:
    p = providers["sdk-http"]
    lb = _lb(p)
    balancers = read_with(p, "alicloud_slb_load_balancers", {"ids": [lb], "enable_details": True})
    assert balancers["balancers"][0]["load_balancer_spec"] == "slb.s2.small"
    assert balancers["names"] == ["shop-lookups-lb"] and balancers["total_count"] >= 1
    listeners = read_with(p, "alicloud_slb_listeners", {"load_balancer_id": lb, "frontend_port": 80})
    assert listeners["slb_listeners"][0]["protocol"] == "http"
    assert listeners["slb_listeners"][0]["acl_status"] == "on"
    groups = read_with(p, "alicloud_slb_server_groups", {"load_balancer_id": lb})
    assert sorted(s["port"] for s in groups["slb_server_groups"][0]["servers"]) == [8080, 8080]
    ms = read_with(p, "alicloud_slb_master_slave_server_groups", {"load_balancer_id": lb})
    assert sorted(s["server_type"] for s in ms["groups"][0]["servers"]) == ["Master", "Slave"]
    acls = read_with(p, "alicloud_slb_acls", {"name_regex": "office$"})
    assert acls["acls"][0]["entry_list"] == [{"entry": "192.0.2.0/24", "comment": "office"}]
    assert acls["acls"][0]["related_listeners"][0]["frontend_port"] == 80
    none = read_with(p, "alicloud_vpcs", {"name_regex": "^nothing-here"})
    assert none["ids"] == [] and LOOKUP_NOTE in none


def test_output_file_holds_the_result_list(providers: dict, tmp_path: Path) -> None:
    import json

    out = tmp_path / "vpcs.json"
    got = read_with(providers["sdk-http"], "alicloud_vpcs", {"name_regex": "^shop-lookups",
                                                             "output_file": str(out)})
    assert json.loads(out.read_text()) == got["vpcs"]
