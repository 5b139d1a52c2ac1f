"""Property: whatever byte a kill cuts the journal at, the next run's state is exactly the
checkpointed state plus every completion that reached the disk, and the cut call is pending."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from planner.addresses import ResourceAddress
from planner.state.backend import LocalBackend
from planner.state.journal import Journal, client_token
from planner.state.model import ResourceState
from planner.state.session import open_state

ADDRS = [ResourceAddress("alicloud_slb_server_group", "g", i) for i in range(4)]

op_strategy = st.tuples(
    st.integers(0, len(ADDRS) - 1),  # which resource
    st.sampled_from(["put", "delete", "checkpoint"]),
    st.integers(0, 99),  # the value an update writes
)


@given(ops=st.lists(op_strategy, min_size=1, max_size=25), cut_fraction=st.floats(0.0, 1.0))
def test_recovery_after_a_cut_at_any_byte(ops: list[tuple[int, str, int]], cut_fraction: float) -> None:
    with tempfile.TemporaryDirectory() as td:
        be = LocalBackend(Path(td) / "clbplan.tfstate")
        model: dict[ResourceAddress, int] = {}  # what the cloud holds after each completed call
        checkpointed: dict[ResourceAddress, int] = {}
        # (end offset of the intent line, end offset of the completion line, token, addr, value or None)
        calls: list[tuple[int, int, str, ResourceAddress, int | None]] = []
        with open_state(be, "apply") as s:
            lineage = s.state.lineage
            for n, (i, kind, value) in enumerate(ops):
                a = ADDRS[i]
                if kind == "checkpoint":
                    s.checkpoint()
                    checkpointed = dict(model)
                    calls.clear()  # everything before is in the state file now
                    continue
                tok = client_token(lineage, a, kind, str(n))
                s.journal.intent(tok, a, kind, {"value": value})
                end_intent = s.journal.path.stat().st_size
                if kind == "put":
                    s.journal.complete(tok, a, ResourceState(a, f"rsp-{i}", {"value": value}))
                    model[a] = value
                else:
                    s.journal.complete(tok, a, None, deleted=True)
                    model.pop(a, None)
                calls.append((end_intent, s.journal.path.stat().st_size, tok, a,
                              value if kind == "put" else None))
            jpath = s.journal.path
        # the kill: only the first `cut` bytes of the journal reached the disk
        size = jpath.stat().st_size if jpath.exists() else 0
        cut = int(size * cut_fraction)
        if jpath.exists():
            with open(jpath, "r+b") as f:
                f.truncate(cut)
        expected = dict(checkpointed)
        expected_pending: list[str] = []
        for end_intent, end_complete, tok, a, value in calls:
            if end_complete <= cut:
                if value is None:
                    expected.pop(a, None)
                else:
                    expected[a] = value
            elif end_intent <= cut:
                expected_pending.append(tok)
        with open_state(be, "apply") as s2:
            got = {a: rs.attributes["value"] for a, rs in s2.state.resources.items()}
            assert got == expected
            assert [r.token for r in s2.pending] == expected_pending
            s2.checkpoint()
        assert {a: rs.attributes["value"] for a, rs in be.read().resources.items()} == expected
        assert [r.token for r in Journal(jpath).pending()] == expected_pending  # pending survive checkpoints
