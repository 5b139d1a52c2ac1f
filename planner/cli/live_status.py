"""A live status line under the apply progress, when a person watches a terminal.

Terraform prints one line per start and completion; at thousands of operations those lines scroll
past faster than anyone reads them and say nothing about how far along the apply is. At a terminal
clbplan keeps Terraform's lines exactly and adds, below them, one line drawn by `rich` that says how
many operations finished, how many run, and the time so far. The line is transient: it is erased
when the apply ends, so the terminal keeps only what Terraform would have printed. Without a
terminal (a pipe, a CI log, `-no-color`, `TF_IN_AUTOMATION`) nothing changes.
"""

from __future__ import annotations

import os
import sys
import threading
from typing import TextIO

from planner.apply.executor import ApplyEvent
from planner.cli.global_flags import settings

FINISHED = frozenset({"done", "failed", "skipped", "cascaded"})


def wanted(stream: TextIO | None = None) -> bool:
    """Only for a person at a colour terminal: automation asked Terraform for plain output."""
    out = stream or sys.stdout
    return settings.use_color(out) and not os.environ.get("TF_IN_AUTOMATION")


class LiveStatus:
    """The status line: counts finished and running operations from the executor's events."""

    def __init__(self, total: int, verb: str = "Applying", stream: TextIO | None = None):
        # deferred: rich is for a person at a terminal, and importing it was 40 ms of every command's start
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            SpinnerColumn,
            TextColumn,
            TimeElapsedColumn,
        )

        self.console = Console(file=stream or sys.stdout, highlight=False, soft_wrap=True)
        self._bar = Progress(
            SpinnerColumn(), TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
            TextColumn("operations, {task.fields[running]} running"), TimeElapsedColumn(),
            console=self.console, transient=True,
        )
        self._task = self._bar.add_task(verb, total=total, running=0)
        self._running: set[str] = set()
        self._lock = threading.Lock()
        self._bar.start()

    def print(self, line: str, *, bold: bool = False) -> None:
        """A progress line printed above the status line (rich keeps the status at the bottom)."""
        from rich.text import Text

        self.console.print(Text(line, style="bold" if bold else ""))

    def event(self, ev: ApplyEvent) -> None:
        with self._lock:
            if ev.kind == "start":
                self._running.add(ev.op_id)
            elif ev.kind in FINISHED:
                self._running.discard(ev.op_id)
                self._bar.advance(self._task)
            self._bar.update(self._task, running=len(self._running))

    def close(self) -> None:
        """Erase the status line; called once the apply has returned, whatever its outcome."""
        self._bar.stop()
