"""Reading the embedded cloud keeps no copy of what it read. A plan's refresh reads every object of the
cloud once; at 10,000 load balancers the store kept the 90,000 documents it decoded (some hundreds of MB,
walked by every garbage collection), which made the no-change plan's refresh a third slower and its
peak RSS 360 MB higher. Writes keep what they decode, and what a read answers does not change."""

from __future__ import annotations

import gc
import json
import re
import sys
import tracemalloc
from pathlib import Path

from planner.emulator import Emulator
from planner.emulator import store as store_mod
from planner.emulator.store import Store
from tests.emulator.conftest import build_network

GROUPS = 200


def _cloud_with_groups(path: Path) -> list[str]:
    store = Store(path)
    store.begin(True)
    ids = []
    for g in range(GROUPS):
        gid = f"rsp-bp1test{g:08d}"
        servers = [{"ServerId": f"i-bp1server{g:04d}{s:04d}", "Port": 80, "Weight": 100, "Type": "ecs",
                    "ServerIp": f"10.0.{g % 250}.{s}"} for s in range(20)]
        store.put("vsg", gid, {"VServerGroupId": gid, "VServerGroupName": f"g{g}", "LoadBalancerId": "lb-x",
                               "BackendServers": servers, "CreateTime": "2026-12-06T00:00:00Z", "Tags": [],
                               "RegionId": "cn-hangzhou"}, region="cn-hangzhou", lb_id="lb-x")
        ids.append(gid)
    store.commit()
    store.close()
    return ids


def _read_all(emu: Emulator, ids: list[str]) -> list[dict]:
    out = []
    for gid in ids:
        r = emu.call("Slb", "DescribeVServerGroupAttribute", {"VServerGroupId": gid})
        r.pop("RequestId")
        out.append(r)
    return out


def test_reads_of_the_cloud_file_keep_nothing_they_decoded_and_answer_the_same(tmp_path: Path) -> None:
    ids = _cloud_with_groups(tmp_path / "emulator.sqlite")
    emu = Emulator(tmp_path / "emulator.sqlite")
    try:
        _read_all(emu, ids[:1])  # the code paths warmed up
        gc.collect()
        tracemalloc.start()
        before = tracemalloc.get_traced_memory()[0]
        first = json.dumps(_read_all(emu, ids))  # the answers, dropped
        gc.collect()
        kept = tracemalloc.get_traced_memory()[0] - before - sys.getsizeof(first)
        tracemalloc.stop()
        # 200 groups of 20 servers decoded and kept were about 2 MB
        assert kept < 200_000, f"{kept:,} bytes held after reading {GROUPS} groups"
        assert json.dumps(_read_all(emu, ids)) == first
        # a write in between is seen by the next read (the write keeps what it decodes, then commits)
        emu.call("Slb", "SetVServerGroupAttribute", {"VServerGroupId": ids[3], "VServerGroupName": "renamed"})
        after = _read_all(emu, ids)
        assert after[3]["VServerGroupName"] == "renamed"
        assert json.dumps(after[:3] + after[4:]) == json.dumps(json.loads(first)[:3] + json.loads(first)[4:])
    finally:
        emu.close()


