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
import shutil
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.results import write_section  # noqa: E402

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


# --- report ------------------------------------------------------------------------------------

def run_one_kill(seed: int) -> dict:
    from tests.convergence.kills import run_one_kill as run

    return run(seed)


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
        write_section(args.results, SECTION, text)
    return 0 if all(r["ok"] for r in trans + kills) else 1


if __name__ == "__main__":
    sys.exit(main())
