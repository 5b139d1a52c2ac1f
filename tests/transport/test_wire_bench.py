"""bench/wire.py --results: the "## Wire" section of a results file is rewritten with the machine, the exact
command and the in-process vs HTTP figures, and the other benchmarks' sections are left alone."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.engine.stack import REPO, cli_env

pytestmark = pytest.mark.wire


def test_wire_bench_rewrites_only_its_section(tmp_path: Path) -> None:
    results = tmp_path / "RESULTS.md"
    other = "## Convergence campaign\n\nkept byte for byte | 1 |\n"
    results.write_text(f"# Benchmark results\n\n## Wire\n\nstale figures from an older run\n\n{other}")
    proc = subprocess.run([sys.executable, str(REPO / "bench" / "wire.py"), "--lbs", "6", "--pipeline-lbs", "2",
                           "--results", str(results)], capture_output=True, text=True, timeout=120,
                          env=cli_env(), cwd=str(tmp_path))
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    text = results.read_text()
    assert "stale figures" not in text
    assert text.count("## Wire") == 1
    assert other in text
    wire = text[text.index("## Wire"):text.index("## Convergence campaign")]
    assert f"`python bench/wire.py --lbs 6 --pipeline-lbs 2 --parallelism 10 --results {results}`" in wire
    assert re.search(r"Machine: \d+ CPUs .*Python 3\.\d+", wire), wire
    targets = r"(in-process|HTTP \(served emulator, official SDK\))"
    executor = re.findall(rf"^\| {targets} \| [\d.]+ \| (\d+) \| \d+ \|", wire, re.M)
    assert [r[0] for r in executor] == ["in-process", "HTTP (served emulator, official SDK)"], wire
    # both targets made the same API calls for the same work: only the transport differs
    assert executor[0][1] == executor[1][1] and int(executor[0][1]) > 0
    pipeline = re.findall(rf"^\| {targets} \| [\d.]+ \| \d+ \(\+(\d+)\) \| [\d.]+ \| (\d+) \|", wire, re.M)
    assert [r[0] for r in pipeline] == ["in-process", "HTTP (served emulator, official SDK)"], wire
    assert pipeline[0][2] == pipeline[1][2]
    # over HTTP the plan's shadow cloud is rebuilt from the served emulator's dump
    assert (pipeline[0][1], int(pipeline[1][1]) >= 1) == ("0", True), wire
    assert re.search(r"HTTP / in-process: apply [\d.]+x, refresh [\d.]+x\.", wire), wire
    assert re.search(r"HTTP / in-process: apply [\d.]+x, refresh plan [\d.]+x\.", wire), wire
