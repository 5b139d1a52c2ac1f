"""The embedded cloud answering a walk's calls from a process of its own (planner.engine.cloud_apart, issue 17):
the apply it serves ends as one in this process would, a refusal reads the same, and a cloud process that
dies, is sent Ctrl-C or outlives its planner behaves as a cloud at the other end of a network would."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from planner import process
from planner.emulator import Emulator
from planner.emulator.errors import CloudError
from planner.engine import cloud_apart, pipeline
from planner.state.backend import LocalBackend
from planner.state.model import State

from .bench_config import bench_engine

REPO = Path(__file__).resolve().parents[2]


def _file_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The actions this process's own emulators run on a cloud file (the shadow copy is in memory)."""
    seen: list[str] = []
    run = Emulator._run

    def counting(self, spec, p, region):
        if self.path is not None:
            seen.append(spec.name)
        return run(self, spec, p, region)

    monkeypatch.setattr(Emulator, "_run", counting)
    return seen


def _apply(work: Path, state: State, **kw):
    planned = pipeline.make_plan(work, state)
    backend = LocalBackend(work / "clbplan.tfstate")
    journal = backend.journal(state.lineage)
    result = pipeline.apply_plan(planned, planned.refreshed, parallelism=4, journal=journal, **kw)
    return planned, result, journal


def _load_balancers(work: Path) -> list[str]:
    emu = Emulator(work / ".clbplan" / "emulator.sqlite")
    got = emu.call("Slb", "DescribeLoadBalancers", {"RegionId": "cn-hangzhou", "PageSize": 100})
    return sorted(lb["LoadBalancerName"] for lb in got["LoadBalancers"]["LoadBalancer"])


def test_an_apply_served_apart_makes_every_call_there_and_converges(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "main.tf").write_text(bench_engine.config_tf(3))
    monkeypatch.setenv(cloud_apart.ENV_SWITCH, "always")
    calls_here = _file_calls(monkeypatch)
    servers: list[cloud_apart.CloudServer] = []
    start = cloud_apart.CloudServer.start
    monkeypatch.setattr(cloud_apart.CloudServer, "start",
                        classmethod(lambda cls, *a: servers.append(start(*a)) or servers[-1]))
    before = len(calls_here)
    planned, result, _journal = _apply(tmp_path, State())
    assert not result.failures and len(result.executed) == len(planned.plan.operations)
    assert len(servers) == 1 and servers[0] is not None and servers[0].proc.returncode == 0  # it ended
    assert calls_here[before:] == []  # every call of the walk was the server's
    assert result.api_calls >= len(planned.plan.operations)
    assert _load_balancers(tmp_path) == ["bench-lb00000", "bench-lb00001", "bench-lb00002"]
    monkeypatch.setenv(cloud_apart.ENV_SWITCH, "0")
    again = pipeline.make_plan(tmp_path, result.state)
    assert again.plan.operations == []  # the state it recorded is the cloud's


def test_a_refusal_reads_the_same_from_the_server(tmp_path: Path) -> None:
    emu = Emulator(tmp_path / "cloud.db")
    params = {"RegionId": "cn-hangzhou", "LoadBalancerId": "lb-bp1nothere000000000"}
    with pytest.raises(CloudError) as here:
        emu.call("Slb", "DescribeLoadBalancerAttribute", params)
    server = cloud_apart.CloudServer.start(emu, 1)
    assert server is not None
    try:
        with pytest.raises(CloudError) as there:
            server.call("Slb", "DescribeLoadBalancerAttribute", params)
    finally:
        server.close()
    assert (there.value.code, there.value.message, there.value.http_status) == \
        (here.value.code, here.value.message, here.value.http_status)
    assert there.value.request_id and there.value.request_id != here.value.request_id


def test_a_server_that_dies_loses_responses_and_recovery_finishes_the_apply(tmp_path: Path,
                                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "main.tf").write_text(bench_engine.config_tf(3))
    monkeypatch.setenv(cloud_apart.ENV_SWITCH, "always")
    servers: list[cloud_apart.CloudServer] = []
    start = cloud_apart.CloudServer.start
    monkeypatch.setattr(cloud_apart.CloudServer, "start",
                        classmethod(lambda cls, *a: servers.append(start(*a)) or servers[-1]))
    done = []

    def on_event(ev) -> None:
        if ev.kind == "done":
            done.append(ev)
            if len(done) == 5:
                os.kill(servers[0].proc.pid, signal.SIGKILL)

    planned, result, journal = _apply(tmp_path, State(), on_event=on_event)
    assert result.failures  # the rest were lost with the cloud's process ...
    assert all("connection lost" in str(err) for _op, err in result.failures), result.failures
    assert len(result.executed) >= 5
    # ... and the next run settles what may have happened, then makes the rest, each exactly once
    monkeypatch.setenv(cloud_apart.ENV_SWITCH, "0")
    from planner.apply.executor import recover

    state = recover(journal, planned.provider, result.state)
    assert journal.pending() == []
    _planned2, result2, _j = _apply(tmp_path, state)
    assert not result2.failures
    assert _load_balancers(tmp_path) == ["bench-lb00000", "bench-lb00001", "bench-lb00002"]
    assert pipeline.make_plan(tmp_path, result2.state).plan.operations == []


