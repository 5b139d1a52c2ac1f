"""The Markdown review lists the plan's output changes, as Terraform's plan text shows them."""

from __future__ import annotations

import json

from tests.support.cli import invoke_in as _clbplan
from tests.ui.record import normalise
from tests.ui.record_outputs import CASES, EXPECTED
from tests.ui.test_output_changes import outputs_section

RECORDED = json.loads(EXPECTED.read_text())


def _markdown(tmp_path, case: str) -> str:
    steps = CASES[case]
    (tmp_path / "main.tf").write_text(steps[0][0].lstrip())
    assert _clbplan(tmp_path, *steps[0][1]).exit_code == 0
    (tmp_path / "main.tf").write_text(steps[1][0].lstrip())
    assert _clbplan(tmp_path, "plan", "-out=p.plan").exit_code == 0
    return _clbplan(tmp_path, "show", "-markdown", "p.plan").stdout


def test_markdown_lists_output_changes_as_terraform_prints_them(tmp_path):
    md = _markdown(tmp_path, "update")
    assert "**Plan: 0 to add, 1 to change, 0 to destroy.**" in md
    block = md[md.index("#### Changes to outputs"):]
    want = outputs_section(RECORDED["update"]["stdout"]).split("\n")[1:]  # without its header
    body = normalise(block.split("```\n", 1)[1].split("\n```", 1)[0])
    assert body.split("\n") == want
    assert "s3cr3t" not in md and "0ther" not in md
    assert "~ secret                  = (sensitive value)" in body


def test_only_output_changes_are_not_no_changes(tmp_path):
    md = _markdown(tmp_path, "only_outputs")
    assert "**No changes.**" not in md
    assert "**Only outputs change.**" in md
    assert '  ~ name                    = "web" -> "web-2"' in md
