"""clbplan's own commands against a served emulator over signed HTTP, as a team sharing one emulated cloud
would run them: plan -> apply -> plan (empty) on real example configurations, read back with the SDK's
typed client, authentication failures and credential hygiene."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from planner.cli.main import cli
from tests.support.examples import copy_example
from tests.transport.conftest import AK_ID, AK_SECRET, Cloud, point_at

pytestmark = pytest.mark.wire


def run(*args: Any, env: dict[str, str] | None = None) -> Any:
    return CliRunner().invoke(cli, [str(a) for a in args], env=env)


def out(result: Any) -> str:
    return (result.stdout or "") + (result.stderr or "")


def assert_clean_exit(result: Any, code: int) -> None:
    text = out(result)
    assert "Traceback" not in text, text
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.exit_code == code, text


@pytest.mark.parametrize("example", ["vserver-groups", "forwarding-rules", "https-certificate",
                                     "default-group-weights"])
def test_example_converges_over_http(example: str, cloud: Cloud, tmp_path: Path) -> None:
    work = copy_example(example, tmp_path)
    point_at(work, cloud.endpoint)

    first = run("plan", "-detailed-exitcode", work)
    assert_clean_exit(first, 2)
    assert "to add" in first.stdout
    applied = run("apply", "-auto-approve", work)
    assert_clean_exit(applied, 0)
    assert "Apply complete!" in applied.stdout
    again = run("plan", "-detailed-exitcode", work)
    assert_clean_exit(again, 0)
    assert "No changes" in again.stdout

    # it really went over the wire: no embedded emulator file, and the served one holds the objects
    assert not (work / ".clbplan" / "emulator.sqlite").exists()
    lbs = cloud.emulator.call("Slb", "DescribeLoadBalancers", {"RegionId": "cn-hangzhou"})
    assert lbs["TotalCount"] >= 1
    state = json.loads((work / "clbplan.tfstate").read_text())
    state_lb_ids = {r.get("attributes", {}).get("id") for r in _resources(state)
                    if r["type"] in ("alicloud_slb_load_balancer", "alicloud_slb")}
    assert state_lb_ids == {lb["LoadBalancerId"] for lb in lbs["LoadBalancers"]["LoadBalancer"]}


def _resources(state: dict) -> list[dict]:
    """Flatten the state's resources (one entry per instance) whatever the nesting."""
    out_: list[dict] = []
    for r in state.get("resources", []):
        if "instances" in r:
            for inst in r["instances"]:
                out_.append({"type": r["type"], "name": r.get("name"), **inst})
        else:
            out_.append(r)
    return out_


def test_typed_sdk_reads_back_what_clbplan_created(cloud: Cloud, tmp_path: Path) -> None:
    """The official typed CLB client sees the names, listeners and weights of examples/vserver-groups."""
    from alibabacloud_slb20140515 import models as slb_models
    from alibabacloud_slb20140515.client import Client
    from alibabacloud_tea_openapi import models as open_api_models

    work = copy_example("vserver-groups", tmp_path)
    point_at(work, cloud.endpoint)
    assert_clean_exit(run("apply", "-auto-approve", work), 0)

    client = Client(open_api_models.Config(access_key_id=AK_ID, access_key_secret=AK_SECRET,
                                           endpoint=cloud.endpoint, protocol="http", region_id="cn-hangzhou"))
    lbs = client.describe_load_balancers(slb_models.DescribeLoadBalancersRequest(region_id="cn-hangzhou"))
    assert lbs.status_code == 200
    [lb] = lbs.body.load_balancers.load_balancer
    assert lb.load_balancer_name == "shop-vgroups-lb"
    assert lb.address_type == "intranet"

    listeners = client.describe_load_balancer_listeners(slb_models.DescribeLoadBalancerListenersRequest(
        region_id="cn-hangzhou", load_balancer_id=[lb.load_balancer_id]))
    by_port = {li.listener_port: li for li in listeners.body.listeners}
    assert sorted(by_port) == [80, 8443, 9090]
    assert {by_port[80].listener_protocol, by_port[8443].listener_protocol} == {"http", "tcp"}
    assert all(li.status == "running" for li in by_port.values())
    assert by_port[80].vserver_group_id == by_port[8443].vserver_group_id  # one group behind two listeners

    groups = client.describe_vserver_groups(slb_models.DescribeVServerGroupsRequest(
        region_id="cn-hangzhou", load_balancer_id=lb.load_balancer_id))
    names = {g.vserver_group_name: g.vserver_group_id for g in groups.body.vserver_groups.vserver_group}
    assert set(names) == {"shop-vgroups-web", "shop-vgroups-admin"}
    web = client.describe_vserver_group_attribute(slb_models.DescribeVServerGroupAttributeRequest(
        region_id="cn-hangzhou", vserver_group_id=names["shop-vgroups-web"]))
    weights = sorted((s.port, s.weight) for s in web.body.backend_servers.backend_server)
    assert weights == [(8080, 60), (8080, 100)]
    admin = client.describe_vserver_group_attribute(slb_models.DescribeVServerGroupAttributeRequest(
        region_id="cn-hangzhou", vserver_group_id=names["shop-vgroups-admin"]))
    [server] = admin.body.backend_servers.backend_server
    assert (server.port, server.weight, server.description) == (9090, 100, "admin console on app-a")


