"""bench/engine.py loaded as a module, for tests that plan its configuration (pools of 40 load balancers
sharing 40 servers): the benchmark's shape is the one the engine's large-plan paths are tuned for."""

from __future__ import annotations

import importlib.util
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def _load():
    spec = importlib.util.spec_from_file_location("bench_engine", REPO / "bench" / "engine.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


bench_engine = _load()
