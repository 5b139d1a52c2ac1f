"""Run the real ``clbplan`` CLI with faults switched on in its embedded emulator.

The CLI has no flag for faults on the embedded cloud (only ``clbplan emulator serve --faults``), so
the engine tests start the CLI through this module: it reads ``CLBPLAN_TEST_FAULTS`` (a
``FaultConfig.from_spec`` string such as ``latency=0.02,transient=0.1``), makes every emulator that
is opened on a file use those faults, then hands over to the real click group. The shadow cloud used
for plan verification is an in-memory copy and stays fault-free, as in production.

Usage: ``python tests/engine/faulty_cli.py apply -auto-approve``. At exit it prints one line
``FAULTS code=count ...`` to stderr: which faults fired, so a test can check they really did.
"""

from __future__ import annotations

import atexit
import os
import sys
from collections import Counter
from pathlib import Path

ENV = "CLBPLAN_TEST_FAULTS"


def install(spec: str) -> None:
    """Make file-backed emulators default to the faults in ``spec``."""
    from planner.emulator import Emulator
    from planner.emulator.faults import FaultConfig

    faults = FaultConfig.from_spec(spec)
    original = Emulator.__init__
    opened: list = []

    def report() -> None:
        fired = Counter(code for emu in opened for _action, code in emu.injector.history)
        print("FAULTS " + " ".join(f"{k}={v}" for k, v in sorted(fired.items())), file=sys.stderr, flush=True)

    atexit.register(report)

    def __init__(self, path=None, **kw):  # type: ignore[no-untyped-def]
        given = kw.pop("faults", None)
        if given is None and path is not None:
            given = faults
        original(self, path, faults=given, **kw)
        if given is faults:
            opened.append(self)

    Emulator.__init__ = __init__  # type: ignore[method-assign]


def main() -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    spec = os.environ.get(ENV, "")
    if spec:
        install(spec)
    from planner.cli.main import main as clbplan_main

    clbplan_main()


if __name__ == "__main__":
    main()
