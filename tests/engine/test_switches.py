"""The ``CLBPLAN_*`` on/off switches read as a person writes them: ``0``, ``false``, ``no`` or ``off`` in any
case and with stray spaces turn one off (``CLBPLAN_BACKGROUND_REFRESH=False`` used to leave it on), and
anything else, or nothing, leaves it on."""

from __future__ import annotations

import pytest

from planner.config import eval_memo
from planner.engine import background_refresh, unchanged_plan

SWITCHES = [background_refresh.ENV_SWITCH, unchanged_plan.ENV_SWITCH, eval_memo.ENV_SWITCH]


@pytest.mark.parametrize("written", ["0", "false", "False", "FALSE", " off ", "Off", "NO", "no"])
def test_off_in_any_case_turns_the_reuse_of_an_unchanged_plan_off(written: str) -> None:
    assert not unchanged_plan.wanted({unchanged_plan.ENV_SWITCH: written})


@pytest.mark.parametrize("written", ["1", "true", "On", "yes", ""])
def test_anything_else_leaves_it_on(written: str) -> None:
    assert unchanged_plan.wanted({unchanged_plan.ENV_SWITCH: written})


@pytest.mark.parametrize("written", ["0", "False", " OFF", "No"])
def test_every_switch_reads_off_the_same_way(written: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from planner import process

    for name in SWITCHES:
        monkeypatch.delenv(name, raising=False)
        assert not process.switched_on({name: written}, name), name
        assert process.switched_on({}, name), name  # unset: on
