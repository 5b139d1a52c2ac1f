"""LocalBackend read/write: atomicity, permissions, backup, serial and lineage rules, bad files."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from planner.state import backend as backend_mod
from planner.state.backend import LocalBackend, StateError, StateWriteError, parse_duration
from planner.state.model import State

from .conftest import rstate


def test_missing_file_reads_as_new_empty_state_without_creating_it(state_path: Path) -> None:
    a, b = LocalBackend(state_path).read(), LocalBackend(state_path).read()
    assert a.resources == {} and a.serial == 0
    assert a.lineage and a.lineage != b.lineage  # a fresh lineage every time: nothing is stored yet
    assert not state_path.exists()


def test_write_round_trips_with_mode_0600(state_path: Path, sample_state: State) -> None:
    be = LocalBackend(state_path)
    be.write(sample_state)
    assert stat.S_IMODE(os.stat(state_path).st_mode) == 0o600
    back = be.read()
    assert back.lineage == sample_state.lineage
    assert back.serial == 1 == sample_state.serial
    assert back.resources == sample_state.resources


def test_mode_is_0600_even_with_a_permissive_umask(state_path: Path, sample_state: State) -> None:
    old = os.umask(0)
    try:
        LocalBackend(state_path).write(sample_state)
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(state_path).st_mode) == 0o600


def test_serial_moves_only_when_content_changes(state_path: Path, sample_state: State) -> None:
    be = LocalBackend(state_path)
    be.write(sample_state)
    mtime = os.stat(state_path).st_mtime_ns
    st = be.read()
    be.write(st)
    assert st.serial == 1 and be.read().serial == 1
    assert os.stat(state_path).st_mtime_ns == mtime  # not rewritten at all
    st.resources[rstate("alicloud_slb_server_group.g", "rsp-1").address].attributes["name"] = "g2"
    be.write(st)
    assert st.serial == 2 and be.read().serial == 2
    st.outputs["vip"] = {"value": "10.0.0.1", "sensitive": False}
    be.write(st)
    assert be.read().serial == 3


def test_stale_in_memory_serial_still_moves_past_the_stored_one(state_path: Path, sample_state: State) -> None:
    be = LocalBackend(state_path)
    be.write(sample_state)
    be.write(sample_state)  # unchanged
    newer = be.read()
    newer.outputs["x"] = {"value": 1, "sensitive": False}
    be.write(newer)  # serial 2
    sample_state.serial = 0
    sample_state.outputs["y"] = {"value": 2, "sensitive": False}
    be.write(sample_state)
    assert be.read().serial == 3


def test_attribute_key_order_is_not_a_change(state_path: Path) -> None:
    be = LocalBackend(state_path)
    st = State()
    r = rstate("alicloud_slb_load_balancer.web", "lb-1", {"a": 1, "b": {"x": 1, "y": 2}})
    st.resources[r.address] = r
    be.write(st)
    r.attributes = {"b": {"y": 2, "x": 1}, "a": 1}
    be.write(st)
    assert LocalBackend(state_path).read().serial == 1


def test_a_write_by_another_backend_is_noticed(state_path: Path, sample_state: State) -> None:
    a, b = LocalBackend(state_path), LocalBackend(state_path)
    a.write(sample_state)  # a caches what it wrote
    other = b.read()
    other.outputs["from_b"] = {"value": 1, "sensitive": False}
    b.write(other)  # serial 2, behind a's back
    a.write(sample_state)  # differs from disk now: must not be skipped as "unchanged"
    back = LocalBackend(state_path).read()
    assert back.serial == 3 and "from_b" not in back.outputs


def test_file_is_the_documented_json_shape(state_path: Path, sample_state: State) -> None:
    sample_state.outputs["vip"] = {"value": "10.0.0.1", "sensitive": False}
    LocalBackend(state_path).write(sample_state)
    doc = json.loads(state_path.read_text(encoding="utf-8"))
    # Terraform's format 4: its top-level fields in its order (clbplan_version is extra, ignored by Terraform)
    assert list(doc) == ["version", "terraform_version", "serial", "lineage", "outputs", "resources",
                         "check_results", "clbplan_version"]
    assert doc["version"] == 4 and doc["serial"] == 1 and doc["check_results"] is None
    assert doc["outputs"] == {"vip": {"value": "10.0.0.1", "type": "string"}}
    by_name = {(r["type"], r["name"]): r for r in doc["resources"]}
    assert [(r["type"], r["name"]) for r in doc["resources"]] == sorted(by_name)  # Terraform's order
    http = by_name[("alicloud_slb_listener", "http")]
    assert http["provider"] == 'provider["registry.terraform.io/aliyun/alicloud"]' and http["mode"] == "managed"
    assert [i["index_key"] for i in http["instances"]] == [0, 1]
    assert http["instances"][0]["attributes"] == {"frontend_port": 80, "protocol": "http", "id": "lb-1:http:80"}
    assert http["instances"][1]["dependencies"] == ["alicloud_slb_load_balancer.web", "alicloud_slb_server_group.g"]
    cert = by_name[("alicloud_slb_server_certificate", "cert")]["instances"][0]
    assert [{"type": "get_attr", "value": "private_key"}] in cert["sensitive_attributes"]


def test_backup_keeps_the_previous_state(state_path: Path, sample_state: State) -> None:
    be = LocalBackend(state_path)
    be.write(sample_state)
    assert not be.backup_path.exists()  # nothing to back up on the first write
    first = state_path.read_bytes()
    del sample_state.resources[rstate("alicloud_slb_server_group.g", "x").address]
    be.write(sample_state)
    assert be.backup_path.read_bytes() == first
    assert stat.S_IMODE(os.stat(be.backup_path).st_mode) == 0o600
    prev = be.read_backup()
    assert prev is not None and prev.serial == 1 and len(prev.resources) == 5
    assert len(be.read().resources) == 4


def test_writing_another_lineage_over_a_state_is_refused(state_path: Path, sample_state: State) -> None:
    be = LocalBackend(state_path)
    be.write(sample_state)
    with pytest.raises(StateError, match="lineage"):
        be.write(State())
    assert be.read().lineage == sample_state.lineage


def test_failed_rename_leaves_old_state_intact_and_no_temp(state_path: Path, sample_state: State,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    be = LocalBackend(state_path)
    be.write(sample_state)
    before = state_path.read_bytes()
    real_replace = os.replace

    def crash(src, dst):
        if Path(dst) == state_path:
            raise OSError(28, "No space left on device")
        return real_replace(src, dst)

    monkeypatch.setattr(backend_mod.os, "replace", crash)
    sample_state.outputs["x"] = {"value": 1, "sensitive": False}
    with pytest.raises(StateWriteError, match="No space left on device"):  # a located error, not a crash
        be.write(sample_state)
    assert state_path.read_bytes() == before
    assert not [p for p in state_path.parent.iterdir() if ".tmp-" in p.name]


_KILL_BEFORE_RENAME = """
import os, signal, sys
from pathlib import Path
from planner.state import backend as b
target = Path(sys.argv[1])
real = os.replace
def replace(src, dst):
    if Path(dst) == target:
        os.kill(os.getpid(), signal.SIGKILL)  # the temp file is written and fsync'd; rename never happens
    return real(src, dst)
