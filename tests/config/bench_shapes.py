"""bench/parse.py's configuration shapes, for tests that parse them: the benchmark's text is the one the
parser's fast paths are tuned for."""

from __future__ import annotations

from tests.bench_scripts import load

bench_parse = load("parse")


def every_shape_once() -> str:
    """One text holding the benchmark's header and each of its resource shapes once."""
    return bench_parse.HEADER + "".join(s.format(i=i, j=i, k=i) for i, s in enumerate(bench_parse.SHAPES))
