"""``plan -json``, ``apply -json``, ``destroy -json``: Terraform's machine-readable UI, line by line.

The sequence in record.py (create, then a create + update + replace + delete, then destroy, plus a
refused unapproved apply and a configuration error) was run through Terraform 1.11; clbplan must
stream the same messages: every line a JSON object with Terraform's envelope, the same types, the
same payloads (ids, timestamps and elapsed seconds aside), in an order Terraform could have printed.
"""

from __future__ import annotations

import json
import re
import shutil
from collections import Counter

import pytest

from tests.support.cli import invoke_in as _invoke
from tests.ui.record import HERE, JSON, normalise

EXPECTED = json.loads((HERE / "expected.json").read_text())["json"]
TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")
TYPES = {"version", "log", "diagnostic", "planned_change", "resource_drift", "change_summary", "outputs",
         "apply_start", "apply_progress", "apply_complete", "apply_errored", "refresh_start", "refresh_complete"}
RESOURCE_KEYS = ["addr", "module", "resource", "implied_provider", "resource_type", "resource_name", "resource_key"]


@pytest.fixture(scope="module")
def replayed(tmp_path_factory) -> dict[str, dict]:
    work = tmp_path_factory.mktemp("ui-json")
    out = {}
    for name, config, args in JSON:
        shutil.copy(HERE / config, work / "main.tf")
        r = _invoke(work, *args)
        out[name] = {"exit": r.exit_code, "stdout": r.stdout, "stderr": r.stderr}
    return out


def _messages(stdout: str) -> list[dict]:
    return [json.loads(line) for line in stdout.splitlines()]


def check_envelope(msg: dict) -> None:
    """One message against Terraform's format (json_view.go, json/*.go)."""
    assert list(msg) == sorted(msg), "top-level keys are sorted, as Terraform's logger writes them"
    assert msg["@level"] in ("info", "warn", "error")
    assert isinstance(msg["@message"], str) and msg["@message"]
    assert msg["@module"] == "terraform.ui"
    assert TIMESTAMP.match(msg["@timestamp"]), msg["@timestamp"]
    assert msg["type"] in TYPES
    t = msg["type"]
    if t == "version":
        assert msg["ui"] == "1.2" and re.fullmatch(r"\d+\.\d+\.\d+", msg["terraform"])
    if t in ("planned_change", "resource_drift"):
        change = msg["change"]
        assert list(change["resource"]) == RESOURCE_KEYS
        assert change["action"] in ("noop", "create", "read", "update", "replace", "delete", "move", "remove",
                                    "import")
        assert msg["@message"] == f"{change['resource']['addr']}: Plan to {change['action']}"
    if t == "change_summary":
        assert list(msg["changes"]) == ["add", "change", "import", "remove", "operation"]
        assert msg["changes"]["operation"] in ("plan", "apply", "destroy")
    if t.startswith(("apply_", "refresh_")):
        hook = msg["hook"]
        assert list(hook["resource"]) == RESOURCE_KEYS
        assert msg["@message"].startswith(hook["resource"]["addr"] + ": ")
        if t.startswith("apply_"):
            assert hook["action"] in ("create", "update", "delete")
        if t in ("apply_progress", "apply_complete", "apply_errored"):
            assert isinstance(hook["elapsed_seconds"], int)
    if t == "diagnostic":
        d = msg["diagnostic"]
        assert d["severity"] in ("error", "warning") and d["summary"]
        assert msg["@message"] == ("Error: " if d["severity"] == "error" else "Warning: ") + d["summary"]
        assert msg["@level"] == ("error" if d["severity"] == "error" else "warn")
    if t == "outputs":
        for o in msg["outputs"].values():
            assert isinstance(o["sensitive"], bool)
            assert "action" in o or "type" in o
            if o["sensitive"]:
                assert "value" not in o


def comparable(msg: dict) -> str:
    """A message with what differs run to run (ids, times, elapsed seconds, wording of our own
    diagnostics' details and of the version banner) taken out."""
    m = {k: v for k, v in msg.items() if k != "@timestamp"}
    if m["type"] == "version":
        return json.dumps({"type": "version", "terraform": m["terraform"], "ui": m["ui"]})
    if m["type"] == "diagnostic":
        d = m["diagnostic"]
        rng = d.get("range", {})
        return json.dumps({"type": "diagnostic", "level": m["@level"], "summary": d["summary"],
                           "file": rng.get("filename"), "start": {k: v for k, v in rng.get("start", {}).items()}})
    text = normalise(json.dumps(m, sort_keys=True))
    text = re.sub(r'"elapsed_seconds": \d+', '"elapsed_seconds": 0', text)
    return re.sub(r"after \d+s", "after 0s", text)


@pytest.mark.parametrize("step", [name for name, _, _ in JSON if not name.startswith("validate")])
def test_stream_matches_terraforms(replayed, step):
    tf, ours = EXPECTED[step], replayed[step]
    assert ours["exit"] == tf["exit"], ours["stdout"] + ours["stderr"]
    messages = _messages(ours["stdout"])
    for msg in messages:
        check_envelope(msg)
    assert messages[0]["type"] == "version"
    theirs = [comparable(m) for m in _messages(tf["stdout"])]
    assert Counter(comparable(m) for m in messages) == Counter(theirs)
    assert "hunter2" not in ours["stdout"]


