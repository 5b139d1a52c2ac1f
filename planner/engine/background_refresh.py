"""Read the cloud in a second process while this one evaluates the configuration.

Evaluation and refresh each need the state, refresh needs the provider configurations too, and neither
needs the other's result. Against the embedded emulator every read is CPU in this process, which
threads cannot overlap under the GIL: at 10,000 load balancers a no-change plan evaluated for 16 s and
then refreshed for 13 s with the machine's second core idle. So, as soon as the provider
configurations are known (they usually depend on variables only), the plan forks: the child opens its
own connection to the cloud, refreshes, works out the drift and what differs from the state, sends that
back (a few bytes when nothing drifted) and exits; the parent evaluates meanwhile.

The answer is used only when it is the answer the parent's own refresh would give: the provider
configurations the evaluation ends with are the ones the child used, and no resource changed its
provider. Otherwise, and whenever the child fails, the parent refreshes itself as before. Only a
one-shot command (``planner.process``) against the embedded emulator does this; a served or
real cloud already overlaps its reads on threads, and a long-lived process (tests, a library caller)
does not fork.
"""

from __future__ import annotations

import os
import resource
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from planner import process
from planner.config.model import ProviderConfig
from planner.plan.diff import RefreshDelta, drift_and_delta
from planner.plan.model import DriftEntry
from planner.state.model import State

ENV_SWITCH = "CLBPLAN_BACKGROUND_REFRESH"  # "0" refreshes in the planning process, as before


@dataclass
class RefreshAnswer:
    """What the child found: the drift, the delta to build the refreshed state, the calls it made."""

    drift: list[DriftEntry]
    delta: RefreshDelta
    calls: dict[tuple, Counter] = field(default_factory=dict)  # Clouds key -> calls per action
    seconds: float = 0.0  # the child's refresh, wall time
    peak_rss_kib: int = 0  # the child's ru_maxrss (pages it shares with the parent count too)


def wanted(env: Mapping[str, str]) -> bool:
    """Whether this process may refresh in a child: a one-shot command on a system with fork."""
    return hasattr(os, "fork") and process.is_one_shot() and process.switched_on(env, ENV_SWITCH)


class BackgroundRefresh:
    """One refresh running in a forked child; ``answer()`` waits for it, ``cancel()`` stops it."""

    def __init__(self, child: process.ForkedAnswer, providers: dict[str, ProviderConfig]):
        self._child, self.providers = child, providers

    @property
    def pid(self) -> int:
        return self._child.pid

    @classmethod
    def start(cls, state: State, providers: dict[str, ProviderConfig], workdir: Path,
              env: Mapping[str, str] | None, open_cloud: Callable[[Any], Any]) -> BackgroundRefresh | None:
        """Fork a child that refreshes every resource of ``state`` through ``open_cloud(clouds)`` (the
        provider for ``providers``, opened in the child's own ``Clouds``). None when it cannot start."""
        from planner.providers.target import Clouds

        clouds = Clouds(workdir, env)
        if not all(clouds.embedded(pc) for pc in providers.values()):
            return None  # a served or real cloud: its reads overlap on threads already
        child = process.ForkedAnswer.start(lambda: _refreshed(state, clouds, open_cloud))
        return cls(child, providers) if child is not None else None

    def answer(self) -> RefreshAnswer | None:
        """The child's answer, once it has finished; None when it failed (the caller refreshes itself)."""
        got = self._child.answer()
        return got if isinstance(got, RefreshAnswer) else None

    def cancel(self) -> None:
        """Stop the child (the plan failed, or will not use its answer)."""
        self._child.cancel()


def refresh_in_parts(state: State, providers: dict[str, ProviderConfig], workdir: Path,
                     env: Mapping[str, str] | None, open_cloud: Callable[[Any], Any], parts: int = 2
                     ) -> RefreshAnswer | None:
    """The refresh of ``state``, split over ``parts`` children that read at once, for a plan with nothing
    else to do meanwhile (``planner.engine.unchanged_plan``); None when any part fails (the caller then
    refreshes itself). How the objects are shared out: ``_shares``.

    Call it before this process opens the cloud's file: SQLite keeps per-process bookkeeping of the
    files it has open and locked, which a forked child inherits but whose descriptors it closes
    (``planner.process.fork``); a child's own connection to that file then waits on locks no one holds."""
    shares = _shares(state, parts)
    children = []
    for share in shares:
        child = BackgroundRefresh.start(share, providers, workdir, env, open_cloud)
        if child is None:
            for c in children:
                c.cancel()
            return None
        children.append(child)
    try:
        answers = [c.answer() for c in children]
    except BaseException:  # Ctrl-C while waiting: the other children (which ignore it) are stopped too
        for c in children:
            c.cancel()
        raise
    if any(a is None for a in answers):
        return None
    return _combined(answers)  # type: ignore[arg-type]


def _shares(state: State, parts: int) -> list[State]:
    """``state`` cut into ``parts`` states that read about as long and make no more calls together.

    The objects of a load balancer (listeners, groups, backend servers) are read per load balancer,
    ten to a listing page: each type of them is cut by load balancer, the sorted ids in runs, so every
    page stays full and in one part. Any other type (the load balancers themselves, listed per region
    in pages; instances, networks) goes whole to the part with the fewest objects so far: cut, each
    part would list the region again."""
    shares = [state.without_resources() for _ in range(parts)]
    by_type: dict[str, list] = {}
    for rs in state.resources.values():
        by_type.setdefault(rs.type, []).append(rs)
    whole = []
    for objects in by_type.values():
        owners = sorted({str(rs.attributes.get("load_balancer_id") or "") for rs in objects})
        if "" in owners:
            whole.append(objects)
            continue
        size = -(-len(owners) // parts)
        part_of = {lb: i // size for i, lb in enumerate(owners)}
        for rs in objects:
            shares[part_of[str(rs.attributes["load_balancer_id"])]].resources[rs.address] = rs
    for objects in sorted(whole, key=len, reverse=True):
        smallest = min(shares, key=lambda share: len(share.resources))
        smallest.resources.update((rs.address, rs) for rs in objects)
    return shares


def _combined(answers: list[RefreshAnswer]) -> RefreshAnswer:
    """One answer from the parts' answers, as a single child reading everything would give it."""
    drift = sorted((d for a in answers for d in a.drift), key=lambda d: str(d.address))
    changed: dict = {}
    gone: list = []
    calls: dict[tuple, Counter] = {}
    for a in answers:
        changed.update(a.delta[0])
        gone.extend(a.delta[1])
        for where, counter in a.calls.items():
            calls.setdefault(where, Counter()).update(counter)
    return RefreshAnswer(drift, (changed, gone), calls, max(a.seconds for a in answers),
                         max(a.peak_rss_kib for a in answers))


def _refreshed(state: State, clouds: Any, open_cloud: Callable[[Any], Any]) -> RefreshAnswer | None:
    """The child's work: refresh and say what differs (None: the parent then refreshes itself)."""
    started = time.monotonic()
    provider = open_cloud(clouds)
    if getattr(getattr(clouds.emulator, "faults", None), "enabled", False):
        return None  # injected faults (tests) fire in a sequence the parent's cloud plays: it reads itself
    values = provider.refresh(list(state.resources.values()))
    drift, delta = drift_and_delta(state, values)
    return RefreshAnswer(drift, delta, clouds.calls(), time.monotonic() - started,
                         resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
