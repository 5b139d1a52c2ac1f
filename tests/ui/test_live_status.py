"""The live status line under apply progress: at a terminal only, erased at the end (issue 16, item 8).

A person watching `clbplan apply` in a terminal sees Terraform's progress lines and, below them, a
line saying how many operations finished and how many run; when the apply ends the line is gone and
the terminal holds exactly Terraform's text. A pipe, a CI log or TF_IN_AUTOMATION sees nothing new.
The terminal is a real pseudo-terminal (`pty.fork`), as a user's shell gives clbplan.
"""

from __future__ import annotations

import os
import pty
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.examples import REPO, copy_example
from tests.support.terminal import readable
from tests.support.timing import TIMING

pytestmark = TIMING

ANSI = re.compile(rb"\x1b\[[0-9;?]*[A-Za-z]")
COMMAND = [sys.executable, "-m", "planner.cli.main", "apply", "-auto-approve"]


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "TF_IN_AUTOMATION", "CLBPLAN_NO_COLOR")}
    env.update(PYTHONPATH=str(REPO), TERM="xterm-256color", COLUMNS="120", **extra)
    return env


# The status line is redrawn ten times a second: an apply on the embedded cloud can finish between two
# redraws, so the terminal test slows every call (the engine tests' faulty CLI: latency, one at a time)
SLOW = [sys.executable, str(REPO / "tests" / "engine" / "faulty_cli.py"), "apply", "-auto-approve", "-parallelism=1"]


def _in_terminal(work: Path, env: dict[str, str], command: list[str] = COMMAND) -> tuple[int, bytes]:
    pid, fd = pty.fork()
    if pid == 0:  # the child: clbplan with the terminal as stdin, stdout and stderr
        os.chdir(work)
        os.execve(command[0], command, env)
    out = b""
    while True:
        if not readable(fd, 120):
            os.kill(pid, 9)
            break
        try:
            data = os.read(fd, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not data:
            break
        out += data
    os.close(fd)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status), out


@pytest.fixture
def work(tmp_path: Path) -> Path:
    return copy_example("vserver-groups", tmp_path / "vg")


def test_terminal_shows_the_status_line_then_erases_it(work: Path) -> None:
    code, raw = _in_terminal(work, _env(CLBPLAN_TEST_FAULTS="latency=0.15"), SLOW)
    assert code == 0, raw[-2000:]
    text = ANSI.sub(b"", raw).decode()
    # the status line was drawn, counting every operation of the plan, and said what ran meanwhile
    assert "Applying" in text and "12/12 operations, 0 running" in text
    assert re.search(r"\b([1-9]|1[01])/12 operations, 1 running", text), text[-3000:]
    # Terraform's lines are all there, and the status line was erased before the summary
    assert "alicloud_slb_listener.admin: Creation complete after" in text
    assert re.search(rb"\x1b\[1A\x1b\[2K[^\n]*\n?Apply complete! Resources: 12 added", raw.replace(b"\r", b""))
    assert "operations" not in text[text.index("Apply complete!"):]


def test_pipe_and_automation_see_terraform_text_only(work: Path, tmp_path: Path) -> None:
    piped = subprocess.run(COMMAND, cwd=work, env=_env(), capture_output=True, timeout=120)
    assert piped.returncode == 0, piped.stderr
    assert b"operations," not in piped.stdout and b"\x1b[" not in piped.stdout
    assert b"Apply complete! Resources: 12 added" in piped.stdout

    again = copy_example("vserver-groups", tmp_path / "auto")
    code, raw = _in_terminal(again, _env(TF_IN_AUTOMATION="1"))
    assert code == 0, raw[-2000:]
    assert b"operations," not in raw
    assert b"Apply complete! Resources: 12 added" in raw