@pytest.mark.parametrize(("access_key", "secret_key", "code"), [
    (AK_ID, "not-the-secret", "SignatureDoesNotMatch"),
    ("LTAI-unknown-key", AK_SECRET, "InvalidAccessKeyId.NotFound"),
])
def test_bad_credentials_are_an_authentication_error(access_key: str, secret_key: str, code: str, cloud: Cloud,
                                                     tmp_path: Path) -> None:
    work = copy_example("vserver-groups", tmp_path)
    point_at(work, cloud.endpoint)
    assert_clean_exit(run("apply", "-auto-approve", work), 0)  # state exists: plan refreshes first
    point_at_keys(work, access_key, secret_key)

    result = run("plan", work)
    assert_clean_exit(result, 1)
    err = result.stderr
    assert f"authentication failed at http://{cloud.endpoint}: {code}" in err
    assert re.search(r"main\.tf:\d+:\d+: error: authentication failed", err), err
    assert "hint: check the access key and secret" in err
    assert secret_key not in out(result) and AK_SECRET not in out(result)


def point_at_keys(work: Path, access_key: str, secret_key: str) -> None:
    tf = work / "main.tf"
    text = tf.read_text()
    text = re.sub(r'access_key = "[^"]*"', f'access_key = "{access_key}"', text)
    text = re.sub(r'secret_key = "[^"]*"', f'secret_key = "{secret_key}"', text)
    tf.write_text(text)


def test_wrong_secret_on_first_plan_is_reported_too(cloud: Cloud, tmp_path: Path) -> None:
    """No state yet (nothing to refresh): the shadow copy is the first signed call and fails the same way."""
    work = copy_example("master-slave", tmp_path)
    point_at(work, cloud.endpoint, secret_key="wrong-secret")
    result = run("plan", work)
    assert_clean_exit(result, 1)
    assert "authentication failed at" in result.stderr and "SignatureDoesNotMatch" in result.stderr


@pytest.mark.parametrize("via", ["provider-block", "env-alibaba", "env-alicloud"])
def test_credentials_never_reach_output_state_or_journal(via: str, cloud: Cloud, tmp_path: Path) -> None:
    work = copy_example("forwarding-rules", tmp_path)
    env: dict[str, str] = {}
    if via == "provider-block":
        point_at(work, cloud.endpoint)
    else:
        point_at(work, cloud.endpoint, access_key=None, secret_key=None)
        names = {"env-alibaba": ("ALIBABA_CLOUD_ACCESS_KEY_ID", "ALIBABA_CLOUD_ACCESS_KEY_SECRET"),
                 "env-alicloud": ("ALICLOUD_ACCESS_KEY", "ALICLOUD_SECRET_KEY")}[via]
        env = {names[0]: AK_ID, names[1]: AK_SECRET}

    texts = []
    for args in (("plan", work), ("apply", "-auto-approve", work), ("plan", work), ("show", "-json", "-state",
                                                                                 work / "clbplan.tfstate"),
                 ("output", "-json", "-state", work / "clbplan.tfstate")):
        result = run(*args, env=env)
        assert "Traceback" not in out(result)
        assert result.exit_code == 0, out(result)
        texts.append(out(result))
    files = [p for p in work.rglob("*") if p.is_file() and p.suffix != ".tf"]
    if via == "provider-block":
        # the parse cache is a (JSON) copy of the .tf source, which holds the keys by the user's choice
        files = [p for p in files if "parse-cache" not in p.parts]
    assert any(p.name == "clbplan.tfstate" for p in files)
    for p in files:
        texts.append(p.read_bytes().decode("utf-8", "replace"))
    for text in texts:
        assert AK_SECRET not in text
        assert AK_ID not in text


def test_endpoint_without_credentials_is_a_located_error(cloud: Cloud, tmp_path: Path) -> None:
    work = copy_example("vserver-groups", tmp_path)
    point_at(work, cloud.endpoint, access_key=None, secret_key=None)
    result = run("plan", work)
    assert_clean_exit(result, 1)
    assert re.search(r'main\.tf:\d+:\d+: error: provider "alicloud": no access_key and secret_key for the '
                     r"configured endpoint http://127\.0\.0\.1:\d+", result.stderr), result.stderr
    assert "ALIBABA_CLOUD_ACCESS_KEY_ID" in result.stderr


def test_unreachable_endpoint_is_a_clear_error(tmp_path: Path) -> None:
    import socket

    # a port nobody listens on, held bound (never listening) for the whole run: a freed port could be
    # taken by another test's server meanwhile, and the plan would then reach it
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        work = copy_example("vserver-groups", tmp_path)
        point_at(work, f"127.0.0.1:{port}")
        result = run("plan", work)
    text = out(result)
    assert result.exit_code == 1, text
    assert "Traceback" not in text
    assert re.search(rf"main\.tf:\d+:\d+: error: cannot reach the cloud at http://127\.0\.0\.1:{port}: "
                     "connection refused", text), text
    assert "clbplan emulator serve" in text  # the hint
    assert AK_SECRET not in text
