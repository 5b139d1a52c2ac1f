"""bench/parse.py's configuration shapes, for tests that parse them: the benchmark's text is the one the
parser's fast paths are tuned for."""

from __future__ import annotations

import importlib.util
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def _load():
    spec = importlib.util.spec_from_file_location("bench_parse", REPO / "bench" / "parse.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


bench_parse = _load()


def every_shape_once() -> str:
    """One text holding the benchmark's header and each of its resource shapes once."""
    return bench_parse.HEADER + "".join(s.format(i=i, j=i, k=i) for i, s in enumerate(bench_parse.SHAPES))