def test_the_server_ignores_ctrl_c_and_ends_with_its_planner(tmp_path: Path) -> None:
    emu = Emulator(tmp_path / "cloud.db")
    server = cloud_apart.CloudServer.start(emu, 2)
    assert server is not None
    try:
        os.kill(server.proc.pid, signal.SIGINT)  # Ctrl-C reaches the whole process group
        time.sleep(0.2)
        got = server.call("Vpc", "DescribeVpcs", {"RegionId": "cn-hangzhou"})
        assert got["TotalCount"] == 0
    finally:
        server.close()
    # a planner killed mid-walk: its server sees the sockets close and exits
    script = ("import os, signal, sys\nfrom planner.emulator import Emulator\nfrom planner.engine import cloud_apart\n"
              "s = cloud_apart.CloudServer.start(Emulator(sys.argv[1]), 2)\nprint(s.proc.pid, flush=True)\n"
              "os.kill(os.getpid(), signal.SIGKILL)\n")
    out = subprocess.run([sys.executable, "-c", script, str(tmp_path / "cloud.db")], capture_output=True, text=True,
                         timeout=60, env={**os.environ, "PYTHONPATH": str(REPO)})
    pid = int(out.stdout.split()[0])
    deadline = time.monotonic() + 20
    while process.pid_alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not process.pid_alive(pid)


def test_only_a_large_walk_on_a_cloud_file_is_served_apart(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    on_file = Emulator(tmp_path / "cloud.db")
    monkeypatch.setattr(process, "is_one_shot", lambda: True)
    assert cloud_apart.wanted(on_file, cloud_apart.MIN_OPERATIONS, {})
    assert not cloud_apart.wanted(on_file, cloud_apart.MIN_OPERATIONS - 1, {})
    assert cloud_apart.wanted(on_file, 1, {cloud_apart.ENV_SWITCH: "always"})
    assert not cloud_apart.wanted(on_file, 10**6, {cloud_apart.ENV_SWITCH: "0"})
    assert not cloud_apart.wanted(Emulator(None), 10**6, {})  # in memory: nothing another process can open
    assert not cloud_apart.wanted(Emulator(tmp_path / "c2.db", clock=lambda: 0.0), 10**6, {})  # a test's clock
    monkeypatch.setattr(process, "is_one_shot", lambda: False)
    assert not cloud_apart.wanted(on_file, 10**6, {})  # a long-lived process (a library user) keeps its cloud


def test_a_cloud_named_relative_to_the_working_folder_is_the_one_the_server_opens(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    emu = Emulator(Path("cloud.db"))
    server = cloud_apart.CloudServer.start(emu, 1)
    assert server is not None
    try:
        made = server.call("Vpc", "CreateVpc", {"RegionId": "cn-hangzhou", "CidrBlock": "10.0.0.0/8"})
    finally:
        server.close()
    listed = emu.call("Vpc", "DescribeVpcs", {"RegionId": "cn-hangzhou"})["Vpcs"]["Vpc"]
    assert [v["VpcId"] for v in listed] == [made["VpcId"]]


def test_the_commands_log_says_when_the_cloud_answers_from_a_process_of_its_own(tmp_path: Path) -> None:
    """``TF_LOG=INFO`` names the cloud's process (its messages went to a logger the command's log did not
    show, so a slow apply could not tell whether its cloud had another core) and times the rehearsal and
    the walk."""
    (tmp_path / "main.tf").write_text(bench_engine.config_tf(1))
    log_file = tmp_path / "run.log"
    env = {**os.environ, "TF_LOG": "INFO", "TF_LOG_PATH": str(log_file), cloud_apart.ENV_SWITCH: "always",
           "PYTHONPATH": os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH", "")) if p)}
    done = subprocess.run([sys.executable, "-m", "planner.cli.main", "apply", "-auto-approve", "-no-color"],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    text = log_file.read_text()
    assert "cloud apart: process" in text and "answers the cloud's calls" in text
    # and where the time went: the rehearsal and the walk, each timed
    assert re.search(r"verify: 52 step\(s\) rehearsed in \d+\.\ds, 0 refused", text)
    assert re.search(r"apply: 52 operation\(s\) walked in \d+\.\ds, \d+ API call\(s\), -parallelism 10", text)
