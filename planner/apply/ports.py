"""What the apply layer needs from its collaborators, as typed protocols.

Why: the executor used to take the provider and the journal as ``Any`` and probe them with
``getattr`` (does it count calls? does it have a retry policy? a region per provider key?). A
protocol says once what a provider, a journal and a planned-values source must offer, so a wiring
mistake is a type error and a reader sees the surface without reading every caller.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol, runtime_checkable

from planner.addresses import ResourceAddress
from planner.plan.model import Operation
from planner.providers.base import CallContext, ResourceHandler
from planner.state.journal import JournalRecord
from planner.state.model import ResourceState, State


class Provider(Protocol):
    """The cloud as the walk sees it (``AlicloudProvider``, ``Providers``, a test's fake).

    ``context`` accepts ``token_fn``, ``retry`` (None: the provider's own policy), ``on_retry`` and
    ``provider_key`` (the resource's provider configuration, which picks its region)."""

    @property
    def calls(self) -> int:
        """API calls made so far (the walk reports the difference)."""
        ...

    def handler(self, type_name: str) -> ResourceHandler: ...

    def context(self, **kw: Any) -> CallContext: ...


@runtime_checkable
class BatchHandler(Protocol):
    """A handler that folds several creates (or deletes) of one batch key into few calls."""

    def create_many(self, planned: list[dict], ctx: CallContext) -> list[dict]: ...

    def delete_many(self, priors: list[dict], ctx: CallContext) -> None: ...


class JournalWriter(Protocol):
    """The crash-safety journal as the walk writes it (``planner.state.journal.Journal``)."""

    def intent(self, token: str, address: ResourceAddress, operation: str, detail: dict[str, Any]) -> None: ...

    def intents(self, items: list[tuple[str, ResourceAddress, str, dict[str, Any]]]) -> None: ...

    def complete(self, token: str, address: ResourceAddress, result: ResourceState | None,
                 deleted: bool = False) -> None: ...


class RecoveryJournal(JournalWriter, Protocol):
    """The journal as :func:`planner.apply.executor.recover` reads it after a crash."""

    def replay_into(self, state: State, *, after_seq: int = 0) -> State: ...

    def pending(self) -> list[JournalRecord]: ...


PlannedValuesFn = Callable[[Operation, Mapping[ResourceAddress, dict]], dict]


class PlannedValues(Protocol):
    """The attributes to apply for one operation, re-evaluated against what is applied so far
    (so an id "known after apply" at plan time is the real one now).

    ``invalidate`` is told each address whose applied value just changed, so a cache of
    evaluated values drops it."""

    def __call__(self, op: Operation, applied: Mapping[ResourceAddress, dict]) -> dict: ...

    def invalidate(self, address: ResourceAddress) -> None: ...


class _Uncached:
    """A plain callback as :class:`PlannedValues`: it caches nothing, so there is nothing to drop."""

    def __init__(self, fn: PlannedValuesFn):
        self._fn = fn

    def __call__(self, op: Operation, applied: Mapping[ResourceAddress, dict]) -> dict:
        return self._fn(op, applied)

    def invalidate(self, address: ResourceAddress) -> None:
        return None


def as_planned_values(source: PlannedValues | PlannedValuesFn | None) -> PlannedValues | None:
    """``source`` as a :class:`PlannedValues` (a bare function gets a no-op ``invalidate``)."""
    if source is None:
        return None
    if isinstance(source, _PlannedValuesType):
        return source
    return _Uncached(source)


@runtime_checkable
class _PlannedValuesType(Protocol):
    def invalidate(self, address: ResourceAddress) -> None: ...


__all__ = ["BatchHandler", "JournalWriter", "PlannedValues", "PlannedValuesFn", "Provider", "RecoveryJournal",
           "as_planned_values"]
