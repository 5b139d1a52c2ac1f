"""The ``cloud`` fixture of the engine tests: where the CLI's cloud lives (see stack.EngineCloud).

A test runs against the embedded emulator unless it is parametrized over ``mode`` (``BOTH`` below), in
which case its ``http`` case runs the same steps against ``clbplan emulator serve`` on loopback.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from .stack import EngineCloud


@pytest.fixture
def mode() -> str:
    """Overridden by ``@pytest.mark.parametrize("mode", ...)``; the embedded cloud otherwise."""
    return "inprocess"


@pytest.fixture
def cloud(mode: str, tmp_path: Path) -> Iterator[EngineCloud]:
    c = EngineCloud(mode, tmp_path)
    try:
        yield c
    finally:
        c.close()
