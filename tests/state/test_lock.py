"""The state lock across real processes: contention, waiting, stale takeover, force-unlock."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from planner.state.backend import LocalBackend, StateError, StateLockedError
from tests.support.timing import TIMING

pytestmark = TIMING

HOLDER = Path(__file__).with_name("lock_holder.py")


class Holder:
    """A separate process holding the lock of ``state_path`` until released or killed."""

    def __init__(self, state_path: Path, operation: str = "apply"):
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
        self.proc = subprocess.Popen([sys.executable, str(HOLDER), str(state_path), operation],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env)
        line = self.proc.stdout.readline()  # type: ignore[union-attr]
        assert line.startswith("LOCKED "), f"holder failed to lock: {line!r}"
        self.lock_id = line.split()[1]

    def release(self) -> None:
        self.proc.stdin.close()  # type: ignore[union-attr]
        assert self.proc.wait(timeout=10) == 0
        self.proc.stdout.close()  # type: ignore[union-attr]

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)
        self.proc.stdout.close()  # type: ignore[union-attr]
        self.proc.stdin.close()  # type: ignore[union-attr]

    def cleanup(self) -> None:
        if self.proc.poll() is None:
            self.kill()


@pytest.fixture
def holders() -> Iterator[list[Holder]]:
    made: list[Holder] = []
    yield made
    for h in made:
        h.cleanup()


def test_lock_writes_info_and_removes_it_on_release(state_path: Path) -> None:
    be = LocalBackend(state_path)
    with be.lock("apply") as info:
        doc = json.loads(be.lock_info_path.read_text())
        assert doc["ID"] == info.id and doc["Operation"] == "apply" and doc["Pid"] == os.getpid()
        assert "@" in doc["Who"] and doc["Created"] and doc["Path"] == str(state_path)
        assert set(doc) >= {"ID", "Operation", "Who", "Created", "Path", "Pid"}
    assert not be.lock_info_path.exists()
    with be.lock("plan"):  # free again
        pass


def test_second_process_fails_after_timeout_naming_the_holder(state_path: Path, holders: list[Holder]) -> None:
    h = Holder(state_path, "apply")
    holders.append(h)
    be = LocalBackend(state_path, lock_timeout=0.4)
    t0 = time.monotonic()
    with pytest.raises(StateLockedError) as ei:
        with be.lock("plan"):
            pytest.fail("acquired a lock another process holds")
    waited = time.monotonic() - t0
    assert waited >= 0.4
    err = ei.value
    assert err.info is not None and err.info.id == h.lock_id and err.info.pid == h.proc.pid
    text = str(err)
    for needle in (h.lock_id, "apply", err.info.who, err.info.created, f"clbplan force-unlock {h.lock_id}"):
        assert needle in text
    h.release()
    with be.lock("plan"):
        pass


def test_zero_timeout_fails_at_once(state_path: Path, holders: list[Holder]) -> None:
    holders.append(Holder(state_path))
    t0 = time.monotonic()
    with pytest.raises(StateLockedError):
        with LocalBackend(state_path).lock("plan"):
            pass
    assert time.monotonic() - t0 < 0.3


def test_waiting_run_gets_the_lock_when_the_holder_finishes(state_path: Path, holders: list[Holder]) -> None:
    h = Holder(state_path)
    holders.append(h)
    import threading

    timer = threading.Timer(0.3, h.release)
    timer.start()
    t0 = time.monotonic()
    with LocalBackend(state_path, lock_timeout=10).lock("apply") as info:
        assert json.loads(LocalBackend(state_path).lock_info_path.read_text())["ID"] == info.id
    assert 0.2 < time.monotonic() - t0 < 5
    timer.join()  # let the holder exit on its own before the fixture's cleanup


def test_holder_killed_leaves_info_but_next_run_takes_over(state_path: Path, holders: list[Holder],
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    h = Holder(state_path, "apply")
    holders.append(h)
    h.kill()
    be = LocalBackend(state_path)
    stale = be.read_lock_info()
    assert stale is not None and stale.id == h.lock_id  # SIGKILL left the info file behind
    with be.lock("apply") as info:
        assert info.id != h.lock_id
        assert be.read_lock_info().id == info.id  # type: ignore[union-attr]
    err = capsys.readouterr().err
    assert "stale state lock" in err and h.lock_id in err and str(h.proc.pid) in err
    assert not be.lock_info_path.exists()


def test_same_process_cannot_lock_twice(state_path: Path) -> None:
    be = LocalBackend(state_path, lock_timeout=5)
    with be.lock("apply"):
        t0 = time.monotonic()
        with pytest.raises(StateError, match="already held by this process"):
            with LocalBackend(state_path, lock_timeout=5).lock("plan"):
                pass
        assert time.monotonic() - t0 < 1  # refused at once, not after waiting on itself


def test_force_unlock_removes_a_dead_holders_lock(state_path: Path, holders: list[Holder]) -> None:
    h = Holder(state_path)
    holders.append(h)
    h.kill()
    be = LocalBackend(state_path)
    with pytest.raises(StateError, match="does not match"):
        be.force_unlock("not-the-id")
    assert be.lock_info_path.exists()
    be.force_unlock(h.lock_id)
    assert not be.lock_info_path.exists()
    with pytest.raises(StateError, match="not locked"):
        be.force_unlock(h.lock_id)


def test_force_unlock_refuses_a_live_holder(state_path: Path, holders: list[Holder]) -> None:
    h = Holder(state_path)
    holders.append(h)
    be = LocalBackend(state_path)
    with pytest.raises(StateLockedError) as ei:
        be.force_unlock(h.lock_id)
    assert str(h.proc.pid) in str(ei.value)
    assert be.read_lock_info().id == h.lock_id  # type: ignore[union-attr]
    h.release()


def test_apply_and_destroy_with_lock_false_run_beside_a_holder_and_warn(tmp_path: Path,
                                                                      holders: list[Holder]) -> None:
    from click.testing import CliRunner

    from planner.cli.main import cli

    (tmp_path / "main.tf").write_text('resource "terraform_data" "x" {\n  input = "one"\n}\n')
    state = tmp_path / "clbplan.tfstate"
    runner = CliRunner()
    assert runner.invoke(cli, ["apply", "-auto-approve", str(tmp_path)]).exit_code == 0
    holders.append(Holder(state))
    r = runner.invoke(cli, ["apply", "-auto-approve", str(tmp_path)])
    assert r.exit_code == 1 and holders[0].lock_id in r.output
    (tmp_path / "main.tf").write_text('resource "terraform_data" "x" {\n  input = "two"\n}\n')
    r = runner.invoke(cli, ["apply", "-auto-approve", "-lock=false", str(tmp_path)])
    assert r.exit_code == 0 and "1 changed" in r.stdout, r.output
    assert r.stderr.count("State locking is disabled (-lock=false)") == 1 and str(state) in r.stderr
    assert LocalBackend(state).read().resources  # written, while the holder still holds the lock
    assert json.loads(LocalBackend(state).lock_info_path.read_text())["ID"] == holders[0].lock_id
    r = runner.invoke(cli, ["destroy", "-auto-approve", "-lock=false", str(tmp_path)])
    assert r.exit_code == 0 and "1 destroyed" in r.stdout, r.output
    assert not LocalBackend(state).read().resources
