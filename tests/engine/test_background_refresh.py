"""A one-shot ``clbplan plan`` reads the cloud in a child process while it evaluates (issue 17).

What a user must not be able to tell apart, except by the time it takes: the plan, the drift it reports
and the state it would write are the ones the in-process refresh gives (``CLBPLAN_BACKGROUND_REFRESH=0``);
when the child cannot be used (provider settings that need a local, a child that fails), the plan reads
the cloud itself. The log says which way the run went.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from planner.addresses import ResourceAddress
from planner.emulator import Emulator
from planner.engine import background_refresh
from planner.plan.diff import (
    detect_drift,
    drift_and_delta,
    refresh_delta,
    refreshed_state,
    with_refresh_delta,
)
from planner.state.model import ResourceState, State

from .stack import clbplan_cmd, cli_env, run_cli, write_stack

CHILD_USED = "refresh: read in a child process while evaluating"


def _plan(workdir: Path, *args: str, background: bool) -> subprocess.CompletedProcess:
    env = cli_env()
    env.update(TF_LOG="INFO", CLBPLAN_BACKGROUND_REFRESH="1" if background else "0")
    return subprocess.run(clbplan_cmd("plan", "-no-color", "-detailed-exitcode", *args), cwd=str(workdir),
                          capture_output=True, text=True, timeout=180, env=env)


def _drift(workdir: Path) -> None:
    """Rename a load balancer and delete a forwarding rule behind clbplan's back."""
    state = json.loads((workdir / "clbplan.tfstate").read_text())
    ids = {(r["type"], inst.get("index_key")): inst["attributes"]["id"]
           for r in state["resources"] for inst in r["instances"]}
    lb = ids[("alicloud_slb_load_balancer", "lb0")]
    rule = next(v for (t, _k), v in ids.items() if t == "alicloud_slb_rule")
    emu = Emulator(workdir / ".clbplan" / "emulator.sqlite")
    try:
        emu.call("Slb", "SetLoadBalancerName", {"LoadBalancerId": lb, "LoadBalancerName": "renamed-by-hand"})
        emu.call("Slb", "DeleteRules", {"RuleIds": json.dumps([rule])})
    finally:
        emu.close()


@pytest.fixture(scope="module")
def applied(tmp_path_factory: pytest.TempPathFactory) -> Path:
    workdir = write_stack(tmp_path_factory.mktemp("bg") / "w", lbs=2, instances=2, rules=1)
    done = run_cli(workdir, "apply", "-auto-approve", "-no-color")
    assert done.returncode == 0, done.stderr
    return workdir


def test_drift_and_plan_are_the_same_read_in_a_child(applied: Path, tmp_path: Path) -> None:
    import shutil

    workdir = tmp_path / "w"
    shutil.copytree(applied, workdir)
    _drift(workdir)
    child = _plan(workdir, background=True)
    here = _plan(workdir, background=False)
    assert child.returncode == here.returncode == 2, child.stderr + here.stderr
    assert CHILD_USED in child.stderr
    assert CHILD_USED not in here.stderr
    assert "Objects have changed outside of clbplan" in child.stdout
    assert "renamed-by-hand" in child.stdout
    assert child.stdout == here.stdout


def test_no_change_plan_read_in_a_child_says_so(applied: Path) -> None:
    done = _plan(applied, background=True)
    assert done.returncode == 0, done.stderr
    assert "No changes." in done.stdout
    assert CHILD_USED in done.stderr


def test_provider_settings_from_a_local_are_read_in_the_plan(applied: Path, tmp_path: Path) -> None:
    import shutil

    workdir = tmp_path / "w"
    shutil.copytree(applied, workdir)
    main = workdir / "main.tf"
    text = main.read_text()
    assert 'region = "cn-hangzhou"' in text
    main.write_text(text.replace('region = "cn-hangzhou"', "region = local.region", 1)
                    + '\nlocals {\n  region = "cn-hangzhou"\n}\n')
    done = _plan(workdir, background=True)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "No changes." in done.stdout
    assert CHILD_USED not in done.stderr


def test_a_child_that_fails_gives_no_answer(applied: Path) -> None:
    """The plan then refreshes itself (``make_plan`` falls back when ``answer()`` is None)."""
    def broken(_clouds: object) -> object:
        raise RuntimeError("the cloud is unreachable from here")

    state = State(resources={})
    bg = background_refresh.BackgroundRefresh.start(state, {}, applied, cli_env(), broken)
    assert bg is not None
    assert bg.answer() is None


