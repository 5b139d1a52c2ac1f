"""A real kill (SIGKILL) in the middle of an apply, then recovery on the next run: nothing the
cloud made is forgotten, and finishing the plan creates nothing twice."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections import Counter
from pathlib import Path

import pytest
from test_executor_emulator import LB, PlanBuilder, objects, provider_for

from planner.apply import Executor, recover
from planner.emulator import Emulator
from planner.state.journal import Journal
from planner.state.model import State

HERE = Path(__file__).parent
LINEAGE = "kill-test-lineage"

CHILD = textwrap.dedent("""
    import os, signal, sys
    sys.path.insert(0, {here!r})
    from test_executor_emulator import PlanBuilder, provider_for
    from planner.apply import Executor
    from planner.emulator import Emulator
    from planner.state.journal import Journal
    from planner.state.model import State

    emu = Emulator({db!r})
    prov = provider_for(emu)
    real = emu.call
    writes = [0]

    def call(product, action, params):
        out = real(product, action, params)  # committed in SQLite
        if not action.startswith("Describe"):
            writes[0] += 1
            if writes[0] == {kill_after}:
                os.kill(os.getpid(), signal.SIGKILL)  # the response never reaches the executor
        return out

    emu.call = call
    pb = PlanBuilder()
    for n in range(3):
        pb.lb_stack(n)
    Executor(prov, parallelism=4, journal=Journal({journal!r}), lineage={lineage!r},
             planned_values=pb.planned_values).run(pb.ops, pb.edges, State(lineage={lineage!r}))
    print("finished without being killed")
""")


def _finish(emu: Emulator, state: State) -> None:
    """The next apply: the same plan minus what the state already holds."""
    pb = PlanBuilder()
    for n in range(3):
        pb.lb_stack(n)
    todo = {op.id for op in pb.ops if op.address not in state.resources}
    ops = [op for op in pb.ops if op.id in todo]
    edges = [e for e in pb.edges if e.before in todo and e.after in todo]
    res = Executor(provider_for(emu), parallelism=4, planned_values=pb.planned_values).run(ops, edges, state)
    assert res.failures == [], res.failures


@pytest.mark.parametrize("kill_after", [3, 17, 30])
def test_sigkill_mid_apply_then_recover_forgets_nothing_and_duplicates_nothing(tmp_path, kill_after):
    db, journal_path = tmp_path / "cloud.sqlite", tmp_path / "journal.jsonl"
    script = CHILD.format(here=str(HERE), db=str(db), journal=str(journal_path), kill_after=kill_after, lineage=LINEAGE)
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120,
                          cwd=str(HERE.parent.parent), env=dict(os.environ))
    assert proc.returncode == -9, proc.stdout + proc.stderr

    emu = Emulator(db)
    in_cloud = objects(emu)
    assert 0 < sum(in_cloud.values())
    journal = Journal(journal_path)
    assert journal.pending(), "the killed call must have left an open intent"
    state = recover(journal, provider_for(emu), State(lineage=LINEAGE))
    assert journal.pending() == []
    # nothing the cloud made is forgotten: every object in the cloud is in the recovered state
    kinds = {"alicloud_slb_load_balancer": "lb", "alicloud_slb_server_group": "vsg",
             "alicloud_slb_listener": "listener", "alicloud_slb_rule": "rule"}
    assert Counter(kinds[a.type] for a in state.resources) == objects(emu)
    lb_ids = {r.id for a, r in state.resources.items() if a.type == LB}
    assert lb_ids <= {row[2] for row in emu.dump()["tables"]["objects"] if row[1] == "lb"}

    _finish(emu, state)
    clean = Emulator()
    pb = PlanBuilder()
    for n in range(3):
        pb.lb_stack(n)
    Executor(provider_for(clean), planned_values=pb.planned_values).run(pb.ops, pb.edges, State())
    assert objects(emu) == objects(clean)  # nothing created twice
    emu.close()