def test_a_cloud_larger_than_its_document_cache_answers_and_changes_as_one_that_fits(
        tmp_path: Path, monkeypatch) -> None:
    """The store keeps at most CACHE_LIMIT decoded documents (an apply of 10,000 load balancers writes
    140,000). Past it the oldest are dropped and decoded again when asked for: on the cloud's file and in
    the in-memory copy the planner rehearses on, every answer and every change is the same as with
    all of them kept."""
    def run(emu: Emulator) -> list[dict]:
        cloud = build_network(emu)
        lbs = [cloud.lb(LoadBalancerName=f"lb{i}") for i in range(12)]
        groups = [cloud.vsg(lb, VServerGroupName=f"g{i}") for i, lb in enumerate(lbs)]
        for i, lb in enumerate(lbs):  # changes to documents written long before (dropped by now when small)
            cloud.slb("SetLoadBalancerName", LoadBalancerId=lb, LoadBalancerName=f"renamed{i}")
            cloud.slb("SetVServerGroupAttribute", VServerGroupId=groups[i], VServerGroupName=f"h{i}")
        shadow = emu.copy()
        try:
            for lb in lbs:  # the rehearsal's copy changes on its own
                shadow.call("Slb", "SetLoadBalancerName", {"LoadBalancerId": lb, "LoadBalancerName": "shadow"})
            answers = [shadow.call("Slb", "DescribeLoadBalancerAttribute", {"LoadBalancerId": lb}) for lb in lbs]
        finally:
            shadow.close()
        answers += [emu.call("Slb", "DescribeLoadBalancerAttribute", {"LoadBalancerId": lb}) for lb in lbs]
        answers += [emu.call("Slb", "DescribeVServerGroupAttribute", {"VServerGroupId": g}) for g in groups]
        for a in answers:
            a.pop("RequestId")
            a.pop("CreateTime", None)
            a.pop("CreateTimeStamp", None)
        return answers

    def cloud_at(name: str) -> Emulator:
        return Emulator(tmp_path / name / "emulator.sqlite")

    (tmp_path / "large").mkdir()
    (tmp_path / "small").mkdir()
    large = cloud_at("large")
    try:
        everything_kept = run(large)
    finally:
        large.close()
    monkeypatch.setattr(store_mod, "CACHE_LIMIT", 4)
    small = cloud_at("small")
    try:
        some_dropped = run(small)
        stored = small.store.conn.execute("SELECT count(*) FROM objects").fetchone()[0]
        assert len(small.store._cache) < stored // 2  # most documents were dropped and decoded again
    finally:
        small.close()
    assert [a.get("LoadBalancerName") for a in some_dropped[:12]] == ["shadow"] * 12
    assert [a.get("LoadBalancerName") for a in some_dropped[12:24]] == [f"renamed{i}" for i in range(12)]
    assert [a.get("VServerGroupName") for a in some_dropped[24:]] == [f"h{i}" for i in range(12)]
    assert _ids_numbered(some_dropped) == _ids_numbered(everything_kept)


def _ids_numbered(answers: list[dict]) -> str:
    """The answers with each generated id replaced by its order of first appearance (two clouds name
    their objects differently)."""
    seen: dict[str, str] = {}
    text = json.dumps(answers, sort_keys=True)
    return re.sub(r"\b(?:lb|rsp|vsw|vpc|sg|eni|i)-[a-z0-9]{8,}\b",
                  lambda m: seen.setdefault(m.group(0), f"<id{len(seen)}>"), text)


def test_the_documents_a_walk_keeps_using_stay_decoded(tmp_path: Path, monkeypatch) -> None:
    """Past CACHE_LIMIT the store drops what went unused longest. A walk of 10,000 load balancers reads
    the load balancer it works on and its pool's instances again and again while writing thousands of
    other objects: dropped by age of first use, they were decoded again and again (the cloud's CPU grew
    faster than the data)."""
    monkeypatch.setattr(store_mod, "CACHE_LIMIT", 8)
    store = Store(tmp_path / "cloud.sqlite")
    decoded: list[str] = []
    real = store_mod._loads

    def counting(text: str):
        decoded.append(text)
        return real(text)
    monkeypatch.setattr(store_mod, "_loads", counting)
    try:
        store.begin(True)
        store.put("lb", "lb-hot", {"LoadBalancerId": "lb-hot"}, region="r")
        store.commit()
        for i in range(40):  # each call writes a new object and reads the hot one
            store.begin(True)
            store.put("listener", f"l{i}", {"n": i}, region="r", lb_id="lb-hot")
            assert store.get("lb", "lb-hot") == {"LoadBalancerId": "lb-hot"}
            store.commit()
        assert decoded == []  # never dropped, never decoded again
        store.begin(False)
        assert store.get("listener", "l0") == {"n": 0}  # the old ones were dropped and still answer
        store.commit()
        assert len(decoded) == 1
    finally:
        store.conn.close()
