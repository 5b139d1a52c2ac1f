"""Convergence campaign: are clbplan's plans true, and does a killed apply lose anything?

Two parts, both driven by seeds so every failure replays (``--only-seed N``):

* **Transitions** (in-process, the same pipeline ``clbplan plan/apply`` use): for each seed, a
  random valid configuration A and B (tests/convergence/gen.py); apply A from empty, plan B, check
  the plan is verified and safe in any order its edges allow, apply it, check the operations
  executed equal those planned, the next plan is empty and the cloud holds exactly what the state
  says. Every ``--faults-every``-th transition runs with busy windows, 10% transient errors,
  throttling and lost responses.
* **Kills**: apply A, then run ``clbplan apply`` on B as a subprocess and SIGKILL it at a random
  moment (after a random number of completed operations, or after a random delay), run
  ``clbplan apply`` again (it recovers from the journal), and check: exit 0, empty re-plan, no
  orphan, no duplicate, nothing lost.

Usage:
    python bench/campaign.py                                  # long profile: 500 transitions, 50 kills
    python bench/campaign.py --transitions 40 --kills 5       # a quick look
    python bench/campaign.py --only-seed 123 --kills 0 -v     # replay one transition
    python bench/campaign.py ... --results bench/RESULTS.md   # (re)write the "Convergence campaign" section

Prints one line per failure and a summary; ``--json FILE`` writes every record.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

SECTION = "## Convergence campaign"
KILL_LATENCY = 0.004  # seconds per emulator call in the killed child, so kills land mid-apply


def _faults(seed: int) -> Any:
    from planner.emulator.faults import FaultConfig

    return FaultConfig(busy_window=0.002, transient_rate=0.1, throttle_rate=0.05, lost_response_rate=0.05,
                       seed=seed)


# --- transitions -------------------------------------------------------------------------------

def run_one_transition(seed: int, with_faults: bool, keep: bool = False) -> dict:
    """One seeded transition in a fresh directory; returns a JSON-able record."""
    from tests.convergence.gen import random_transition, render
    from tests.convergence.harness import TransitionFailure, run_transition

    a, b = random_transition(seed)
    work = Path(tempfile.mkdtemp(prefix=f"clbplan-campaign-{seed}-"))
    started = time.perf_counter()
    rec: dict[str, Any] = {"seed": seed, "faults": with_faults, "ok": False}
    try:
        figures = run_transition(work, render(a), render(b), faults=_faults(seed) if with_faults else None)
        rec.update(ok=True, **figures)
    except TransitionFailure as e:
        rec.update(step=e.step, error=str(e)[:4000])
    except Exception as e:  # a crash in the pipeline is a finding too, not a campaign abort
        rec.update(step="crash", error=f"{type(e).__name__}: {e}"[:4000])
    finally:
        rec["seconds"] = round(time.perf_counter() - started, 3)
        if rec["ok"] and not keep:
            shutil.rmtree(work, ignore_errors=True)
        else:
            rec["workdir"] = str(work)
    return rec


# --- kills -------------------------------------------------------------------------------------

CHILD = """
import sys
from planner.emulator import Emulator
from planner.emulator.faults import FaultConfig

_init = Emulator.__init__

def _slow_init(self, path=None, *, faults=None, **kw):
    # the on-disk cloud answers a little slowly, so a kill can land between two calls
    if path is not None and faults is None:
        faults = FaultConfig(latency={latency})
    _init(self, path, faults=faults, **kw)

