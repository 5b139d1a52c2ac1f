"""The crash-safety journal: durability, torn tails, pending intents after a kill, replay, checkpoint."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from planner.addresses import ResourceAddress
from planner.state.backend import LocalBackend
from planner.state.journal import Journal, client_token, journal_path, params_digest
from planner.state.model import State

from .conftest import rstate

LB = ResourceAddress.parse("alicloud_slb_load_balancer.web")
LSN = ResourceAddress.parse("alicloud_slb_listener.http[0]")
GRP = ResourceAddress.parse("alicloud_slb_server_group.g")


@pytest.fixture
def jpath(tmp_path: Path) -> Path:
    return journal_path(tmp_path / "clbplan.tfstate", "lin-1")


def test_journal_lives_next_to_the_state_one_file_per_lineage(tmp_path: Path) -> None:
    st = tmp_path / "clbplan.tfstate"
    assert journal_path(st, "abc") == tmp_path / ".clbplan" / "journal" / "abc.jsonl"
    assert LocalBackend(st).journal("abc").path == journal_path(st, "abc")
    assert Journal.for_state(st, "abc").path != Journal.for_state(st, "def").path


def test_client_token_is_deterministic_ascii_and_fits_the_api() -> None:
    t = client_token("lin", LB, "CreateLoadBalancer")
    assert t == client_token("lin", LB, "CreateLoadBalancer")
    assert t.isascii() and len(t) <= 64 and t.replace("-", "").isalnum()
    others = {client_token("lin2", LB, "CreateLoadBalancer"), client_token("lin", GRP, "CreateLoadBalancer"),
              client_token("lin", LB, "DeleteLoadBalancer"), client_token("lin", LB, "CreateLoadBalancer", "2")}
    assert t not in others and len(others) == 4
    assert params_digest({"a": 1, "b": [1, 2]}) == params_digest({"b": [1, 2], "a": 1})
    assert params_digest({"a": 1}) != params_digest({"a": 2})


def test_records_are_on_disk_before_the_call_returns(jpath: Path) -> None:
    j = Journal(jpath)
    tok = client_token("lin-1", LB, "CreateLoadBalancer")
    j.intent(tok, LB, "CreateLoadBalancer", {"params": {"LoadBalancerName": "web"}})
    lines = jpath.read_text().splitlines()  # read through a separate handle: no buffering in between
    assert len(lines) == 1 and json.loads(lines[0])["kind"] == "intent"
    assert json.loads(lines[0])["detail"]["params"]["LoadBalancerName"] == "web"
    j.complete(tok, LB, rstate(str(LB), "lb-1", {"load_balancer_name": "web"}))
    assert [json.loads(x)["kind"] for x in jpath.read_text().splitlines()] == ["intent", "complete"]
    fresh = Journal(jpath)
    assert [r.kind for r in fresh.records()] == ["intent", "complete"]
    assert fresh.pending() == [] and fresh.completions()[0].result.id == "lb-1"  # type: ignore[union-attr]


def test_values_json_holds_oddly_read_back_as_they_were_written(jpath: Path) -> None:
    """Records are encoded by orjson where it writes what json would (issue 17: a sixth of the walk's
    worker threads); an integer beyond 64 bits, a NaN, text beyond ASCII and a set still come back whole."""
    j = Journal(jpath)
    tok = client_token("lin-1", LB, "CreateLoadBalancer")
    detail = {"big": 2**70, "ratio": float("nan"), "name": "负载均衡 é\u2028", "ids": {"b", "a"}, "tiny": 1e-7}
    j.intent(tok, LB, "CreateLoadBalancer", detail)
    got = Journal(jpath).pending()[0].detail
    assert got["big"] == 2**70 and got["ratio"] != got["ratio"]  # NaN, not null
    assert got["name"] == "负载均衡 é\u2028" and got["ids"] == ["a", "b"] and got["tiny"] == 1e-7
    assert "负载均衡" in jpath.read_text(encoding="utf-8")  # written as text, not \\u escapes


def test_pending_lists_intents_without_completion(jpath: Path) -> None:
    j = Journal(jpath)
    t1, t2, t3 = (client_token("lin-1", a, op) for a, op in
                  ((LB, "CreateLoadBalancer"), (GRP, "CreateVServerGroup"), (LSN, "CreateLoadBalancerHTTPListener")))
    j.intent(t1, LB, "CreateLoadBalancer", {})
    j.complete(t1, LB, rstate(str(LB), "lb-1"))
    j.intent(t2, GRP, "CreateVServerGroup", {"n": 2})
    j.intent(t3, LSN, "CreateLoadBalancerHTTPListener", {"n": 3})
    pending = Journal(jpath).pending()
    assert [(r.token, r.address, r.operation, r.detail) for r in pending] == [
        (t2, GRP, "CreateVServerGroup", {"n": 2}), (t3, LSN, "CreateLoadBalancerHTTPListener", {"n": 3})]
    j.resolve(t2, "found in the cloud by ClientToken")
    assert [r.token for r in Journal(jpath).pending()] == [t3]
    with pytest.raises(KeyError):
        j.resolve("never-seen")


def test_torn_last_line_is_ignored_and_the_next_record_is_clean(jpath: Path) -> None:
    j = Journal(jpath)
    tok = client_token("lin-1", LB, "CreateLoadBalancer")
    j.intent(tok, LB, "CreateLoadBalancer", {})
    j.close()
    with open(jpath, "ab") as f:  # a kill in the middle of writing the completion
        f.write(b'{"seq":2,"kind":"complete","token":"' + tok.encode() + b'","address":"alicl')
    j2 = Journal(jpath)
    assert j2.skipped_lines == 1
    assert [r.token for r in j2.pending()] == [tok]  # the torn completion never happened
    j2.complete(tok, LB, rstate(str(LB), "lb-1"))
    lines = jpath.read_bytes().split(b"\n")
    assert lines[-1] == b"" and all(json.loads(x) for x in lines[:-1])  # every line parses
    j3 = Journal(jpath)
    assert j3.skipped_lines == 0 and j3.pending() == [] and len(j3.completions()) == 1


def test_complete_json_line_missing_only_its_newline_is_treated_as_torn(jpath: Path) -> None:
    j = Journal(jpath)
    j.intent("t1", LB, "CreateLoadBalancer", {})
    j.close()
    rec = {"seq": 2, "kind": "complete", "token": "t1", "address": str(LB), "result": None, "deleted": True}
    with open(jpath, "ab") as f:
        f.write(json.dumps(rec).encode())
    j2 = Journal(jpath)
    assert [r.token for r in j2.pending()] == ["t1"]
    j2.intent("t2", GRP, "CreateVServerGroup", {})
    assert [r.token for r in Journal(jpath).pending()] == ["t1", "t2"]  # memory and file agree


_KILLED_APPLY = """
import os, signal, sys
from planner.addresses import ResourceAddress as A
from planner.state.journal import Journal, client_token
from planner.state.model import ResourceState
j = Journal(sys.argv[1])
for i in range(5):
    a = A("alicloud_slb_load_balancer", "lb", i)
    tok = client_token("lin-1", a, "CreateLoadBalancer")
    j.intent(tok, a, "CreateLoadBalancer", {"i": i})
    if i == 3:
        os.kill(os.getpid(), signal.SIGKILL)  # killed while the API call is in flight
    j.complete(tok, a, ResourceState(a, f"lb-{i}", {"i": i}))
