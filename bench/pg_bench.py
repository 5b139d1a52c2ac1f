"""The pg backend against the local one at N load balancers (issue 15: goal within 1.2x).

Uses bench/engine.py's configuration generator (N load balancers, 4 listeners and 2 VServer groups
each, 40 ECS instances per 40 LBs: about 10 resources per LB) and the real run (``engine.run`` with
the backend the configuration names, as ``clbplan`` builds it), in two working directories that
differ only by ``backend.tf``. Each run is a fresh process; the embedded emulator on disk is each
directory's cloud. Phases:

* ``apply``  : apply from an empty cloud and state: plan (with verification), the walk with every
  intent journaled before its call (a file fsync locally; a committed row in pg), checkpoints;
* ``plan0``  : plan with no change (lock, state read, refresh, diff);
* ``read``   : ``backend.read()`` of the N-LB state, median of 5, in one process;
* ``checkpoint``: one checkpoint of that state after a change (state write + journal trim), the cost
  the apply walk pays per checkpoint, median of 5.

The PostgreSQL server is a throwaway one (tests/support/pgserver.py) on a loopback port, started
with durable settings (fsync and synchronous_commit on, as a team's server runs) unless ``--fast``.
The machine is shared: compare the ratios, and read the load average printed with them.

    python bench/pg_bench.py --n 1000 [--repeat 1] [--fast] [--results]

``--results`` rewrites the "## pg backend" section of bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

BACKENDS = ("local", "pg")


# --- one phase, in its own process -----------------------------------------------------------------

def _wrap(cls: Any, name: str, sink: dict[str, list[float]], key: str) -> None:
    """Time every call of ``cls.name`` into ``sink[key]``."""
    fn = getattr(cls, name)

    def wrapper(*a: Any, **kw: Any) -> Any:
        t0 = time.perf_counter()
        try:
            return fn(*a, **kw)
        finally:
            sink.setdefault(key, []).append(time.perf_counter() - t0)

    setattr(cls, name, wrapper)


def run_phase(workdir: Path, phase: str) -> dict[str, Any]:
    from planner.engine.options import PlanOptions
    from planner.engine.run import QuietHooks, RunRequest, RunStatus, run
    from planner.state.journal import Journal
    from planner.state.pg import PgJournal
    from planner.state.session import StateSession
    from planner.state.workspaces import open_backend

    sink: dict[str, list[float]] = {}
    _wrap(StateSession, "checkpoint", sink, "checkpoint")
    _wrap(StateSession, "save", sink, "checkpoint")
    _wrap(Journal, "_append", sink, "journal append")
    _wrap(PgJournal, "_append", sink, "journal append")

    t0 = time.perf_counter()
    backend = open_backend(workdir, state_path=None, lock_timeout="0s", create_dirs=True)
    out: dict[str, Any] = {"phase": phase, "backend": type(backend).__name__}
    if phase in ("apply", "plan0"):
        request = RunRequest(workdir, backend, PlanOptions([], [], []), apply=phase == "apply")
        outcome = run(request, QuietHooks())
        if phase == "apply":
            assert outcome.status is RunStatus.APPLIED and not outcome.result.failures, outcome.status
        else:
            assert not outcome.planned.plan.operations, "plan0 found changes"
        out["total_s"] = time.perf_counter() - t0
        out["resources"] = len(outcome.state.resources)
    else:
        reads, cps = [], []
        for _ in range(5):
            t = time.perf_counter()
            state = backend.read()
            reads.append(time.perf_counter() - t)
        out["read_s"] = statistics.median(reads)
        out["resources"] = len(state.resources)
        with backend.lock("apply"):
            state = backend.read()
            journal = backend.journal(state.lineage)
            session = StateSession(backend, state, journal)
            for i in range(5):
                state.outputs["bench_checkpoint"] = {"value": i, "sensitive": False}  # a change: a real write
                t = time.perf_counter()
                session.checkpoint()
                cps.append(time.perf_counter() - t)
            state.outputs.pop("bench_checkpoint")
            session.checkpoint()
            journal.close()
        out["checkpoint_s"] = statistics.median(cps)
        out["state_bytes"] = len(json.dumps(json.loads(_raw(backend))))
    for key, values in sink.items():
        out[f"{key} count"] = len(values)
        out[f"{key} total_s"] = sum(values)
    if hasattr(backend, "close"):
        backend.close()
    return out


def _raw(backend: Any) -> str:
    return backend.raw() if hasattr(backend, "raw") else backend.path.read_text()


# --- driver ------------------------------------------------------------------------------------------

def _child(workdir: Path, phase: str, env: dict[str, str]) -> dict[str, Any]:
    proc = subprocess.run([sys.executable, __file__, "--phase", phase, "--workdir", str(workdir)], env=env,
                          capture_output=True, text=True, timeout=3600)
    if proc.returncode != 0:
        raise SystemExit(f"{phase} in {workdir} failed:\n{proc.stderr[-4000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def bench(n: int, repeat: int, fast: bool) -> dict[str, Any]:
    from bench.engine import config_tf
    from tests.support.pgserver import PgServer

    why = PgServer.unavailable()
    if why:
        raise SystemExit(f"cannot run: {why}")
    server = PgServer(fast=fast).start()
    root = Path(tempfile.mkdtemp(prefix=f"clbplan-pgbench-{n}-"))
    results: dict[str, Any] = {"n": n, "fast": fast, "runs": {b: [] for b in BACKENDS},
                               "load_before": os.getloadavg()}
    try:
        for i in range(repeat):
            url = server.url(server.create_database(prefix="bench"))
            for b in BACKENDS:
                work = root / f"{b}{i}"
                work.mkdir()
                (work / "main.tf").write_text(config_tf(n))
                if b == "pg":
                    (work / "backend.tf").write_text('terraform {\n  backend "pg" {}\n}\n')
                env = {**os.environ, "PG_CONN_STR": url,
                       "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
                env.pop("TF_WORKSPACE", None)
                run = {}
                for phase in ("apply", "plan0", "state"):
                    run[phase] = _child(work, phase, env)
                    print(f"N={n} {b} {phase}: {json.dumps(run[phase])}", file=sys.stderr, flush=True)
                results["runs"][b].append(run)
                shutil.rmtree(work, ignore_errors=True)
    finally:
        results["load_after"] = os.getloadavg()
        server.destroy()
        shutil.rmtree(root, ignore_errors=True)
    return results


def summary(results: dict[str, Any]) -> list[tuple[str, float, float]]:
    """(measure, local seconds, pg seconds), medians over the repeats."""
    def med(b: str, phase: str, key: str) -> float:
        return statistics.median(r[phase][key] for r in results["runs"][b])

    def per(b: str, phase: str, key: str) -> float:
        return statistics.median(r[phase][f"{key} total_s"] / max(r[phase][f"{key} count"], 1)
                                 for r in results["runs"][b])

    rows = [("state read", med("local", "state", "read_s"), med("pg", "state", "read_s")),
            ("state write per checkpoint", med("local", "state", "checkpoint_s"), med("pg", "state", "checkpoint_s")),
            ("plan, no change", med("local", "plan0", "total_s"), med("pg", "plan0", "total_s")),
            ("apply from empty", med("local", "apply", "total_s"), med("pg", "apply", "total_s")),
            ("  of which checkpoints (total)", med("local", "apply", "checkpoint total_s"),
             med("pg", "apply", "checkpoint total_s")),
            ("  journal append, mean per record", per("local", "apply", "journal append"),
             per("pg", "apply", "journal append"))]
    return rows


def table(results: dict[str, Any]) -> str:
    def fmt(s: float) -> str:
        return f"{s * 1000:.1f} ms" if s < 1 else f"{s:.2f} s"

    lines = ["| measure | local | pg | pg / local |", "|---|---:|---:|---:|"]
    for name, loc, pg in summary(results):
        lines.append(f"| {name} | {fmt(loc)} | {fmt(pg)} | {pg / loc:.2f}x |" if loc else f"| {name} | - | - | - |")
    return "\n".join(lines)


SECTION = "## pg backend (bench/pg_bench.py, issue 15)"


def results_text(results: dict[str, Any], args: argparse.Namespace) -> str:
    r0 = results["runs"]["local"][0]
    cmd = f"python bench/pg_bench.py --n {args.n} --repeat {args.repeat}{' --fast' if args.fast else ''} --results"
    la, lb = results["load_before"], results["load_after"]
    return "\n".join([
        SECTION, "",
        f"`{cmd}` on {platform.machine()} {os.cpu_count()} CPUs, {time.strftime('%Y-%m-%d')}, Python "
        f"{platform.python_version()}; load average {la[0]:.1f} before, {lb[0]:.1f} after (a shared machine: read "
        f"the ratios, not the seconds). {args.n:,} load balancers ({r0['apply']['resources']:,} resources, state "
        f"{r0['state']['state_bytes'] / 1e6:.1f} MB), bench/engine.py's configuration; each phase a fresh process "
        f"running engine.run with the backend its directory names. PostgreSQL 15, a throwaway server on loopback "
        + ("with fsync off (--fast)." if args.fast else "with fsync and synchronous_commit on (durable, as a team's "
           "server runs)."), "",
        "- *state read*: `backend.read()`; *state write per checkpoint*: one `StateSession.checkpoint()` after a "
        "change (the whole state written, the journal trimmed); medians of 5.",
        "- *apply from empty*: the whole run (plan with verification, the walk with every intent made durable before "
        "its call: a file fsync locally, a committed row in pg; checkpoints). *plan, no change*: lock, read, refresh, "
        f"diff. Medians over {args.repeat} run(s).", "",
        table(results), "",
    ])


def write_results(text: str) -> None:
    path = REPO / "bench" / "RESULTS.md"
    doc = path.read_text()
    start = doc.find(SECTION)
    if start < 0:
        doc = doc.rstrip("\n") + "\n\n" + text
    else:
        end = doc.find("\n## ", start + len(SECTION))
        doc = doc[:start] + text + ("\n" + doc[end + 1:] if end >= 0 else "")
    path.write_text(doc)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=1000, help="load balancers")
    ap.add_argument("--repeat", type=int, default=1, help="runs per backend (medians are reported)")
    ap.add_argument("--fast", action="store_true", help="PostgreSQL with fsync off (not how a team runs it)")
    ap.add_argument("--results", action="store_true", help="rewrite the pg section of bench/RESULTS.md")
    ap.add_argument("--json", type=Path, help="also write the raw results here")
    ap.add_argument("--phase", help=argparse.SUPPRESS)
    ap.add_argument("--workdir", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.phase:
        print(json.dumps(run_phase(args.workdir, args.phase)))
        return
    results = bench(args.n, args.repeat, args.fast)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    text = results_text(results, args)
    print(text)
    if args.results:
        write_results(text)


if __name__ == "__main__":
    main()
