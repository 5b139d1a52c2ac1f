"""Ctrl-C during ``apply`` / ``destroy``, as Terraform handles it.

The first interrupt stops gracefully: nothing new starts, the operations in flight finish and are
recorded, the rest are skipped, the state is saved, and the run ends with an error (exit 1): a CI
job must never carry on as if it had applied. A second interrupt exits at once; the journal keeps
the operations that were in flight, and the next ``apply`` recovers them.

A signal handler (not KeyboardInterrupt) so the interrupt can never land in the middle of a state
or journal write.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import click

FIRST = ("\nInterrupt received.\nPlease wait for clbplan to exit or data loss may occur.\n"
         "Gracefully shutting down: operations in progress finish and are saved, nothing new starts.\n")
SECOND = ("\nTwo interrupts received. Exiting immediately. Operations that were in progress stay in the "
          "journal (.clbplan/journal); the next `clbplan apply` recovers them before planning.\n")


@contextmanager
def graceful_interrupts() -> Iterator[threading.Event]:
    """Yield an Event set by the first SIGINT (or SIGTERM); a second one exits the process with 1."""
    stop = threading.Event()
    if threading.current_thread() is not threading.main_thread():
        yield stop  # signals can only be handled in the main thread (tests calling from a worker)
        return

    def handler(signum: int, frame: Any) -> None:
        if not stop.is_set():
            stop.set()
            _write(FIRST)
            return
        _write(SECOND)
        os._exit(1)

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield stop
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def _write(text: str) -> None:
    try:
        sys.stdout.flush()
    except (OSError, ValueError):
        pass
    try:
        sys.stderr.write(text)
        sys.stderr.flush()
    except (OSError, ValueError):
        pass


def report_interrupted(result: Any, ops: dict, *, word: str, state_path: Any) -> None:
    """The end of an interrupted run: what finished, what was skipped, that the state was saved;
    then exit 1."""
    from planner.redact import scrub

    finished = [ops[i] for i in result.executed if i in ops]
    click.echo(f"\nError: {word} interrupted: {len(finished)} operation(s) finished, "
               f"{len(result.skipped)} not started.", err=True)
    for op in finished:
        click.echo(f"  - done: {op.kind.value} {op.address}", err=True)
    for op_id in result.skipped:
        op = ops.get(op_id)
        click.echo(f"  - skipped: {op.kind.value} {op.address}" if op is not None else f"  - skipped: {op_id}",
                   err=True)
    for op_id, err in result.failures:
        click.echo(scrub(f"  - failed: {op_id}: {err}"), err=True)
    click.echo(f"\nThe state was saved to {state_path} with what finished. Run `clbplan "
               f"{'destroy' if word == 'Destroy' else 'apply'}` again to finish the rest.", err=True)
    raise SystemExit(1)
