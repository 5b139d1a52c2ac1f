"""Files written for the next run after a command's output (``planner.process.behind``, issue 17): the
evaluation's records of a 10,000-LB plan are 150 MB of encoding and writing that no one reading this
plan waits for. The command exits (and a pipe reading its output ends) before they are written; the
next run waits for them."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from planner import process

REPO = Path(__file__).resolve().parents[2]

SCRIPT = """
import sys, threading, time
from pathlib import Path
from planner import process

process.one_shot()
out = Path(sys.argv[1])
if sys.argv[3] == "thread":
    threading.Thread(target=time.sleep, args=(1.0,)).start()

def work():
    time.sleep(float(sys.argv[2]))
    (out / "record").write_text("all of it")

forked = process.behind(work, lock=out / ".writing")
print(forked, (out / "record").exists(), flush=True)
"""


def _run(folder: Path, delay: float, thread: str = "") -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run([sys.executable, "-c", SCRIPT, str(folder), str(delay), thread], capture_output=True,
                          text=True, timeout=60, env=env)


def test_the_command_and_its_output_end_first_and_the_next_run_waits(tmp_path: Path) -> None:
    started = time.monotonic()
    done = _run(tmp_path, 2.0)
    ended = time.monotonic() - started
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["True", "False"]  # forked, and the parent did not wait for it
    if ended < 2.0:  # (on a machine too busy to start Python in 2 s the child may be done already)
        assert not (tmp_path / "record").exists()
    assert process.wait_for(tmp_path / ".writing", timeout=30)
    assert (tmp_path / "record").read_text() == "all of it"
    assert (tmp_path / ".writing").stat().st_mode & 0o777 == 0o600


def test_the_lock_is_private_and_so_are_the_folders_it_makes(tmp_path: Path) -> None:
    folder = tmp_path / "w" / ".clbplan" / "eval-memo"
    (tmp_path / "w").mkdir()
    assert _run(folder, 0.0).returncode == 0
    assert process.wait_for(folder / ".writing", timeout=30)
    assert (folder / "record").read_text() == "all of it"
    for made in (folder, folder.parent):
        assert made.stat().st_mode & 0o777 == 0o700
    assert (folder / ".writing").stat().st_mode & 0o777 == 0o600


def test_a_lock_nobody_holds_is_not_waited_for(tmp_path: Path) -> None:
    assert process.wait_for(tmp_path / "never-made")
    assert _run(tmp_path, 0.0).returncode == 0
    assert process.wait_for(tmp_path / ".writing", timeout=30)
    started = time.monotonic()
    assert process.wait_for(tmp_path / ".writing", timeout=30)
    assert time.monotonic() - started < 5


def test_nothing_is_forked_from_a_long_lived_process_or_beside_a_thread(tmp_path: Path) -> None:
    ran: list[int] = []
    assert not process.is_one_shot()  # the test process, as a library user's
    assert process.behind(lambda: ran.append(1), lock=tmp_path / ".writing") is False
    assert ran == []  # the caller does the work itself
    done = _run(tmp_path, 0.0, "thread")
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["False", "False"]
