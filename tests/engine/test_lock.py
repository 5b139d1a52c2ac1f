"""Two ``clbplan apply`` runs on one directory at once: one wins, the other is refused and told who.

Through the real CLI in subprocesses. The first apply is paused after its first operation (through
``faulty_cli.py``: its next cloud write waits for a gate file the test creates) so it holds the state
lock for as long as the test needs, on a quiet or a loaded machine; a second apply started meanwhile
must exit 1 at once with the lock holder named (who, since when, doing what, its pid), change
nothing, and the first must finish normally. With ``-lock-timeout`` the second waits instead (the
test sees it waiting on the lock file before letting the first go on) and then finds nothing left to do.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

from tests.support.progress import finished
from tests.support.timing import TIMING

from .stack import (
    assert_cloud_matches_state,
    clbplan_cmd,
    cli_env,
    expected_objects,
    run_cli,
    write_stack,
)

pytestmark = TIMING

FAULTY_CLI = Path(__file__).with_name("faulty_cli.py")


def start_held_apply(workdir: Path) -> subprocess.Popen:
    """One call at a time, held after its first write until ``release(proc)``: it is still running,
    holding the lock, whenever the second apply starts (a latency only made that likely: on a loaded
    machine a second interpreter took longer to start than the whole first apply).

    stdout (the plan, then the progress lines) is read by the test; stderr goes to a file so the
    holder never blocks on output nobody reads."""
    env = cli_env()
    gate = workdir.parent / "first.go"
    env["CLBPLAN_TEST_HOLD"] = f"1:{gate}"
    err = (workdir.parent / "first.stderr").open("w+")
    proc = subprocess.Popen([sys.executable, str(FAULTY_CLI), "apply", "-auto-approve", "-parallelism=1"],
                            cwd=str(workdir),
                            env=env, stdout=subprocess.PIPE, stderr=err, text=True)
    proc.stderr_file = err  # type: ignore[attr-defined]
    proc.gate = gate  # type: ignore[attr-defined]
    return proc


def release(proc: subprocess.Popen) -> None:
    """Let the held apply go on with its writes."""
    proc.gate.touch()  # type: ignore[attr-defined]


def wait_until_waiting_on(proc: subprocess.Popen, lock_file: Path, limit: float = 120) -> None:
    """Until ``proc`` has ``lock_file`` open: it is in the lock's wait loop (the holder holds it)."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        assert proc.poll() is None, "the second apply ended instead of waiting for the lock"
        for fd in Path(f"/proc/{proc.pid}/fd").iterdir():
            try:
                if os.readlink(fd) == str(lock_file.resolve()):
                    return
            except OSError:  # closed meanwhile
                continue
        time.sleep(0.02)
    raise AssertionError(f"the second apply did not open {lock_file} within {limit:.0f}s")


def wait_until_applying(proc: subprocess.Popen) -> list[str]:
    """Read the holder's stdout until its first operation finished (it holds the lock by then)."""
    seen: list[str] = []
    assert proc.stdout is not None
    for line in proc.stdout:
        seen.append(line)
        if finished(line):
            return seen
    raise AssertionError("the first apply ended before applying anything:\n" + "".join(seen))


def finish(proc: subprocess.Popen, already: list[str]) -> tuple[int, str, str]:
    out, _ = proc.communicate(timeout=120)
    err_file = proc.stderr_file  # type: ignore[attr-defined]
    err_file.seek(0)
    err = err_file.read()
    err_file.close()
    return proc.returncode, "".join(already) + out, err


def test_second_apply_is_refused_naming_the_holder_and_first_succeeds(tmp_path: Path) -> None:
    work = write_stack(tmp_path / "cfg")
    first = start_held_apply(work)
    head: list[str] = []
    try:
        head = wait_until_applying(first)
        t0 = time.monotonic()
        second = run_cli(work, "apply", "-auto-approve")
        refused_in = time.monotonic() - t0
        assert first.poll() is None, "the first apply must still be running when the second is refused"
    finally:
        release(first)
        code, out, err = finish(first, head)
    assert second.returncode == 1, second.stdout[-2000:] + second.stderr[-2000:]
    msg = second.stderr
    assert "Traceback" not in msg
    assert "state lock" in msg and "is locked" in msg
    assert f"{first.pid}" in msg, "the holder's pid must be named"
    assert re.search(r"Operation:\s+apply", msg) and re.search(r"Who:\s+\S+@\S+", msg), msg
    assert re.search(r"Created:\s+\d{4}-\d\d-\d\dT\d\d:\d\d", msg), msg
    assert "force-unlock" in msg  # the way out, should the holder be gone
    assert "Apply complete" not in second.stdout
    assert refused_in < 15, f"the default -lock-timeout=0s refuses at once, took {refused_in:.1f}s"
    # the first run was not disturbed
    assert code == 0, err[-3000:]
    assert "Apply complete! Resources: 42 added" in out
    assert_cloud_matches_state(work, expected_objects())
    assert run_cli(work, "plan", "-detailed-exitcode").returncode == 0


def test_second_apply_with_lock_timeout_waits_then_has_nothing_to_do(tmp_path: Path) -> None:
    work = write_stack(tmp_path / "cfg")
    first = start_held_apply(work)
    head: list[str] = []
    second = None
    try:
        head = wait_until_applying(first)
        second = subprocess.Popen(clbplan_cmd("apply", "-auto-approve", "-lock-timeout=2m"), cwd=str(work),
                                  env=cli_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        wait_until_waiting_on(second, work / "clbplan.tfstate.lock")
        assert first.poll() is None, "the first apply must still hold the lock while the second waits"
    finally:
        release(first)
        code, out, err = finish(first, head)
        if second is not None:
            second_out, second_err = second.communicate(timeout=120)
    assert code == 0, err[-3000:]
    assert second.returncode == 0, second_out[-2000:] + second_err[-2000:]
    assert "Resources: 0 added, 0 changed, 0 destroyed" in second_out
    assert_cloud_matches_state(work, expected_objects())


def test_two_applies_started_together_create_everything_once(tmp_path: Path) -> None:
    """No head start: whichever takes the lock applies; the other is refused or (if it got the
    lock after the winner finished) finds no changes. Never both applying, never a duplicate."""
    work = write_stack(tmp_path / "cfg")
    env = cli_env()
    files = [((tmp_path / f"out{i}").open("w+"), (tmp_path / f"err{i}").open("w+")) for i in range(2)]
    procs = [subprocess.Popen(clbplan_cmd("apply", "-auto-approve"), cwd=str(work), env=env,
                              stdout=o, stderr=e, text=True) for o, e in files]
    results = []
    for p, (o, e) in zip(procs, files, strict=True):
        p.wait(timeout=120)
        o.seek(0)
        e.seek(0)
        results.append((p, o.read(), e.read()))
        o.close()
        e.close()
    added = [out for p, out, _err in results if p.returncode == 0 and "Resources: 42 added" in out]
    assert len(added) == 1, [(p.returncode, out[-300:], err[-800:]) for p, out, err in results]
    for p, out, err in results:
        if "Resources: 42 added" in out:
            continue
        if p.returncode == 1:
            assert "is locked" in err and "Traceback" not in err, err[-2000:]
        else:
            assert p.returncode == 0 and "Resources: 0 added" in out, (p.returncode, out[-500:], err[-800:])
    assert_cloud_matches_state(work, expected_objects())
    assert run_cli(work, "plan", "-detailed-exitcode").returncode == 0