Emulator.__init__ = _slow_init
from planner.cli.main import main
sys.argv = ["clbplan", "apply", "-auto-approve", sys.argv[1]]
main()
"""


def _clbplan(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    """Run the real CLI in a fresh process (as a user would), from this checkout."""
    code = "import sys; from planner.cli.main import main; sys.argv[0] = 'clbplan'; main()"
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=timeout,
                          cwd=str(ROOT))


def run_one_kill(seed: int) -> dict:
    """Apply A; SIGKILL ``clbplan apply`` of B at a random moment; apply again; check."""
    from planner.plan.pipeline import make_plan
    from tests.convergence.gen import random_transition, render, write_config
    from tests.convergence.harness import TransitionFailure, apply, check_converged, read_state

    rng = random.Random(seed * 7919 + 1)
    a, b = random_transition(seed)
    work = Path(tempfile.mkdtemp(prefix=f"clbplan-kill-{seed}-"))
    rec: dict[str, Any] = {"seed": seed, "ok": False}
    try:
        # a third of the runs kill the first apply (everything is a create: lost-create risk), the
        # rest kill the apply of B on top of A (re-points, replaces, deletes)
        rec["phase"] = "A" if rng.random() < 1 / 3 else "B"
        write_config(render(a), work)
        if rec["phase"] == "B":
            res = apply(work)
            if res.failures:
                raise TransitionFailure("apply-A", str(res.failures))
            write_config(render(b), work)
        total = len(make_plan(work, read_state(work)).plan.operations)
        rec["ops"] = total
        if total == 0:
            rec.update(ok=True, kill="no-ops")
            return rec
        # two kinds of random moment: right after the k-th completed operation (k uniform over the
        # plan), or a random delay (0-150 ms) after the first operation completed, which lands
        # anywhere: inside an API call, between the call and its journal record, in a state write
        by_progress = rng.random() < 0.6
        target = rng.randrange(0, total)
        delay = rng.uniform(0.0, 0.15)
        child = subprocess.Popen([sys.executable, "-c", CHILD.format(latency=KILL_LATENCY), str(work)],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, cwd=str(ROOT))
        done = [0]
        killed = threading.Event()

        def kill() -> None:
            if child.poll() is None:
                child.send_signal(signal.SIGKILL)
                killed.set()

        timer = None
        assert child.stderr is not None
        for line in child.stderr:
            if line.startswith("["):  # "[n/total  t] create ...: done in ..."
                done[0] += 1
                if by_progress and done[0] > target:
                    time.sleep(rng.uniform(0.0, 0.02))  # land inside the next operation, or between
                    kill()
                    break
                if not by_progress and timer is None:
                    timer = threading.Timer(delay, kill)
                    timer.start()
        child.wait(timeout=300)
        if timer is not None:
            timer.cancel()
        rec.update(mode="after-ops" if by_progress else "after-delay", progress=done[0],
                   killed=killed.is_set() and child.returncode == -signal.SIGKILL,
                   child_rc=child.returncode)
        rec["mid_apply"] = rec["killed"] and done[0] < total
        rec["journal_pending"] = _pending(work)
        again = _clbplan("apply", "-auto-approve", str(work))
        if again.returncode != 0:
            raise TransitionFailure("re-apply", (again.stdout + again.stderr)[-3000:])
        rec["recovered"] = "Recovering operations" in again.stderr
        check_converged(work, "after-kill")
        rec["ok"] = True
    except TransitionFailure as e:
        rec.update(step=e.step, error=str(e)[:4000])
    except Exception as e:
        rec.update(step="crash", error=f"{type(e).__name__}: {e}"[:4000])
    finally:
        if rec["ok"]:
            shutil.rmtree(work, ignore_errors=True)
        else:
            rec["workdir"] = str(work)
    return rec


def _pending(work: Path) -> int:
    """Journal intents without completion right after the kill (what recovery must settle)."""
    from planner.state.backend import LocalBackend

    backend = LocalBackend(work / "clbplan.tfstate")
    try:
        state = backend.read()
        return len(list(backend.journal(state.lineage).pending()))
    except Exception:
        return -1


# --- report ------------------------------------------------------------------------------------

def summarise(trans: list[dict], kills: list[dict], args: argparse.Namespace, seconds: float) -> str:
    ok = sum(r["ok"] for r in trans)
    fz = [r for r in trans if r["faults"]]
    killed = [r for r in kills if r.get("killed")]
    mid = [r for r in kills if r.get("mid_apply")]
    lines = [
        SECTION, "",
        f"Command: `python bench/campaign.py --transitions {args.transitions} --kills {args.kills} "
        f"--seed {args.seed} --faults-every {args.faults_every}` ({time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())},"
        f" {os.cpu_count()} CPUs, {seconds:.0f} s wall).",
        "",
        "| figure | value |",
        "|---|---|",
        f"| transitions tried | {len(trans)} |",
        f"| transitions converged | {ok} ({100 * ok / max(len(trans), 1):.1f}%) |",
        f"| of which with faults (busy, 10% transient, 5% throttle, 5% lost responses) | "
        f"{sum(r['ok'] for r in fz)}/{len(fz)} |",
        f"| planned operations per B plan (median / max) | {_median([r.get('ops_b', 0) for r in trans if r['ok']])} / "
        f"{max([r.get('ops_b', 0) for r in trans if r['ok']], default=0)} |",
        f"| kill runs | {len(kills)} |",
        f"| processes SIGKILLed | {len(killed)} (mid-apply: {len(mid)}; journal intents pending after kill: "
        f"{sum(1 for r in kills if r.get('journal_pending', 0) > 0)} runs) |",
        f"| kill runs recovered + converged (0 orphans, 0 duplicates, nothing lost, empty re-plan) | "
        f"{sum(r['ok'] for r in kills)}/{len(kills)} |",
        "",
    ]
    bad = [r for r in trans + kills if not r["ok"]]
    if bad:
        lines.append("Failures (seed: step):")
        lines.append("")
        for r in bad:
            first = (r.get("error") or "").splitlines()[0][:200] if r.get("error") else ""
            kind = "kill" if "killed" in r or "mode" in r else ("faults" if r.get("faults") else "transition")
            lines.append(f"- {kind} seed {r['seed']}: {r.get('step')}: {first}")
        lines.append("")
    return "\n".join(lines)


def _median(xs: list[int]) -> int:
    xs = sorted(xs)
    return xs[len(xs) // 2] if xs else 0


def write_section(path: Path, text: str) -> None:
    """Replace our section of RESULTS.md (or append it), leaving every other section alone."""
    old = path.read_text() if path.exists() else ""
    if SECTION in old:
        start = old.index(SECTION)
        nxt = old.find("\n## ", start + len(SECTION))
        new = old[:start] + text.rstrip() + "\n" + (old[nxt:] if nxt != -1 else "")
    else:
        new = (old.rstrip() + "\n\n" if old.strip() else "") + text.rstrip() + "\n"
    path.write_text(new)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--transitions", type=int, default=500)
    ap.add_argument("--kills", type=int, default=50)
    ap.add_argument("--seed", type=int, default=0, help="first seed (transitions use seed..seed+N-1)")
    ap.add_argument("--faults-every", type=int, default=4, help="every Nth transition runs with faults (0: none)")
    ap.add_argument("--workers", type=int, default=max(1, min(2, os.cpu_count() or 1)))
    ap.add_argument("--only-seed", type=int, default=None, help="replay one transition (kept on failure)")
    ap.add_argument("--json", type=Path, default=None, help="write every record here")
    ap.add_argument("--results", type=Path, default=None, help="write the summary section into this file")
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args(argv)

    started = time.perf_counter()
    if args.only_seed is not None:
        rec = run_one_transition(args.only_seed, args.faults_every > 0 and args.only_seed % args.faults_every == 0,
                                 keep=True)
        print(json.dumps(rec, indent=2))
        return 0 if rec["ok"] else 1

    seeds = list(range(args.seed, args.seed + args.transitions))
    faulty = [args.faults_every > 0 and s % args.faults_every == 0 for s in seeds]
    trans: list[dict] = []
    with ProcessPoolExecutor(max_workers=args.workers) as pool:
        for rec in pool.map(run_one_transition, seeds, faulty, chunksize=4):
            trans.append(rec)
            if not rec["ok"]:
                print(f"FAIL transition seed {rec['seed']} faults={rec['faults']}: {rec.get('step')}: "
                      f"{(rec.get('error') or '').splitlines()[0][:300]}", flush=True)
            elif args.verbose:
                print(f"ok transition seed {rec['seed']} ({rec['seconds']} s)", flush=True)
            if len(trans) % 50 == 0:
                print(f"... {len(trans)}/{len(seeds)} transitions, {sum(r['ok'] for r in trans)} converged",
                      flush=True)
    # keep going until --kills processes were really SIGKILLed (a transition whose plan is empty,
    # or an apply that finished first, does not count), with a bound on attempts
    kills: list[dict] = []
    next_seed = 100000 + args.seed
    with ThreadPoolExecutor(max_workers=args.workers) as pool:
        while sum(1 for r in kills if r.get("killed")) < args.kills and len(kills) < 3 * args.kills + 10:
            need = args.kills - sum(1 for r in kills if r.get("killed"))
            batch = list(range(next_seed, next_seed + max(need, args.workers)))
            next_seed += len(batch)
            for rec in pool.map(run_one_kill, batch):
                kills.append(rec)
                if not rec["ok"]:
                    print(f"FAIL kill seed {rec['seed']}: {rec.get('step')}: "
                          f"{(rec.get('error') or '').splitlines()[0][:300]}", flush=True)
                elif args.verbose:
                    print(f"ok kill seed {rec['seed']}: {rec.get('mode')} progress={rec.get('progress')}/"
                          f"{rec.get('ops')} killed={rec.get('killed')} pending={rec.get('journal_pending')} "
                          f"recovered={rec.get('recovered')}", flush=True)
    seconds = time.perf_counter() - started
    text = summarise(trans, kills, args, seconds)
    print(text)
    if args.json:
        args.json.write_text(json.dumps({"transitions": trans, "kills": kills}, indent=1))
    if args.results:
        write_section(args.results, text)
    return 0 if all(r["ok"] for r in trans + kills) else 1


if __name__ == "__main__":
    sys.exit(main())
