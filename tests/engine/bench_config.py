"""bench/engine.py loaded as a module, for tests that plan its configuration (pools of 40 load balancers
sharing 40 servers): the benchmark's shape is the one the engine's large-plan paths are tuned for."""

from __future__ import annotations

from tests.bench_scripts import load

bench_engine = load("engine")
