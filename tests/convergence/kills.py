"""SIGKILL a real ``clbplan apply`` at a random moment, apply again, and check nothing was lost.

Shared by the quick CI test (a few kills) and bench/campaign.py (at least fifty). The child is the
real CLI in a fresh process; its on-disk emulator answers each call a few milliseconds late so a
kill lands between two calls as often as inside one.
"""

from __future__ import annotations

import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from tests.support.progress import finished

ROOT = Path(__file__).resolve().parent.parent.parent
KILL_LATENCY = 0.02  # seconds per emulator call in the killed child: operations run in parallel (latency is
# slept outside the emulator lock), so the apply must last longer than the 150 ms random delay below


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
    from planner.engine.pipeline import make_plan
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
                                 stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, cwd=str(ROOT))
        done = [0]
        killed = threading.Event()

        def kill() -> None:
            if child.poll() is None:
                child.send_signal(signal.SIGKILL)
                killed.set()

        timer = None
        assert child.stdout is not None
        for line in child.stdout:
            if finished(line):  # Terraform's progress: "<addr>: Creation complete after 0s [id=...]"
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


