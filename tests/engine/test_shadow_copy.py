"""A plan with changes copies its shadow cloud on another thread while it is finished (issue 17).

What a user sees is unchanged: every operation is rehearsed on a copy of the cloud before the plan is
shown, the real cloud is not touched by the rehearsal, and a plan that fails after the copy started
leaves no copy running. A plan without changes copies nothing (the common drift check in CI).
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from planner.diagnostics import DiagnosticsError
from planner.emulator import Emulator
from planner.engine import pipeline, verify
from planner.state.backend import LocalBackend

from .stack import write_stack


class _Spy(verify.ShadowCopy):
    started: list[_Spy] = []

    def __init__(self, emulator):  # noqa: ANN001 - the emulator, as ShadowCopy takes it
        super().__init__(emulator)
        self.discarded = self.taken = False
        _Spy.started.append(self)

    def take(self):  # noqa: ANN201
        self.taken = True
        return super().take()

    def discard(self) -> None:
        self.discarded = True
        super().discard()


@pytest.fixture
def spy(monkeypatch: pytest.MonkeyPatch) -> type[_Spy]:
    _Spy.started = []
    monkeypatch.setattr(pipeline, "ShadowCopy", _Spy)
    return _Spy


def _lbs(workdir: Path) -> int:
    emu = Emulator(workdir / ".clbplan" / "emulator.sqlite")
    try:
        return len(emu.call("Slb", "DescribeLoadBalancers", {"RegionId": "cn-hangzhou"})["LoadBalancers"]
                   ["LoadBalancer"])
    finally:
        emu.close()


def _copies_running() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "clbplan-shadow-copy"]


def test_a_plan_with_changes_is_rehearsed_on_a_copy_made_meanwhile(tmp_path: Path, spy: type[_Spy]) -> None:
    workdir = write_stack(tmp_path / "w", lbs=1, instances=2, rules=1)
    backend = LocalBackend(workdir / "clbplan.tfstate")
    planned = pipeline.make_plan(workdir, backend.read())
    try:
        assert planned.plan.operations and planned.plan.verified
        (copy,) = spy.started
        assert copy.taken  # the rehearsal ran on the copy started before the plan was ordered
        assert _lbs(workdir) == 0  # and the real cloud saw none of it
        state = planned.refreshed
        result = pipeline.apply_plan(planned, state)
        assert not result.failures
        backend.write(state)
    finally:
        planned.close()
    assert _lbs(workdir) == 1
    spy.started.clear()
    again = pipeline.make_plan(workdir, backend.read())
    try:
        assert not again.plan.operations
        assert spy.started == []  # nothing to rehearse: nothing copied
    finally:
        again.close()
    assert _copies_running() == []


def test_a_plan_that_fails_after_the_copy_started_discards_it(tmp_path: Path, spy: type[_Spy],
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    workdir = write_stack(tmp_path / "w", lbs=1, instances=2, rules=1)

    def refused(*_a, **_k):  # noqa: ANN002, ANN003, ANN202
        raise DiagnosticsError([])

    monkeypatch.setattr(pipeline, "plan_from", refused)
    with pytest.raises(DiagnosticsError):
        pipeline.make_plan(workdir, LocalBackend(workdir / "clbplan.tfstate").read())
    (copy,) = spy.started
    assert copy.discarded and not copy.taken
    assert _copies_running() == []


def test_a_refresh_only_plan_discards_the_copy_it_started(tmp_path: Path, spy: type[_Spy]) -> None:
    """The evaluation met objects to create, so the copy started; -refresh-only leaves no operation to
    rehearse: the copy is closed unused and nothing keeps running."""
    workdir = write_stack(tmp_path / "w", lbs=1, instances=2, rules=1)
    planned = pipeline.make_plan(workdir, LocalBackend(workdir / "clbplan.tfstate").read(), refresh_only=True)
    try:
        assert not planned.plan.operations
        (copy,) = spy.started
        assert copy.discarded and not copy.taken
    finally:
        planned.close()
    assert _copies_running() == []
