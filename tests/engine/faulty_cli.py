"""Run the real ``clbplan`` CLI with faults switched on in its embedded emulator.

The CLI has no flag for faults on the embedded cloud (only ``clbplan emulator serve --faults``), so
the engine tests start the CLI through this module: it reads ``CLBPLAN_TEST_FAULTS`` (a
``FaultConfig.from_spec`` string such as ``latency=0.02,transient=0.1``), makes every emulator that
is opened on a file use those faults, then hands over to the real click group. The shadow cloud used
for plan verification is an in-memory copy and stays fault-free, as in production.

Usage: ``python tests/engine/faulty_cli.py apply -auto-approve``. At exit it prints one line
``FAULTS code=count ...`` to stderr: which faults fired, so a test can check they really did.

``CLBPLAN_TEST_HOLD=N:PATH`` pauses the run instead of slowing it: after N write calls to a
file-backed cloud, every further write waits until PATH exists. A test that needs the run to be in
the middle of its apply (holding the state lock) for as long as the test takes, however loaded the
machine, creates PATH when it is done instead of hoping a latency outlasts a second interpreter's start.
``CLBPLAN_TEST_SLEEP_GATE=PATH`` does the same for the local ``time_sleep``: after its own wait it
also waits until PATH exists (for tests whose configuration makes no cloud call).
"""

from __future__ import annotations

import atexit
import os
import sys
import threading
import time
from collections import Counter
from pathlib import Path

ENV = "CLBPLAN_TEST_FAULTS"
HOLD_ENV = "CLBPLAN_TEST_HOLD"
SLEEP_GATE_ENV = "CLBPLAN_TEST_SLEEP_GATE"
HOLD_LIMIT = 600.0  # seconds: a test that died without opening the gate must not leave the run forever


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


def hold(spec: str) -> None:
    """Make write calls after the first N (``spec`` = ``N:PATH``) wait until PATH exists."""
    from planner.emulator import Emulator
    from planner.emulator.registry import lookup

    count, _, gate = spec.partition(":")
    passed = [int(count)]
    guard = threading.Lock()
    original = Emulator.call

    def call(self, product, action, params):  # type: ignore[no-untyped-def]
        spec_ = lookup(product, action)
        if self.path is not None and spec_ is not None and spec_.write:
            with guard:
                free = passed[0] > 0
                passed[0] -= 1
            if not free:
                _wait_for(gate, HOLD_ENV)
        return original(self, product, action, params)

    Emulator.call = call  # type: ignore[method-assign]


def _wait_for(gate: str, env: str) -> None:
    deadline = time.monotonic() + HOLD_LIMIT
    while not os.path.exists(gate):
        if time.monotonic() > deadline:
            raise RuntimeError(f"{env}: {gate} did not appear within {HOLD_LIMIT:.0f}s")
        time.sleep(0.01)


def sleep_gate(gate: str) -> None:
    """Make every ``time_sleep`` wait, after its duration, until ``gate`` exists."""
    from planner.providers.local.times import TimeSleep

    original = TimeSleep._wait

    def _wait(self, duration):  # type: ignore[no-untyped-def]
        original(self, duration)
        if duration and not self.env.dry_run:
            _wait_for(gate, SLEEP_GATE_ENV)

    TimeSleep._wait = _wait  # type: ignore[method-assign]


def main() -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    spec = os.environ.get(ENV, "")
    if spec:
        install(spec)
    if os.environ.get(HOLD_ENV):
        hold(os.environ[HOLD_ENV])
    if os.environ.get(SLEEP_GATE_ENV):
        sleep_gate(os.environ[SLEEP_GATE_ENV])
    from planner.cli.main import main as clbplan_main

    clbplan_main()


if __name__ == "__main__":
    main()
