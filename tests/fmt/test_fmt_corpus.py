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


def test_corpus_is_large_and_covers_the_repository():
    assert len(FILES) >= 60
    assert any(f.startswith("examples/") for f in FILES)
    assert any(f.startswith("tests/scenarios/") for f in FILES)
    assert len([f for f in FILES if f.startswith("tests/fmt/corpus/")]) >= 40
    # every file has a recorded answer (re-record with `python -m tests.fmt.record`)
    assert sorted(set(FILES) - set(RECORDED)) == []


@pytest.mark.parametrize("rel", FILES)
def test_matches_recorded_terraform_fmt(rel):
    data = (ROOT / rel).read_bytes()
    want = RECORDED[rel]
    assert hashlib.sha256(data).hexdigest() == want["sha256"], (
        f"{rel} changed since terraform fmt's answer was recorded: run `python -m tests.fmt.record`")
    text = data.decode("utf-8")
    problem = syntax_error(text)
    if want["exit"] == 2:
        assert problem is not None, f"terraform fmt refused {rel} as a syntax error; clbplan formatted it"
        return
    assert problem is None, f"{rel}: clbplan refused a file terraform formats: {problem}"
    assert format_text(text) == want["output"]


@pytest.mark.skipif(shutil.which("terraform") is None, reason="the terraform binary is not on this machine")
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
