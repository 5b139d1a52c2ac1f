"""Processes that open a new cloud file at the same moment (a plan and its refresh child, two commands
started together) all get the cloud; none is told "database is locked"."""

from __future__ import annotations

import multiprocessing
import os
import time
from pathlib import Path

import pytest

from planner.emulator.store import Store

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="forked openers")


def _open(path: str, start: float, answers) -> None:
    while time.time() < start:
        pass
    try:
        store = Store(Path(path))
        store.conn.execute("SELECT count(*) FROM objects").fetchone()
        answers.put("ok")
    except Exception as e:  # noqa: BLE001 - the answer is what the test looks at
        answers.put(f"{type(e).__name__}: {e}")


def test_new_cloud_file_opened_by_three_processes_at_once(tmp_path: Path) -> None:
    ctx = multiprocessing.get_context("fork")
    failed = []
    for i in range(40):  # (one round in four failed before the openers retried)
        path = str(tmp_path / f"cloud{i}" / "emulator.sqlite")
        os.makedirs(os.path.dirname(path))
        answers = ctx.Queue()
        start = time.time() + 0.05
        openers = [ctx.Process(target=_open, args=(path, start, answers)) for _ in range(3)]
        for p in openers:
            p.start()
        for p in openers:
            p.join(60)
        failed += [a for a in (answers.get(timeout=60) for _ in openers) if a != "ok"]
    assert failed == []
