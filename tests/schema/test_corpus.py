"""Every bad input in the corpus yields its message, at the file and line where it was written."""

from __future__ import annotations

import pytest

from tests.schema.corpus import CASES, PRELUDE, expected_line


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_input_is_located(case: str, diagnose) -> None:
    snippet, fragment = CASES[case]
    diags = diagnose(snippet + PRELUDE)
    errors = [d for d in diags if d.severity == "error"]
    hits = [d for d in errors if fragment in d.render()]
    assert hits, f"{case}: expected an error containing {fragment!r}, got:\n" + "\n".join(
        d.render() for d in diags)
    d = hits[0]
    assert d.pos is not None and d.pos.filename.endswith("main.tf")
    assert d.pos.line == expected_line(snippet), d.render()
    assert d.hint, f"{case}: the diagnostic tells the user what to do"


def test_prelude_alone_is_valid(diagnose) -> None:
    """The corpus prelude itself has no errors, so each case's error comes from its snippet."""
    errors = [d for d in diagnose(PRELUDE) if d.severity == "error"]
    assert errors == [], "\n".join(d.render() for d in errors)


def test_corpus_is_large_enough() -> None:
    assert len(CASES) >= 20
