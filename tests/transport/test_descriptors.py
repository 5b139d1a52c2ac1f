"""A process that runs many commands keeps no file or connection of a finished one.

The console, a library caller or a long-lived runner calls clbplan's commands over and over in one
process. Each plan opens the embedded emulator's SQLite file (or HTTP connections to the endpoints);
before the run closed them, they stayed open until the cyclic garbage collector happened to run (a
``sqlite3.Connection`` sits in a reference cycle with its statement cache) or forever (the SDK pools
connections per endpoint process-wide), and a test worker ran past 1,024 descriptors. The collector
is switched off here, so only an explicit close passes.
"""

from __future__ import annotations

import gc
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from planner.cli.main import cli
from planner.process import gc_paused
from tests.support.examples import copy_example
from tests.transport.conftest import Cloud, point_at


def _open_files() -> list[str]:
    names = []
    for fd in os.listdir("/proc/self/fd"):
        try:
            names.append(os.readlink(f"/proc/self/fd/{fd}"))
        except OSError:  # closed between the listing and the read (the listing's own descriptor)
            pass
    return names


def _sockets() -> int:
    return sum(name.startswith("socket:") for name in _open_files())


@pytest.fixture
def no_collector() -> Iterator[None]:
    gc.collect()
    with gc_paused():
        yield


pytestmark = pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="needs /proc/self/fd (Linux)")


def _clbplan(work: Path, *args: str) -> None:
    result = CliRunner().invoke(cli, [f"-chdir={work}", *args])
    assert result.exit_code in (0, 2), result.output


def test_commands_close_the_embedded_cloud(tmp_path: Path, no_collector: None) -> None:
    work = copy_example("vserver-groups", tmp_path)
    for args in (["plan"], ["apply", "-auto-approve"], ["plan", "-detailed-exitcode"], ["graph", "-type=plan"],
                 ["destroy", "-auto-approve"]):
        _clbplan(work, *args)
        left = [name for name in _open_files() if "emulator.sqlite" in name]
        assert not left, f"after `clbplan {' '.join(args)}` these stay open: {left}"


def test_commands_close_their_connections(tmp_path: Path, cloud: Cloud, no_collector: None) -> None:
    work = copy_example("vserver-groups", tmp_path)
    point_at(work, cloud.endpoint)
    before = _sockets()
    _clbplan(work, "apply", "-auto-approve")
    _clbplan(work, "plan", "-detailed-exitcode")
    deadline = time.monotonic() + 10  # the served side closes its end when it reads the client's close
    while _sockets() > before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _sockets() == before, f"{_sockets() - before} connection(s) stay open after the commands"
