"""Helpers for the review/CI tests: run the CLI in-process, set a scenario up, compare with goldens."""

from __future__ import annotations

import json
import re
from pathlib import Path

from click.testing import CliRunner

from planner.cli.main import cli
from tests.scenarios.scenario_runner import HERE as SCENARIOS
from tests.scenarios.scenario_runner import apply_dir, normalise, use_config

GOLDEN = Path(__file__).resolve().parents[1] / "review" / "golden"
UPDATE = "CLBPLAN_UPDATE_GOLDEN"


def run(*args, input=None, env=None):
    """``clbplan ARGS`` in-process; stdout and stderr both in ``.output``."""
    return CliRunner().invoke(cli, [str(a) for a in args], input=input, env=env)


def scenario_work(tmp_path: Path, name: str, *, apply_before: bool = True) -> Path:
    """A work dir with ``before/`` applied on a fresh embedded emulator and ``after/`` in place."""
    work = tmp_path / "work"
    work.mkdir()
    use_config(work, SCENARIOS / name / "before")
    if apply_before:
        _, result = apply_dir(work)
        assert not result.failures, result.failures
    use_config(work, SCENARIOS / name / "after")
    return work


_TS = re.compile(r'"timestamp": "[^"]+"')
_HASH = re.compile(r"sha256:[0-9a-f]{64}|\b[0-9a-f]{64}\b")
_UUID = re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b")


def normalise_json(doc) -> str:
    """Stable text of a JSON plan: cloud ids, IPs, lineage, hashes and the timestamp replaced."""
    text = json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False)
    text = _TS.sub('"timestamp": "<timestamp>"', text)
    text = _UUID.sub("<uuid>", _HASH.sub("<hash>", text))
    return normalise(text)


def check_golden(name: str, text: str) -> None:
    """Compare with tests/review/golden/NAME (CLBPLAN_UPDATE_GOLDEN=1 rewrites it)."""
    import os

    path = GOLDEN / name
    if os.environ.get(UPDATE) == "1":
        path.write_text(text)
    assert path.exists(), f"{path} is missing: run with {UPDATE}=1 and review it"
    assert text == path.read_text(), f"output differs from {path} ({UPDATE}=1 to rewrite after review)"


def plan_doc(*args, env=None) -> dict:
    """Terraform's JSON plan representation of ``clbplan plan ARGS``: saved with -out and read back
    with ``show -json``, as in Terraform (``plan -json`` streams the machine-readable UI instead)."""
    import json
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        plan_file = Path(tmp) / "p.plan"
        r = run("plan", *args, "-out", plan_file, env=env)
        assert r.exit_code == 0, r.output
        shown = run("show", plan_file, "-json", env=env)
        assert shown.exit_code == 0, shown.output
        return json.loads(shown.stdout)
