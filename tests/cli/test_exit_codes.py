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


def test_unrecoverable_leftover_operation_is_a_clear_error_and_keeps_the_journal(tmp_path, monkeypatch) -> None:
    """An operation a killed apply left half-done that the cloud now refuses: exit 1 with what to do,
    the settled part saved, the failed intent still pending for the next run; no "bug" message."""
    import planner.apply.executor as executor
    import planner.engine.run as engine_run
    from planner.addresses import ResourceAddress
    from planner.state.backend import LocalBackend

    (tmp_path / "main.tf").write_text('resource "alicloud_slb_acl" "a" {\n  name = "a"\n}\n')
    backend = LocalBackend(tmp_path / "clbplan.tfstate")
    state = backend.read()
    backend.write(state)
    journal = backend.journal(state.lineage)
    journal.intent("tok-1", ResourceAddress("alicloud_slb_acl", "a"), "update",
                   {"prior": {"id": "acl-x"}, "planned": {"id": "acl-x", "name": "b"}})
    journal.close()

    def refuse(journal, provider, st):
        raise executor.RecoveryError(st, [("alicloud_slb_acl.a (update)", RuntimeError("AclNotExist: gone"))])

    monkeypatch.setattr(engine_run, "recover", refuse)  # where the run looks it up
    result = CliRunner().invoke(cli, ["apply", "-auto-approve", str(tmp_path)])
    assert result.exit_code == 1, result.output
    assert "could not finish 1 operation(s) left by an interrupted apply" in result.output
    assert "alicloud_slb_acl.a (update): AclNotExist: gone" in result.output
    assert "bug in clbplan" not in result.output and "Traceback" not in result.output
    assert [r.address for r in backend.journal(state.lineage).pending()] == [ResourceAddress("alicloud_slb_acl", "a")]
