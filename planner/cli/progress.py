"""Apply progress as Terraform prints it (``internal/command/views/hook_ui.go`` and ``json/hook.go``).

Each operation prints ``<addr>: Creating...`` when it starts, ``<addr>: Still creating... [10s
elapsed]`` every ten seconds while it runs, and ``<addr>: Creation complete after 2s [id=...]`` when
it ends (Modifying/Modifications, Destroying/Destruction likewise; a replace is its two halves). A
failed operation prints nothing here: its error is reported once, at the end, as Terraform does.

The same hooks feed the machine-readable UI (``apply_start``, ``apply_progress``,
``apply_complete``, ``apply_errored``): ``Progress`` turns the executor's events into ``Hook``
records and hands them to a sink, which prints them as text or as JSON lines.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from planner.addresses import ResourceAddress
from planner.apply.executor import ApplyEvent
from planner.plan.model import Operation, OpKind
from planner.state.model import State

# how often a running operation says it is still running (Terraform's periodicUiTimer)
STILL_EVERY = 10.0

_START = {OpKind.CREATE: "Creating...", OpKind.UPDATE: "Modifying...", OpKind.DELETE: "Destroying..."}
_STILL = {OpKind.CREATE: "Still creating...", OpKind.UPDATE: "Still modifying...",
          OpKind.DELETE: "Still destroying..."}
_DONE = {OpKind.CREATE: "Creation", OpKind.UPDATE: "Modifications", OpKind.DELETE: "Destruction"}
_ERRORED = {OpKind.CREATE: "Creation", OpKind.UPDATE: "Modifications", OpKind.DELETE: "Destruction"}
MAX_ID_LEN = 80  # Terraform's maxIdLen for the "Still ..." lines


def go_duration(seconds: int) -> str:
    """Whole seconds as Go's ``time.Duration`` prints them: ``0s``, ``10s``, ``1m0s``, ``1h2m3s``."""
    h, rest = divmod(max(seconds, 0), 3600)
    m, s = divmod(rest, 60)
    if h:
        return f"{h}h{m}m{s}s"
    if m:
        return f"{m}m{s}s"
    return f"{s}s"


def _round(t: float) -> int:
    return int(t + 0.5)


def elapsed_since(start: float, now: float | None = None) -> int:
    """Seconds between two wall-clock times, each rounded to the second first (as hook_ui.go does)."""
    return _round(time.time() if now is None else now) - _round(start)


def _truncate_id(value: str, limit: int = MAX_ID_LEN) -> str:
    """hook_ui.go's truncateId: keep both ends of an over-long id."""
    if len(value) <= limit or limit < 5:
        return value
    half = (limit - 3) // 2
    return value[:half] + "..." + value[len(value) - (limit - 3 - half):]


@dataclass(frozen=True)
class Hook:
    """One progress message: ``type`` is the machine-readable UI's message type."""

    type: str  # apply_start | apply_progress | apply_complete | apply_errored
    address: ResourceAddress
    action: str  # create | update | delete
    message: str
    id_key: str = ""
    id_value: str = ""
    elapsed: int | None = None


@dataclass
class _Running:
    op: Operation
    start: float
    next_due: float
    id_value: str


class Progress:
    """Turns the executor's events into Terraform's progress hooks; thread-safe.

    ``state`` is the state the apply updates in place (new ids are read from it once an operation
    is recorded); prior ids come from the plan.
    """

    def __init__(self, operations: list[Operation], state: State, sink: Callable[[Hook], None], *,
                 every: float | None = None):
        self.ops = {op.id: op for op in operations}
        self.state = state
        self.sink = sink
        self.every = STILL_EVERY if every is None else every
        self._running: dict[str, _Running] = {}
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        self._ticker: threading.Thread | None = None

    # -- ids -------------------------------------------------------------------------------------

    def _prior_id(self, op: Operation) -> str:
        before = op.change.before or {}
        if before.get("id"):
            return str(before["id"])
        rs = self.state.resources.get(op.address)
        return rs.id if rs is not None and op.kind is not OpKind.CREATE else ""

    def _new_id(self, op: Operation) -> str:
        rs = self.state.resources.get(op.address)
        return rs.id if rs is not None else ""

    # -- events ----------------------------------------------------------------------------------

    def __call__(self, ev: ApplyEvent) -> None:
        op = self.ops.get(ev.op_id)
        if op is None:
            return
        kind, addr = op.kind, op.address
        if ev.kind == "start":
            prior = self._prior_id(op) if kind is not OpKind.CREATE else ""
            now = time.time()
            with self._lock:
                # (the ticker is not woken: this operation is due after every one it is waiting for)
                self._running[op.id] = _Running(op, now, now + self.every, prior)
                self._start_ticker()
            suffix = f" [id={prior}]" if prior else ""
            self.sink(Hook("apply_start", addr, kind.value, f"{addr}: {_START[kind]}{suffix}",
                           "id" if prior else "", prior))
        elif ev.kind in ("done", "cascaded", "failed"):
            with self._lock:
                run = self._running.pop(op.id, None)
            took = elapsed_since(run.start) if run is not None else _round(ev.elapsed)
            if ev.kind == "failed":
                self.sink(Hook("apply_errored", addr, kind.value,
                               f"{addr}: {_ERRORED[kind]} errored after {go_duration(took)}", elapsed=took))
                return
            new_id = "" if kind is OpKind.DELETE else self._new_id(op)
            suffix = f" [id={new_id}]" if new_id else ""
            self.sink(Hook("apply_complete", addr, kind.value,
                           f"{addr}: {_DONE[kind]} complete after {go_duration(took)}{suffix}",
                           "id" if new_id else "", new_id, took))

    # -- "Still creating..." -----------------------------------------------------------------------

    def _start_ticker(self) -> None:
        if self._ticker is None or not self._ticker.is_alive():
            self._ticker = threading.Thread(target=self._tick, name="apply-progress", daemon=True)
            self._ticker.start()

    def _tick(self) -> None:
        while True:
            due: list[_Running] = []
            with self._lock:
                if not self._running:
                    self._ticker = None
                    return
                now = time.time()
                for r in self._running.values():
                    if r.next_due <= now:
                        due.append(r)
                        r.next_due += self.every
                if not due:
                    self._wake.wait(max(min(r.next_due for r in self._running.values()) - now, 0.01))
                    continue
            for r in due:
                took = elapsed_since(r.start)
                kind, addr = r.op.kind, r.op.address
                id_part = f"id={_truncate_id(r.id_value)}, " if r.id_value else ""
                self.sink(Hook("apply_progress", addr, kind.value,
                               f"{addr}: {_STILL[kind]} [{id_part}{go_duration(took)} elapsed]", elapsed=took))


__all__ = ["STILL_EVERY", "Hook", "Progress", "elapsed_since", "go_duration"]
