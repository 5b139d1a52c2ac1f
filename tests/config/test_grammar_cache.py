"""The parser's tables (python-hcl2's grammar with repeated unary operators) are built once per user and
reused; a file in their place that is not the user's own, or not tables at all, is never trusted."""

from __future__ import annotations

import os

import pytest

from planner.config import hclparse


@pytest.fixture
def cache_home(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    return tmp_path / "clbplan"


def _reads_double_negation(parser) -> bool:
    tree = parser.parse("x = !!a\n")
    return "unary_op" in str(tree)


def test_tables_are_built_once_then_read_back(cache_home):
    first = hclparse._grammar_parser()
    assert _reads_double_negation(first)
    saved = list(cache_home.glob("hcl-parser-*.lark"))
    assert len(saved) == 1
    assert saved[0].stat().st_mode & 0o077 == 0  # private, beside the parse cache's key
    stamp = saved[0].stat().st_mtime_ns
    again = hclparse._grammar_parser()
    assert _reads_double_negation(again)
    assert saved[0].stat().st_mtime_ns == stamp  # read, not written again


@pytest.mark.parametrize("mode,content", [(0o666, None), (0o600, b"not tables\n")])
def test_a_file_not_ours_or_not_tables_is_built_again(cache_home, mode, content):
    hclparse._grammar_parser()
    (path,) = cache_home.glob("hcl-parser-*.lark")
    if content is not None:
        path.write_bytes(content)
    os.chmod(path, mode)
    parser = hclparse._grammar_parser()  # neither trusted nor a traceback
    assert _reads_double_negation(parser)
