"""Module tests: fixture repositories copied into a temporary directory, run through the real CLI.

The ``copy_fixture`` fixture is re-exported by tests/modules/conftest.py."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from planner.cli.main import cli

FIXTURES = Path(__file__).resolve().parents[1] / "modules" / "fixtures"


@pytest.fixture
def copy_fixture(tmp_path: Path):
    def copy(name: str) -> Path:
        dst = tmp_path / name
        shutil.copytree(FIXTURES / name, dst)
        return dst
    return copy


def run(args: list[str], cwd: Path, monkeypatch: pytest.MonkeyPatch) -> Result:
    """One clbplan command in ``cwd`` (as a user runs it in the configuration's directory)."""
    monkeypatch.chdir(cwd)
    monkeypatch.delenv("TF_WORKSPACE", raising=False)
    return CliRunner().invoke(cli, args)