"""


def test_pending_intents_survive_a_killed_apply(jpath: Path) -> None:
    proc = subprocess.run([sys.executable, "-c", _KILLED_APPLY, str(jpath)], timeout=30)
    assert proc.returncode == -signal.SIGKILL
    j = Journal(jpath)
    pending = j.pending()
    assert len(pending) == 1
    assert pending[0].address == ResourceAddress("alicloud_slb_load_balancer", "lb", 3)
    assert pending[0].token == client_token("lin-1", pending[0].address, "CreateLoadBalancer")
    assert pending[0].detail == {"i": 3}
    st = j.replay_into(State(lineage="lin-1"))
    assert sorted(rs.id for rs in st.resources.values()) == ["lb-0", "lb-1", "lb-2"]


def test_replay_into_applies_creates_updates_and_deletes_in_order(jpath: Path) -> None:
    st = State(lineage="lin-1")
    st.resources[GRP] = rstate(str(GRP), "rsp-old", {"name": "old"})
    j = Journal(jpath)
    j.intent("a", LB, "CreateLoadBalancer", {})
    j.complete("a", LB, rstate(str(LB), "lb-1", {"load_balancer_name": "v1"}))
    j.intent("b", LB, "SetLoadBalancerName", {})
    j.complete("b", LB, rstate(str(LB), "lb-1", {"load_balancer_name": "v2"}))
    j.intent("c", GRP, "DeleteVServerGroup", {})
    j.complete("c", GRP, None, deleted=True)
    j.intent("d", LSN, "CreateLoadBalancerHTTPListener", {})
    j.complete("d", LSN, None)  # finished without changing anything to record (a clean API error)
    out = j.replay_into(st)
    assert out is st
    assert set(st.resources) == {LB}
    assert st.resources[LB].attributes == {"load_balancer_name": "v2"}
    again = Journal(jpath).replay_into(st)  # replaying twice is harmless
    assert set(again.resources) == {LB} and again.resources[LB].attributes["load_balancer_name"] == "v2"


def test_completion_must_match_its_address(jpath: Path) -> None:
    j = Journal(jpath)
    with pytest.raises(ValueError):
        j.complete("x", LB, rstate(str(GRP), "rsp-1"))
    with pytest.raises(ValueError):
        j.complete("x", LB, rstate(str(LB), "lb-1"), deleted=True)


def test_checkpoint_drops_completions_keeps_pending_and_newer(jpath: Path, tmp_path: Path) -> None:
    be = LocalBackend(tmp_path / "clbplan.tfstate")
    st = be.read()
    j = be.journal(st.lineage)
    j.intent("a", LB, "CreateLoadBalancer", {})
    j.complete("a", LB, rstate(str(LB), "lb-1"))
    j.intent("b", GRP, "CreateVServerGroup", {})  # still in flight at the checkpoint
    upto = j.last_seq
    be.write(j.replay_into(st))
    j.intent("c", LSN, "CreateLoadBalancerHTTPListener", {})  # arrived after the state snapshot
    j.complete("c", LSN, rstate(str(LSN), "lb-1:http:80"))
    j.checkpoint(upto)
    kept = Journal(j.path)
    assert [(r.kind, r.token) for r in kept.records()] == [("intent", "b"), ("intent", "c"), ("complete", "c")]
    assert [r.token for r in kept.pending()] == ["b"]
    # the next checkpoint folds "c" in; the state read back + replay is complete
    st2 = kept.replay_into(be.read())
    assert set(st2.resources) == {LB, LSN}
    j.complete("b", GRP, rstate(str(GRP), "rsp-1"))
    be.write(j.replay_into(st2))
    j.checkpoint()
    assert not j.path.exists()  # nothing left to carry
    assert set(be.read().resources) == {LB, LSN, GRP}
    j.intent("d", LB, "DeleteLoadBalancer", {})  # the journal keeps working after a checkpoint
    assert [r.token for r in Journal(j.path).pending()] == ["d"]


def test_concurrent_appends_from_threads_are_whole_lines(jpath: Path) -> None:
    j = Journal(jpath)

    def work(n: int) -> None:
        for i in range(50):
            a = ResourceAddress("alicloud_slb_server_group", f"g{n}", i)
            tok = client_token("lin-1", a, "CreateVServerGroup")
            j.intent(tok, a, "CreateVServerGroup", {"pad": "x" * 200})
            j.complete(tok, a, rstate(str(a), f"rsp-{n}-{i}"))

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    again = Journal(jpath)
    assert again.skipped_lines == 0 and len(again.records()) == 800
    assert sorted(r.seq for r in again.records()) == list(range(1, 801))
    assert again.pending() == [] and len(again.replay_into(State()).resources) == 400


def test_completed_records_are_not_held_in_memory_only_pending_intents(jpath: Path) -> None:
    """An apply of 200,000 operations kept every record (each completion a whole resource state) in
    memory until the end: +455 MB at 10,000 load balancers. Only intents still waiting for their
    completion stay in memory now; replay, completions and checkpoint read the rest back from disk."""
    import tracemalloc

    j = Journal(jpath)
    big = {f"attr{i}": "x" * 40 for i in range(40)}  # a resource state of a few KB, like a listener's
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for i in range(2000):
            a = ResourceAddress("alicloud_slb_listener", "l", i)
            j.intent(f"t{i}", a, "CreateLoadBalancerTCPListener", {"planned": big})
            j.complete(f"t{i}", a, rstate(str(a), f"lb-1:tcp:{i}", big))
        j.intent("open", LB, "CreateLoadBalancer", {})
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert held < 2_000_000, f"the journal holds {held} bytes after 2,000 completed operations"
    # and nothing is lost: every completion replays, the open intent is pending, a checkpoint keeps it
    assert len(j.replay_into(State()).resources) == 2000
    assert [r.token for r in j.pending()] == ["open"]
    j.checkpoint()
    assert [r.token for r in Journal(jpath).records()] == ["open"]
