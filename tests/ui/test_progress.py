"""Apply progress and the outputs after apply, as Terraform prints them in human mode.

The same three steps (apply step1.tf, apply step2.tf: a create, an update, a replace and a delete,
then destroy) were run through Terraform 1.11 (``python -m tests.ui.record``, terraform_data only);
clbplan must print the same progress lines and the same ``Outputs:`` section.
"""

from __future__ import annotations

import json
import re
import shutil

import pytest

from planner.cli import progress
from planner.cli.progress import go_duration
from tests.support.cli import invoke_in as _clbplan
from tests.ui.record import HERE, HUMAN, normalise

EXPECTED = json.loads((HERE / "expected.json").read_text())
PROGRESS = re.compile(r"^\S+: (Creating\.\.\.|Modifying|Destroying|Still |\w+ complete after )")


def _progress_lines(stdout: str) -> list[str]:
    """The progress lines, elapsed times blanked (they vary), sorted (operations run in parallel)."""
    lines = [re.sub(r"after \d+s", "after Ns", line) for line in stdout.splitlines() if PROGRESS.match(line)]
    return sorted(lines)


def _tail(stdout: str) -> str:
    """From the summary line to the end: the summary and the Outputs section."""
    return stdout[stdout.index("\n", stdout.rindex("\n\n", 0, stdout.index(" complete! Resources:"))):]


@pytest.fixture(scope="module")
def replayed(tmp_path_factory) -> dict[str, dict]:
    work = tmp_path_factory.mktemp("ui-human")
    out = {}
    for name, config, args in HUMAN:
        shutil.copy(HERE / config, work / "main.tf")
        r = _clbplan(work, *args)
        out[name] = {"exit": r.exit_code, "stdout": normalise(r.stdout)}
    return out


@pytest.mark.parametrize("step", [name for name, _, _ in HUMAN])
def test_progress_lines_are_terraforms(replayed, step):
    tf, ours = EXPECTED["human"][step], replayed[step]
    assert ours["exit"] == tf["exit"] == 0, ours["stdout"]
    assert _progress_lines(ours["stdout"]) == _progress_lines(tf["stdout"])
    # each operation's start line comes before its completion line
    lines = ours["stdout"].splitlines()
    for i, line in enumerate(lines):
        m = re.match(r"^(\S+): (Creation|Modifications|Destruction) complete after", line)
        if m:
            start = {"Creation": "Creating...", "Modifications": "Modifying...", "Destruction": "Destroying..."}
            assert any(ln.startswith(f"{m[1]}: {start[m[2]]}") for ln in lines[:i]), line


@pytest.mark.parametrize("step", [name for name, _, _ in HUMAN])
def test_summary_and_outputs_section_are_terraforms(replayed, step):
    tf, ours = EXPECTED["human"][step], replayed[step]
    assert _tail(ours["stdout"]) == _tail(tf["stdout"])
    assert "hunter2" not in ours["stdout"]


def test_outputs_after_apply_match_clbplan_output(replayed, tmp_path):
    work = tmp_path / "w"
    work.mkdir()
    shutil.copy(HERE / "step1.tf", work / "main.tf")
    applied = _clbplan(work, "apply", "-auto-approve", "-input=false")
    listed = _clbplan(work, "output")
    assert applied.stdout.endswith("\nOutputs:\n\n" + listed.stdout)


def test_still_creating_every_period(tmp_path, monkeypatch):
    """A long operation says it is still running; the period is Terraform's 10 s, shortened here."""
    monkeypatch.setattr(progress, "STILL_EVERY", 0.4)
    (tmp_path / "main.tf").write_text('resource "time_sleep" "slow" {\n  create_duration = "2s"\n}\n')
    r = _clbplan(tmp_path, "apply", "-auto-approve", "-input=false")
    assert r.exit_code == 0, r.output
    lines = r.stdout.splitlines()
    still = [ln for ln in lines if ln.startswith("time_sleep.slow: Still creating... [")]
    assert len(still) >= 3, r.stdout
    assert all(re.fullmatch(r"time_sleep\.slow: Still creating\.\.\. \[\ds elapsed\]", ln) for ln in still), still
    start, done = lines.index("time_sleep.slow: Creating..."), next(
        i for i, ln in enumerate(lines) if re.match(r"time_sleep\.slow: Creation complete after \ds \[id=", ln))
    assert start < lines.index(still[0]) and lines.index(still[-1]) < done  # nothing after completion


@pytest.mark.slow
def test_still_creating_after_ten_seconds(tmp_path):
    (tmp_path / "main.tf").write_text('resource "time_sleep" "slow" {\n  create_duration = "11s"\n}\n')
    r = _clbplan(tmp_path, "apply", "-auto-approve", "-input=false")
    assert r.exit_code == 0, r.output
    assert "time_sleep.slow: Still creating... [10s elapsed]\n" in r.stdout
    # each wall-clock time is rounded to the second before subtracting, as Terraform's hook_ui does: an
    # 11 s sleep that started at x.4 s and took 11.2 s in all reads "12s" (a loaded machine flipped it)
    assert re.search(r"time_sleep\.slow: Creation complete after 1[12]s \[id=", r.stdout), r.stdout


@pytest.mark.parametrize(("seconds", "text"), [(0, "0s"), (10, "10s"), (60, "1m0s"), (75, "1m15s"),
                                                (3605, "1h0m5s")])
def test_elapsed_reads_as_go_durations(seconds, text):
    assert go_duration(seconds) == text


@pytest.mark.parametrize("step", [name for name, _, _ in HUMAN])
def test_confirmation_plan_changes_to_outputs_are_terraforms(replayed, step):
    """apply's and destroy's plan list the output changes as Terraform's did for the same steps."""
    from tests.ui.test_output_changes import outputs_section

    want = outputs_section(EXPECTED["human"][step]["stdout"])
    assert want is not None
    assert outputs_section(replayed[step]["stdout"]) == want