@pytest.mark.parametrize("step", ["apply1", "apply2", "destroy"])
def test_apply_stream_order(replayed, step):
    """version, then the plan (changes, its summary, the outputs' actions), then each operation's
    start before its completion, then the apply's summary and the outputs' values last."""
    types = [m["type"] for m in _messages(replayed[step]["stdout"])]
    messages = _messages(replayed[step]["stdout"])
    summaries = [i for i, t in enumerate(types) if t == "change_summary"]
    assert len(summaries) == 2
    plan_end, apply_end = summaries
    assert all(t in ("planned_change", "refresh_start", "refresh_complete") for t in types[1:plan_end])
    hooks = [m for m in messages[plan_end:apply_end] if m["type"].startswith("apply_")]
    assert hooks and all(i < apply_end for i, t in enumerate(types) if t.startswith("apply_"))
    started = set()
    for m in hooks:
        key = (m["hook"]["resource"]["addr"], m["hook"]["action"])
        if m["type"] == "apply_start":
            started.add(key)
        else:
            assert key in started, m
    assert types[apply_end + 1:] in ([], ["outputs"])


def test_apply_json_without_approval_is_refused(replayed):
    msgs = _messages(replayed["apply_unapproved"]["stdout"])
    assert [m["type"] for m in msgs] == ["version", "diagnostic"]
    assert msgs[1]["diagnostic"]["summary"] == "Plan file or auto-approve required"
    assert replayed["apply_unapproved"]["exit"] == 1


@pytest.mark.parametrize("step", ["validate_ok", "validate_broken"])
def test_validate_json_is_terraforms_document(replayed, step):
    """``validate -json`` prints one document, not the stream (as Terraform does)."""
    ours, theirs = json.loads(replayed[step]["stdout"]), json.loads(EXPECTED[step]["stdout"])
    assert replayed[step]["exit"] == EXPECTED[step]["exit"]
    assert {k: v for k, v in ours.items() if k != "diagnostics"} == \
        {k: v for k, v in theirs.items() if k != "diagnostics"}
    assert [(d["severity"], d["summary"], d.get("range", {}).get("start")) for d in ours["diagnostics"]] == \
        [(d["severity"], d["summary"], d.get("range", {}).get("start")) for d in theirs["diagnostics"]]


def test_failing_apply_streams_errored_and_a_diagnostic(tmp_path, monkeypatch):
    """An operation that fails: ``apply_errored``, then an error ``diagnostic`` naming it, no apply
    summary (Terraform prints none after a failed apply), exit 1; what succeeded is still reported."""
    from planner.providers.local.builtin import TerraformData

    create = TerraformData.create
    calls = Counter()

    def refusing(self, planned, ctx):
        # the plan's verification on a copy of the cloud accepts the object; the real call is refused
        # (the cloud changed in between), so the failure happens during the apply itself
        if planned.get("input") == "boom":
            calls["boom"] += 1
            if calls["boom"] > 1:
                raise RuntimeError("the cloud refused this object")
        return create(self, planned, ctx)

    (tmp_path / "main.tf").write_text('resource "terraform_data" "ok" {\n  input = "fine"\n}\n'
                                      'resource "terraform_data" "bad" {\n  input = "boom"\n}\n')
    monkeypatch.setattr(TerraformData, "create", refusing)
    r = _invoke(tmp_path, "apply", "-json", "-auto-approve")
    assert r.exit_code == 1, r.stdout + r.stderr
    msgs = _messages(r.stdout)
    for m in msgs:
        check_envelope(m)
    by_type = Counter(m["type"] for m in msgs)
    assert by_type["apply_errored"] == 1 and by_type["diagnostic"] == 1
    errored = next(m for m in msgs if m["type"] == "apply_errored")
    # the elapsed seconds are wall-clock (0s on a quiet machine, 1s on a loaded one); message and hook agree
    assert errored["@message"] == f"terraform_data.bad: Creation errored after {errored['hook']['elapsed_seconds']}s"
    assert errored["hook"]["elapsed_seconds"] in (0, 1)
    assert errored["hook"]["action"] == "create"
    diag = next(m for m in msgs if m["type"] == "diagnostic")
    assert diag["@level"] == "error" and "terraform_data.bad" in diag["diagnostic"]["summary"]
    assert "the cloud refused this object" in diag["diagnostic"]["summary"]
    assert any(m["type"] == "apply_complete" and m["hook"]["resource"]["addr"] == "terraform_data.ok" for m in msgs)
    assert [m["changes"]["operation"] for m in msgs if m["type"] == "change_summary"] == ["plan"]


def test_plan_json_no_longer_prints_the_representation_show_json_does(tmp_path):
    (tmp_path / "main.tf").write_text((HERE / "step1.tf").read_text())
    r = _invoke(tmp_path, "plan", "-json", "-out=p.plan")
    assert r.exit_code == 0
    assert all("format_version" not in m for m in _messages(r.stdout))
    shown = json.loads(_invoke(tmp_path, "show", "-json", "p.plan").stdout)
    assert shown["format_version"] and len(shown["resource_changes"]) == 3


def test_a_saved_plan_json_stream_is_refused_with_the_new_meaning(tmp_path):
    """Whoever saved ``plan -json`` output as a plan (the old meaning) is told where the plan went."""
    (tmp_path / "main.tf").write_text((HERE / "step1.tf").read_text())
    stream = _invoke(tmp_path, "plan", "-json").stdout
    (tmp_path / "plan.json").write_text(stream)
    r = _invoke(tmp_path, "apply", "plan.json")
    assert r.exit_code == 1
    assert "is the output of `plan -json`, not a saved plan" in r.stderr
    assert "clbplan show -json" in r.stderr and "Traceback" not in r.stderr