def test_the_delta_rebuilds_the_refreshed_state() -> None:
    """What the child sends back (``refresh_delta``) rebuilds exactly ``refreshed_state``: the same
    objects where nothing changed, new ones for changed attributes, id or value type, gone ones dropped."""
    def rs(key: str, **attrs: object) -> ResourceState:
        addr = ResourceAddress("alicloud_slb_load_balancer", key)
        return ResourceState(addr, f"lb-{key}", dict(attrs), "alicloud", [], {"secret"} if key == "d" else set())

    prior = State(resources={r.address: r for r in (
        rs("a", name="a", bandwidth=5), rs("b", name="b", bandwidth=5), rs("c", name="c", flag=True),
        rs("d", name="d"), rs("e", name="e"), rs("f", name="f"))})
    a, b, c, d, e, f = prior.resources
    values = {a: {"id": "lb-a", "name": "a", "bandwidth": 5},       # unchanged
              b: {"id": "lb-b", "name": "b", "bandwidth": 10},      # changed value
              c: {"id": "lb-c", "name": "c", "flag": 1},            # equal by ==, another type
              d: {"id": "lb-d2", "name": "d"},                      # another id
              e: None}                                              # gone; f: not read
    rebuilt = with_refresh_delta(prior, refresh_delta(prior, values))
    expected = refreshed_state(prior, {k: dict(v) if v else v for k, v in values.items()}, take=True)
    assert list(rebuilt.resources) == list(expected.resources) == [a, b, c, d, f]
    assert rebuilt.resources == expected.resources
    assert rebuilt.resources[a] is prior.resources[a] and rebuilt.resources[f] is prior.resources[f]
    assert type(rebuilt.resources[c].attributes["flag"]) is int
    assert rebuilt.resources[d].id == "lb-d2" and rebuilt.resources[d].sensitive == {"secret"}
    # the drift worked out on the delta's objects alone is the drift of every object
    drift, delta = drift_and_delta(prior, values)
    assert delta == refresh_delta(prior, values)
    assert drift == detect_drift(prior, values) and [e.address for e in drift] == [b, c, e]


def test_a_forked_child_does_not_keep_the_state_locked_after_its_parent(tmp_path: Path) -> None:
    """The children a plan forks (the refresh, the state-cache writer) close what they inherited: when
    the parent is killed while a child still runs, the next run can take the state lock at once."""
    import fcntl
    import os
    import signal as signals

    from planner import process
    from planner.state.backend import LocalBackend

    backend = LocalBackend(tmp_path / "clbplan.tfstate")
    fd = os.open(tmp_path / "clbplan.tfstate.lock", os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX)  # the parent's lock, as backend.lock() holds it
    ready_r, ready_w = os.pipe()
    pid = process.fork(keep=(ready_w,))
    if pid == 0:
        os.write(ready_w, b"!")  # past the fork: what it inherited is closed by now
        signals.pause()  # a child still busy when its parent dies
        os._exit(0)
    try:
        os.close(ready_w)
        assert os.read(ready_r, 1) == b"!"
        os.close(fd)  # the parent dies: its descriptor goes, without an unlock
        with backend.lock("plan"):
            pass
    finally:
        os.kill(pid, signals.SIGKILL)
        os.waitpid(pid, 0)
        os.close(ready_r)


def test_ctrl_c_while_waiting_stops_the_child_at_once(applied: Path) -> None:
    """The child ignores SIGINT (the parent handles it): a Ctrl-C while the parent waits for its answer
    stops the child instead of waiting for its refresh to end."""
    import os
    import signal as signals
    import time

    def slow(_clouds: object) -> object:
        time.sleep(60)
        raise RuntimeError("never reached")

    bg = background_refresh.BackgroundRefresh.start(State(resources={}), {}, applied, cli_env(), slow)
    assert bg is not None

    def interrupt(_signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    old = signals.signal(signals.SIGALRM, interrupt)
    started = time.monotonic()
    try:
        signals.setitimer(signals.ITIMER_REAL, 0.3)
        with pytest.raises(KeyboardInterrupt):
            bg.answer()
    finally:
        signals.setitimer(signals.ITIMER_REAL, 0)
        signals.signal(signals.SIGALRM, old)
    assert time.monotonic() - started < 10
    with pytest.raises(ProcessLookupError):
        os.kill(bg.pid, 0)  # killed and reaped: no such process any more