b.os.replace = replace
be = b.LocalBackend(target)
st = be.read()
st.outputs["half"] = {"value": "written", "sensitive": False}
be.write(st)
"""


def test_process_killed_between_temp_write_and_rename_leaves_old_state(state_path: Path,
                                                                      sample_state: State) -> None:
    be = LocalBackend(state_path)
    be.write(sample_state)
    before = state_path.read_bytes()
    proc = subprocess.run([sys.executable, "-c", _KILL_BEFORE_RENAME, str(state_path)], timeout=30)
    assert proc.returncode == -signal.SIGKILL
    assert state_path.read_bytes() == before
    leftovers = [p for p in state_path.parent.iterdir() if ".tmp-" in p.name]
    assert leftovers, "the killed writer's temp file is left behind (proves the kill hit mid-write)"
    st = be.read()  # the stray temp file does not confuse the next run
    assert "half" not in st.outputs and st.serial == 1
    st.outputs["next"] = {"value": 1, "sensitive": False}
    be.write(st)
    assert be.read().serial == 2
    assert not [p for p in state_path.parent.iterdir() if ".tmp-" in p.name]  # the next write swept it


def test_corrupt_json_is_a_located_error_pointing_at_the_backup(state_path: Path, sample_state: State) -> None:
    be = LocalBackend(state_path)
    be.write(sample_state)
    be.write(_changed(be.read()))
    state_path.write_text('{"version": 1,\n  "serial": 3,,\n}')
    with pytest.raises(StateError) as ei:
        be.read()
    d = ei.value.diagnostics[0]
    assert d.pos is not None and d.pos.filename == str(state_path) and d.pos.line == 2
    assert "corrupt" in d.summary
    assert f"cp {be.backup_path} {state_path}" in d.hint


def test_truncated_state_without_backup_says_what_to_do(state_path: Path) -> None:
    state_path.write_text('{"version": 1, "serial": 3, "lin')
    with pytest.raises(StateError) as ei:
        LocalBackend(state_path).read()
    text = str(ei.value)
    assert str(state_path) in text and "corrupt" in text and "hint:" in text


@pytest.mark.parametrize("doc, needle", [
    ([1, 2], "not a state file"),
    ({"version": 1, "serial": 1}, "'lineage' field is missing"),
    ({"version": 1, "serial": -1, "lineage": "x"}, "invalid serial"),
    ({"version": "one", "serial": 1, "lineage": "x"}, "invalid state format version"),
    ({"version": 1, "serial": 1, "lineage": "x", "resources": [{"type": "t"}]}, "resource #1 is malformed"),
    ({"version": 3, "terraform_version": "0.11.0", "serial": 1, "lineage": "x"}, "old format version 3"),
    ({"version": 4, "serial": 1, "lineage": "x", "resources": [{"mode": "managed"}]}, "resource #1 has no valid"),
    ({"version": 5, "terraform_version": "9.0.0", "serial": 1, "lineage": "x"}, "Terraform 9.0.0 in state format version 5"),
])
def test_malformed_state_documents_are_clear_errors(state_path: Path, doc: object, needle: str) -> None:
    state_path.write_text(json.dumps(doc))
    with pytest.raises(StateError, match=needle):
        LocalBackend(state_path).read()


def test_state_from_a_newer_clbplan_is_refused(state_path: Path) -> None:
    state_path.write_text(json.dumps({"version": 5, "serial": 1, "lineage": "x", "clbplan_version": "9.0.0"}))
    be = LocalBackend(state_path)
    with pytest.raises(StateError) as ei:
        be.read()
    assert "9.0.0" in str(ei.value) and "upgrade clbplan" in str(ei.value)
    with pytest.raises(StateError, match="newer clbplan"):
        be.write(State(lineage="x"))
    assert json.loads(state_path.read_text())["version"] == 5


def test_state_path_that_is_a_directory_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(StateError, match="is a directory"):
        LocalBackend(tmp_path).read()


def test_empty_file_is_no_state_yet(state_path: Path) -> None:
    state_path.write_text("")
    assert LocalBackend(state_path).read().resources == {}


@pytest.mark.parametrize("text, seconds", [("0s", 0), ("30s", 30), ("2m", 120), ("1m30s", 90),
                                           ("500ms", 0.5), ("1h", 3600), ("5", 5)])
def test_parse_duration(text: str, seconds: float) -> None:
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["", "abc", "10x", "s", "-1s", "1m 2s"])
def test_parse_duration_rejects_junk(text: str) -> None:
    with pytest.raises(ValueError, match="invalid duration"):
        parse_duration(text)


def _changed(st: State) -> State:
    st.outputs["changed"] = {"value": True, "sensitive": False}
    return st


def test_state_in_a_missing_directory_is_a_clear_error(tmp_path: Path) -> None:
    be = LocalBackend(tmp_path / "nope" / "clbplan.tfstate")
    with pytest.raises(StateError, match="cannot create the state lock file"):
        with be.lock("apply"):
            pass


def test_a_large_state_holds_each_repeated_value_once_and_writes_back_the_same_bytes(state_path: Path) -> None:
    """At 10,000 load balancers JSON gave every "off", zone and ECS instance id its own string (1.7 million
    objects, nine in ten of them copies): read from the file, equal values are one object, nested lists
    included, and the state written back is byte for byte the file that was read."""
    st = State()
    for i in range(50):
        st.resources[rstate(f"alicloud_slb_server_group.g{i}", f"rsp-{i}", {}).address] = rstate(
            f"alicloud_slb_server_group.g{i}", f"rsp-{i}",
            {"name": f"g{i}", "load_balancer_id": f"lb-{i}", "delete_protection_validation": False,
             "servers": [{"server_ids": ["i-shared1", "i-shared2"], "port": 80, "weight": 100, "type": "ecs"}]})
    be = LocalBackend(state_path)
    be.write(st)
    before = state_path.read_bytes()
    back = be.read()
    groups = [rs.attributes for rs in back.resources.values()]
    assert len({id(g["servers"][0]["type"]) for g in groups}) == 1
    assert len({id(g["servers"][0]["server_ids"][1]) for g in groups}) == 1
    assert {g["name"] for g in groups} == {f"g{i}" for i in range(50)}
    assert {a: (r.id, r.attributes) for a, r in back.resources.items()} == \
        {a: (r.id, r.attributes) for a, r in st.resources.items()}
    serial = back.serial
    be.write(back)  # encodes to the same digest: nothing to write, the serial stays
    assert back.serial == serial and state_path.read_bytes() == before


def test_the_first_write_of_a_new_run_compares_with_the_file_as_written(state_path: Path,
                                                                       sample_state: State) -> None:
    """A new run (a new backend) compares what it writes with the file on disk: unchanged content keeps
    the file and its serial, whichever layout wrote it (clbplan's one line per resource, compared
    without parsing the resources, or Terraform's indented one); a value edited by hand is a change;
    another lineage is refused."""
    sample_state.outputs["vip"] = {"value": "10.0.0.1", "sensitive": False}
    LocalBackend(state_path).write(sample_state)
    ours = state_path.read_bytes()
    st = LocalBackend(state_path).read()
    LocalBackend(state_path).write(st)
    assert st.serial == 1 and state_path.read_bytes() == ours

    state_path.write_text(json.dumps(json.loads(ours), indent=2) + "\n")
    terraforms = state_path.read_bytes()
    LocalBackend(state_path).write(st)
    assert st.serial == 1 and state_path.read_bytes() == terraforms

    edited = ours.replace(b'"bandwidth": 10,', b'"bandwidth": 11,')
    assert edited != ours
    state_path.write_bytes(edited)
    LocalBackend(state_path).write(st)
    assert st.serial == 2 and json.loads(state_path.read_bytes())["serial"] == 2
    back = LocalBackend(state_path).read()
    assert back.resources[rstate("alicloud_slb_load_balancer.web", "x").address].attributes["bandwidth"] == 10

    state_path.write_bytes(ours.replace(sample_state.lineage.encode(), b"0f0f0f0f-other-lineage"))
    with pytest.raises(StateError, match="lineage"):
        LocalBackend(state_path).write(st)


def test_a_state_written_in_pieces_is_the_whole_document(state_path: Path) -> None:
    """The file is written a megabyte at a time (never whole in memory): the pieces join into exactly the
    one-piece document, which reads back to the same resources."""
    st = State()
    for i in range(3000):
        r = rstate(f"alicloud_slb_load_balancer.lb{i}", f"lb-{i}",
                   {"load_balancer_name": f"名前-{i}", "tags": {"k": "v" * 600}, "bandwidth": i})
        st.resources[r.address] = r
    LocalBackend(state_path).write(st)
    data = state_path.read_bytes()
    assert len(data) > 2 * backend_mod._CHUNK
    assert data == backend_mod._render(st, backend_mod._encode(st)[0])
    back = LocalBackend(state_path).read()
    assert {a: r.attributes for a, r in back.resources.items()} == {a: r.attributes for a, r in st.resources.items()}
