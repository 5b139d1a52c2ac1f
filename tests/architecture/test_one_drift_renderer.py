"""Drift has one renderer (issue 10, item 4): the text that tells a user objects changed outside
clbplan is written in planner/render/drift.py only, so the plan text and the CLI's detailed drift
cannot word it differently."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_the_drift_heading_is_written_by_render_drift_only() -> None:
    writers = sorted(p.relative_to(REPO).as_posix() for p in (REPO / "planner").rglob("*.py")
                     if "Objects have changed outside of clbplan" in p.read_text(encoding="utf-8"))
    assert writers == ["planner/render/drift.py"]
