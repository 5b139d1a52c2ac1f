"""The shipped examples validate cleanly and together cover every resource type and seed concept."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from planner.schema.registry import DATA, MANAGED
from planner.values import UNKNOWN

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
DIRS = sorted(p.parent for p in EXAMPLES.glob("*/main.tf"))


def _cli():
    try:
        from planner.cli.main import cli
        from planner.cli.validate_cmd import validate  # noqa: F401
    except Exception as exc:  # noqa: BLE001
        pytest.skip(f"clbplan validate is not available yet: {exc}")
    return cli


def test_at_least_six_examples() -> None:
    assert len(DIRS) >= 6


@pytest.mark.parametrize("directory", DIRS, ids=lambda p: p.name)
def test_example_validates(directory: Path) -> None:
    result = CliRunner().invoke(_cli(), ["validate", str(directory)])
    assert result.exit_code == 0, result.output
    assert "error" not in result.output.lower()


def _all_text() -> str:
    return "\n".join(p.read_text() for p in EXAMPLES.glob("*/main.tf"))


def test_examples_cover_every_resource_type_and_data_source() -> None:
    text = _all_text()
    used = set(re.findall(r'^resource\s+"(\w+)"', text, re.M))
    data = set(re.findall(r'^data\s+"(\w+)"', text, re.M))
    assert set(MANAGED) - used == set()
    assert set(DATA) - data == set()


def test_examples_show_each_seed_concept() -> None:
    text = _all_text()
    assert "master_slave_server_group_id" in text and 'protocol                     = "udp"' in text
    assert re.search(r'url\s*=\s*"/', text) and re.search(r'domain\s*=\s*"', text)
    assert 'file("${path.module}/cert.pem")' in text and (EXAMPLES / "https-certificate" / "cert.pem").exists()
    assert 'type      = "eni"' in text and "private_ip_addresses" in text
    assert "acl_ids" in text and "entry_list" in text
    for feature in ("variable ", "locals ", "count ", "for_each", 'dynamic "', "output "):
        assert feature in text, feature


def _load(name: str):
    try:
        from planner.config import load_configuration
    except Exception as exc:  # noqa: BLE001
        pytest.skip(f"planner.config.load_configuration is not available yet: {exc}")
    return load_configuration(str(EXAMPLES / name))


def _one(cfg, type_name: str, name: str):
    return next(i for a, i in cfg.resources.items() if a.type == type_name and a.name == name)


def test_default_group_example_drains_a_server_with_weight_zero() -> None:
    cfg = _load("default-group-weights")
    weights = [s["weight"] for s in _one(cfg, "alicloud_slb_backend_server", "web").attributes["backend_servers"]]
    assert len(weights) == 3 and 0 in weights and max(weights) == 100


def test_eni_example_adds_primary_and_secondary_ip_of_one_eni() -> None:
    cfg = _load("eni-backends")
    servers = _one(cfg, "alicloud_slb_backend_server", "sidecar").attributes["backend_servers"]
    assert [s["type"] for s in servers] == ["eni", "eni"]
    assert servers[0]["server_id"] == servers[1]["server_id"]  # one ENI, two of its IPs
    assert servers[0]["server_ip"] == "172.30.8.20"  # the primary IP, written in the configuration
    assert servers[1]["server_ip"] is UNKNOWN  # a secondary IP: known once the ENI exists
    lb = _one(cfg, "alicloud_slb_load_balancer", "mesh").attributes
    assert lb["load_balancer_spec"] == "slb.s1.small"


def test_vserver_example_shares_a_group_between_two_ports() -> None:
    cfg = _load("vserver-groups")
    ports = sorted(i.attributes["frontend_port"] for a, i in cfg.resources.items()
                   if a.type == "alicloud_slb_listener" and a.name.startswith("web_"))
    assert ports == [80, 8443]
