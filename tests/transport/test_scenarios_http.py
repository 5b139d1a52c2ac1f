"""The golden scenario suite (tests/scenarios/) once more, over HTTP to a served emulator.

Same folders, same runner helpers, same expected plan text: only the provider block changes (endpoints and
keys injected), so any difference between the in-process and the wire path shows up as a failed golden.
Plans are verified on a shadow rebuilt from the served emulator's dump.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from planner.providers.http_transport import HttpTransport
from tests.scenarios.scenario_runner import (
    HERE,
    SCENARIOS,
    apply_dir,
    plan_dir,
    plan_text,
    scenario_targets,
    use_config,
)
from tests.transport.conftest import Cloud, point_at

pytestmark = pytest.mark.wire

# Every scenario runs by default (about 15 s for all of them on the reference machine); CLBPLAN_HTTP_SCENARIOS
# can name a comma-separated subset when iterating by hand.
_ONLY = {s for s in os.environ.get("CLBPLAN_HTTP_SCENARIOS", "").split(",") if s}
SELECTED = [s for s in SCENARIOS if not _ONLY or s in _ONLY]


def use_http_config(work: Path, source: Path, cloud: Cloud) -> None:
    use_config(work, source)
    for extra in work.glob("provider_http.tf"):
        extra.unlink()
    point_at(work, cloud.endpoint)


def test_every_scenario_is_selected() -> None:
    assert SCENARIOS, "no scenario folders found"
    assert _ONLY or SELECTED == SCENARIOS


@pytest.mark.parametrize("name", SELECTED)
def test_scenario_over_http(name: str, cloud: Cloud, tmp_path: Path) -> None:
    folder = HERE / name
    work = tmp_path / "work"
    work.mkdir()
    use_http_config(work, folder / "before", cloud)
    planned, result = apply_dir(work)
    assert isinstance(planned.transport, HttpTransport)
    assert not result.failures, f"applying before/ failed over HTTP: {result.failures}"

    use_http_config(work, folder / "after", cloud)
    targets, excludes = scenario_targets(folder)  # as the in-process suite: an optional -target/-exclude plan
    planned = plan_dir(work, targets=targets, excludes=excludes)
    if planned.plan.operations:
        assert planned.plan.verified is True  # shadow built from the served emulator's dump
    text = plan_text(planned)
    golden = folder / "plan.txt"
    assert golden.exists(), f"{golden} is missing (the in-process suite writes it)"
    assert text == golden.read_text(), f"plan text over HTTP differs from {golden}"

    _, result = apply_dir(work, planned)
    assert not result.failures, f"applying after/ failed over HTTP: {result.failures}"
    again = plan_dir(work, targets=targets, excludes=excludes)
    assert not again.plan.has_changes, plan_text(again)
    assert not (work / ".clbplan" / "emulator.sqlite").exists()
    shutil.rmtree(work / ".clbplan", ignore_errors=True)
