"""Exit codes at the process edge: 1 for every error, so CI never mistakes a typo for drift (2)."""

from __future__ import annotations

import subprocess
import sys

import pytest
from click.testing import CliRunner

from planner.cli.main import cli


@pytest.mark.parametrize("args", [
    ["plan", "-nosuchflag"],
    ["nosuchcommand"],
    ["-bad-global-flag"],
    ["plan", "-detailed-exitcode", "-parallelism", "zero"],
])
def test_usage_errors_exit_1_not_2(args: list[str], tmp_path) -> None:
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 1, result.output
    assert "Error:" in result.output


def test_unexpected_failure_is_one_line_without_traceback(tmp_path) -> None:
    # A directory with an unreadable state file is a user-facing failure, not a crash.
    (tmp_path / "main.tf").write_text('variable "x" {\n  default = 1\n}\n')
    (tmp_path / "clbplan.tfstate").write_text("{not json")
    proc = subprocess.run([sys.executable, "-m", "planner.cli.main", "plan", str(tmp_path)],
                          capture_output=True, text=True, cwd=tmp_path, timeout=60)
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr + proc.stdout
    assert "clbplan.tfstate" in proc.stderr
