"""open_state: a killed apply's progress and in-flight calls are found by the next run."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

from planner.addresses import ResourceAddress
from planner.state.backend import LocalBackend
from planner.state.journal import client_token
from planner.state.session import open_state

from .conftest import rstate

_KILLED_FIRST_APPLY = """
import os, signal, sys
from pathlib import Path
from planner.addresses import ResourceAddress as A
from planner.state.backend import LocalBackend
from planner.state.journal import client_token
from planner.state.model import ResourceState
from planner.state.session import open_state
with open_state(LocalBackend(Path(sys.argv[1])), "apply") as s:
    for i in range(3):
        a = A("alicloud_slb_load_balancer", "lb", i)
        tok = client_token(s.state.lineage, a, "CreateLoadBalancer")
        s.journal.intent(tok, a, "CreateLoadBalancer", {"i": i})
        if i == 2:
            os.kill(os.getpid(), signal.SIGKILL)
        s.journal.complete(tok, a, ResourceState(a, f"lb-{i}", {"i": i}))
"""


def test_first_apply_killed_before_any_checkpoint_is_recovered(state_path: Path) -> None:
    proc = subprocess.run([sys.executable, "-c", _KILLED_FIRST_APPLY, str(state_path)], timeout=30)
    assert proc.returncode == -signal.SIGKILL
    be = LocalBackend(state_path)
    assert state_path.exists() and be.read().resources == {}  # the lineage was made durable up front
    with open_state(be, "apply") as s:  # the stale lock of the killed run is taken over
        assert sorted(rs.id for rs in s.state.resources.values()) == ["lb-0", "lb-1"]
        assert len(s.recovered) == 2
        (p,) = s.pending
        a2 = ResourceAddress("alicloud_slb_load_balancer", "lb", 2)
        assert p.address == a2 and p.token == client_token(s.state.lineage, a2, "CreateLoadBalancer")
        # reconcile: re-issuing with the same token returned the object the cloud already had
        s.journal.complete(p.token, a2, rstate(str(a2), "lb-2"))
        s.checkpoint()
    st = be.read()
    assert sorted(rs.id for rs in st.resources.values()) == ["lb-0", "lb-1", "lb-2"]
    assert not be.journal(st.lineage).path.exists()
    with open_state(be, "plan", mutating=False) as s:
        assert s.recovered == [] and s.pending == []


def test_read_only_session_creates_no_files(tmp_path: Path) -> None:
    be = LocalBackend(tmp_path / "clbplan.tfstate")
    with open_state(be, "plan", lock=False, mutating=False) as s:
        assert s.state.resources == {} and s.lock is None
    assert list(tmp_path.iterdir()) == []


def test_checkpoint_keeps_caller_edits_and_later_completions(state_path: Path) -> None:
    be = LocalBackend(state_path)
    with open_state(be, "apply") as s:
        lb = rstate("alicloud_slb_load_balancer.web", "lb-1")
        s.journal.intent("t1", lb.address, "CreateLoadBalancer", {})
        s.journal.complete("t1", lb.address, lb)
        s.checkpoint()
        assert s.state.serial == 2 and lb.address in be.read().resources
        del s.state.resources[lb.address]  # e.g. the executor learned it is gone
        g = rstate("alicloud_slb_server_group.g", "rsp-1")
        s.journal.intent("t2", g.address, "CreateVServerGroup", {})
        s.journal.complete("t2", g.address, g)
        s.checkpoint()
        assert s.lock is not None and be.read_lock_info().id == s.lock.id  # type: ignore[union-attr]
    assert set(be.read().resources) == {g.address}
    assert not be.lock_info_path.exists()
