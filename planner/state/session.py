"""One run's hold on the state: lock, state with the journal replayed, journal, checkpoints.

Why a helper: the order of these steps is what makes a killed apply recoverable, and it is easy
to get subtly wrong in each command:

- the lock is taken before the state is read, and held until the last checkpoint;
- a state file that does not exist yet is written (empty) before the first journal record of a
  mutating run, because the journal is keyed by the state's lineage: otherwise the next run would
  read a new lineage and never find the killed run's journal;
- completions a killed run left in the journal are replayed into the state at open; its pending
  intents are handed to the caller to reconcile (re-issue with the same ClientToken, or
  ``journal.resolve``);
- a checkpoint reads ``last_seq`` before replaying, so completions recorded meanwhile by other
  threads stay in the journal until the next checkpoint.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from planner.state.backend import LockInfo
from planner.state.journal import Journal, JournalRecord
from planner.state.model import State


@dataclass
class StateSession:
    """What ``open_state`` yields. ``recovered``: completions replayed from an interrupted run;
    ``pending``: that run's calls that may or may not have happened."""

    backend: Any  # LocalBackend or PgBackend
    state: State
    journal: Journal
    lock: LockInfo | None = None
    recovered: list[JournalRecord] = field(default_factory=list)
    pending: list[JournalRecord] = field(default_factory=list)

    replayed_upto: int = 0  # completions with seq <= this are already in ``state``

    def checkpoint(self) -> None:
        """Write the state with every journaled completion folded in, then trim the journal.

        Only completions recorded since the last replay are applied, so edits the caller made to
        ``state`` in between (removing an instance, say) are kept.
        """
        upto = self.journal.last_seq
        self.journal.replay_into(self.state, after_seq=self.replayed_upto)
        self.backend.write(self.state)
        self.journal.checkpoint(upto)
        self.replayed_upto = upto

    def save(self) -> None:
        """Write ``state`` as it is and trim the journal: for a run whose walk recorded every
        completion in ``state`` as it went (replaying them again could undo a create-before-destroy
        replace, whose delete completion comes after the new object's create)."""
        upto = self.journal.last_seq
        self.backend.write(self.state)
        self.journal.checkpoint(upto)
        self.replayed_upto = upto

    def switch_journal(self) -> None:
        """Follow ``state.lineage`` after it changed (a saved plan adopting its lineage when there is
        no state yet): journals are kept per lineage."""
        self.journal.close()
        self.journal = self.backend.journal(self.state.lineage)
        self.replayed_upto = self.journal.last_seq


@contextlib.contextmanager
def open_state(backend: Any, operation: str, *, lock: bool = True,
               mutating: bool = True) -> Iterator[StateSession]:
    """Lock (unless ``lock=False``), read, replay the journal; yield a StateSession.

    Nothing is written on exit: call ``session.checkpoint()`` when the run's state should persist
    (an exception mid-apply leaves the journal to carry the progress to the next run).
    ``mutating=False`` (plan, state list/show) never creates a state file.
    """
    cm = backend.lock(operation) if lock else contextlib.nullcontext(None)
    with cm as info:
        state = backend.read()
        if mutating and not backend.exists():
            backend.write(state)  # make the lineage durable before any journal record refers to it
        journal = backend.journal(state.lineage)
        session = None
        try:
            recovered = journal.completions()
            upto = journal.last_seq
            if recovered:
                journal.replay_into(state)
                state.source_digest = ""  # no longer what the file holds
            session = StateSession(backend, state, journal, info, recovered, journal.pending(), upto)
            yield session
        finally:
            (session.journal if session is not None else journal).close()
