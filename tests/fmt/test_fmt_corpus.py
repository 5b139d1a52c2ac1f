"""clbplan fmt agrees with terraform fmt byte for byte on the corpus (recorded, and live where installed)."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest

from planner.config.hclfmt import format_text, syntax_error
from tests.fmt.corpus_files import EXPECTED, ROOT, corpus_files

RECORDED = json.loads(EXPECTED.read_text())["files"]
FILES = corpus_files()
HAVE_TERRAFORM = shutil.which("terraform") is not None


def test_corpus_is_large_and_covers_the_repository():
    recorded = [f for f in FILES if f in RECORDED]
    assert len(recorded) >= 60
    assert any(f.startswith("examples/") for f in recorded)
    assert any(f.startswith("tests/scenarios/") for f in recorded)
    assert len([f for f in recorded if f.startswith("tests/fmt/corpus/")]) >= 40
    # our own corpus files always have an answer (re-record with `python -m tests.fmt.record`)
    assert [f for f in FILES if f.startswith("tests/fmt/corpus/") and f not in RECORDED] == []


@pytest.mark.parametrize("rel", FILES)
def test_matches_recorded_terraform_fmt(rel):
    data = (ROOT / rel).read_bytes()
    want = RECORDED.get(rel)
    if want is None or hashlib.sha256(data).hexdigest() != want["sha256"]:
        # a file added or edited since the recording: ask the binary, or say how to record it
        if not HAVE_TERRAFORM:
            pytest.skip(f"{rel} is newer than tests/fmt/expected.json; run `python -m tests.fmt.record`")
        from tests.fmt.record import terraform_fmt

        rc, result = terraform_fmt(data, Path(rel).name)
        want = {"exit": rc, "output": result.decode("utf-8") if rc == 0 else None}
    text = data.decode("utf-8")
    problem = syntax_error(text)
    if want["exit"] == 2:
        assert problem is not None, f"terraform fmt refused {rel} as a syntax error; clbplan formatted it"
        return
    assert problem is None, f"{rel}: clbplan refused a file terraform formats: {problem}"
    assert format_text(text) == want["output"]


@pytest.mark.skipif(not HAVE_TERRAFORM, reason="the terraform binary is not on this machine")
@pytest.mark.parametrize("rel", [f for f in FILES if f.startswith("tests/fmt/corpus/")])
def test_matches_live_terraform_fmt(rel):
    from tests.fmt.record import terraform_fmt

    data = (ROOT / rel).read_bytes()
    rc, result = terraform_fmt(data, Path(rel).name)
    text = data.decode("utf-8")
    if rc != 0:
        assert syntax_error(text) is not None
    else:
        assert format_text(text) == result.decode("utf-8")
