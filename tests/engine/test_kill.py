"""SIGKILL ``clbplan apply`` at several points, run it again, and the cloud and state agree exactly.

This is the crash-safety promise of DESIGN.md section 5, checked from the outside, the way a user
meets it: the real CLI in a subprocess, a real SIGKILL, a cloud that outlives the process. After the
re-run: every cloud object is in the state exactly once, nothing was created twice (the cloud holds
exactly what the configuration asks for, members included), and the next
``plan -detailed-exitcode`` exits 0.

The cloud is slowed down by 20 ms per call (the ``latency`` fault) so that a kill lands in the middle
of the apply and not after it; progress lines on stderr (one per finished operation) tell the test how
far the apply got. Each kind of kill also runs over HTTP (``mode="http"``, marker ``wire``): the CLI
talks to ``clbplan emulator serve`` through the provider's ``endpoints {}``, the latency is the
server's, and a kill can land while the server is still committing the call the CLI was waiting for.
"""

from __future__ import annotations

import signal
import time
from pathlib import Path

import pytest

from tests.support.progress import finished

from .stack import (
    EngineCloud,
    apply_ok,
    assert_converged,
    cloud_counts,
    expected_objects,
    state_doc,
)

SLOW = "latency=0.02"
INPROCESS = pytest.param("inprocess", id="inprocess")
HTTP = pytest.param("http", id="http", marks=pytest.mark.wire)


def run_and_kill(cloud: EngineCloud, command: str, after_ops: int, extra_delay: float = 0.0) -> int:
    """Start ``clbplan <command> -auto-approve`` on a slow cloud, SIGKILL it once ``after_ops``
    operations reported done (plus ``extra_delay`` seconds, to land inside the next call rather than
    between calls). Returns how many operations had reported done; fails if the run ended before the
    kill. The cloud is fast again afterwards (the user's recovery run is an ordinary one)."""
    cloud.use_faults(SLOW)
    proc = cloud.popen(command, "-auto-approve")
    done = 0
    tail: list[str] = []
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            tail = (tail + [line])[-20:]
            if finished(line):
                done += 1
                if done >= after_ops:
                    if extra_delay:
                        time.sleep(extra_delay)
                    if cloud.apart:  # the walk's calls really are the cloud process's
                        assert _cloud_processes_of(proc.pid), "no cloud process answers the walk"
                    proc.send_signal(signal.SIGKILL)
                    break
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()
    assert proc.returncode == -signal.SIGKILL, (
        f"{command} was not killed mid-way (exit {proc.returncode} after {done} operations):\n" + "".join(tail))
    cloud.use_faults("")
    return done


def _cloud_processes_of(pid: int) -> list[int]:
    """The ``planner.emulator.pipe_server`` processes whose parent is ``pid`` (from /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().split(b"\0")
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        if ppid == pid and b"planner.emulator.pipe_server" in cmdline:
            found.append(int(entry.name))
    return found


def finish_and_check(cloud: EngineCloud, lbs: int = 3, rules: int = 2) -> None:
    """The user's next steps after a crash: apply again, then plan must show nothing to do."""
    apply_ok(cloud)
    assert_converged(cloud, "recovery", lbs=lbs, rules=rules)


@pytest.mark.parametrize(("mode", "after_ops", "extra_delay"), [
    pytest.param("inprocess", 1, 0.0, id="inprocess-first-op"),
    pytest.param("inprocess", 12, 0.011, id="inprocess-mid-groups"),
    pytest.param("inprocess", 30, 0.005, id="inprocess-mid-listeners"),
    # the cloud in its own process (a large apply's walk): it outlives the killed command by the call it was
    # answering, as a cloud over the network does
    pytest.param("apart", 12, 0.011, id="apart-mid-groups"),
    pytest.param("apart", 30, 0.005, id="apart-mid-listeners"),
    pytest.param("http", 1, 0.0, id="http-first-op", marks=pytest.mark.wire),
    pytest.param("http", 12, 0.011, id="http-mid-groups", marks=pytest.mark.wire),
])
def test_first_apply_killed_then_reapplied_converges(cloud: EngineCloud, after_ops: int,
                                                     extra_delay: float) -> None:
    """Killed during the very first apply (no state written by a finished run yet)."""
    cloud.write()
    done = run_and_kill(cloud, "apply", after_ops, extra_delay)
    assert done == after_ops
    made = sum(cloud_counts(cloud).values())
    assert 0 < made < sum(expected_objects().values()), "the kill should leave a half-built cloud"
    finish_and_check(cloud)


def test_killed_twice_in_a_row_then_reapplied_converges(cloud: EngineCloud) -> None:
    """The run that recovers a killed apply is itself killed; the third run still converges."""
    cloud.write()
    run_and_kill(cloud, "apply", 8, 0.007)
    run_and_kill(cloud, "apply", 6, 0.013)  # counts only this run's operations (the rest of the first plan)
    finish_and_check(cloud)


@pytest.mark.parametrize("mode", [INPROCESS, pytest.param("apart", id="apart"), HTTP])
def test_update_apply_killed_then_reapplied_converges(cloud: EngineCloud) -> None:
    """Killed while growing an existing deployment (a state file with serial > 0 exists)."""
    cloud.write()
    apply_ok(cloud)
    serial = state_doc(cloud)["serial"]
    cloud.write(lbs=5, rules=3)  # 2 more LBs with everything on them, 1 more rule on every LB
    run_and_kill(cloud, "apply", 10, 0.009)
    assert state_doc(cloud)["serial"] >= serial
    finish_and_check(cloud, lbs=5, rules=3)


@pytest.mark.parametrize("mode", [INPROCESS, HTTP])
def test_destroy_killed_then_rerun_leaves_nothing(cloud: EngineCloud) -> None:
    """Killed while destroying: the re-run deletes what is left and forgets nothing it deleted."""
    cloud.write()
    apply_ok(cloud)
    run_and_kill(cloud, "destroy", 6)
    left = sum(cloud_counts(cloud).values())
    assert 0 < left < sum(expected_objects().values())
    again, _ = cloud.run("destroy", "-auto-approve")
    assert again.returncode == 0, again.stdout[-2000:] + again.stderr[-3000:]
    assert sum(cloud_counts(cloud).values()) == 0, cloud_counts(cloud)
    assert state_doc(cloud).get("resources") == []
    plan, _ = cloud.run("plan", "-destroy", "-detailed-exitcode")
    assert plan.returncode == 0, plan.stdout[-2000:] + plan.stderr[-2000:]
