"""Threat: the disk fills up (or a file grows past its limit) while clbplan writes its records.

What a user must get: exit 1 with "No space left on device" naming the file; the previous state
byte for byte, no half-written file and no temp file left beside it; and, when an apply had
already changed the cloud, the change kept in the journal so the next run (after space is freed)
folds it into the state without creating anything twice.

Found on the old code: a full disk while writing the state, the journal or the lock info ended in
"Error: OSError: [Errno 28] No space left on device / This is a bug in clbplan", with nothing said
about the object the apply had just created; a backup copied on a filesystem without hard links
left a half-written temp file; a journal an earlier run left was replayed by every later no-change
apply instead of being folded into the state.

The end-to-end cases use a real 64 KiB tmpfs in a private mount namespace (``unshare -m``) and are
skipped where that is not permitted; the others inject the error into the writer's ``os.write``.
"""

from __future__ import annotations

import errno
import json
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from planner.addresses import ResourceAddress
from planner.state.backend import LocalBackend, StateWriteError
from planner.state.journal import Journal, JournalWriteError
from planner.state.model import ResourceState, State
from tests.support.cli import invoke_in

ROOT = Path(__file__).resolve().parents[2]
ENV = {**os.environ, "PYTHONPATH": str(ROOT), "NO_COLOR": "1"}

OLD = """
resource "alicloud_slb_acl" "old" {
  count = 30
  name  = "old-${count.index}"
}
"""
LAB = """
resource "alicloud_slb_acl" "lab" {
  name = "lab"
}
"""


# ------------------------------------------------------------------------------- injected errors
def _failing_write(monkeypatch: pytest.MonkeyPatch, marker: str, code: int, after: int = 100) -> None:
    """``os.write`` / ``os.pwrite`` to a file whose name contains ``marker`` fails with ``code`` after ``after`` bytes."""
    real = os.write
    written: dict[int, int] = {}

    def write(fd: int, data: bytes | memoryview) -> int:
        try:
            name = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            name = ""
        if marker not in name:
            return real(fd, data)
        room = after - written.get(fd, 0)
        if room <= 0:
            raise OSError(code, os.strerror(code))
        n = real(fd, bytes(data)[:room])
        written[fd] = written.get(fd, 0) + n
        return n

    real_pwrite = os.pwrite

    def pwrite(fd: int, data: bytes | memoryview, offset: int) -> int:  # the journal appends with pwrite
        try:
            name = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            name = ""
        if marker not in name:
            return real_pwrite(fd, data, offset)
        room = after - written.get(fd, 0)
        if room <= 0:
            raise OSError(code, os.strerror(code))
        n = real_pwrite(fd, bytes(data)[:room], offset)
        written[fd] = written.get(fd, 0) + n
        return n

    monkeypatch.setattr(os, "write", write)
    monkeypatch.setattr(os, "pwrite", pwrite)


def _state(n: int) -> State:
    st = State(lineage="f0e1d2c3-0000-4000-8000-000000000001")
    for i in range(n):
        a = ResourceAddress("alicloud_slb_acl", f"a{i}")
        st.resources[a] = ResourceState(a, f"acl-{i:04d}", {"name": f"a{i}", "ip_version": "ipv4"})
    return st


@pytest.mark.parametrize("code, words", [(errno.ENOSPC, "No space left on device"), (errno.EFBIG, "File too large")])
def test_a_state_write_that_runs_out_of_room_leaves_the_old_file_and_no_temp(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, code: int, words: str) -> None:
    be = LocalBackend(tmp_path / "clbplan.tfstate")
    be.write(_state(3))
    before = be.path.read_bytes()
    _failing_write(monkeypatch, ".clbplan.tfstate.tmp-", code)
    with pytest.raises(StateWriteError) as ei:
        be.write(_state(40))
    text = str(ei.value)
    assert words in text and str(be.path) in text and "is unchanged" in text, text
    assert be.path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["clbplan.tfstate", "clbplan.tfstate.backup"]


def test_a_backup_copy_that_runs_out_of_room_leaves_no_half_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Where hard links fail (some network filesystems) the backup is a copy: a full disk there too."""
    be = LocalBackend(tmp_path / "clbplan.tfstate")
    be.write(_state(3))
    before = be.path.read_bytes()

    def no_link(*_a: object, **_k: object) -> None:
        raise OSError(errno.EPERM, "Operation not permitted")

    monkeypatch.setattr(os, "link", no_link)
    _failing_write(monkeypatch, ".clbplan.tfstate.backup.tmp-", errno.ENOSPC)
    with pytest.raises(StateWriteError, match="No space left on device"):
        be.write(_state(40))
    assert be.path.read_bytes() == before
    assert not [p for p in tmp_path.iterdir() if ".tmp-" in p.name]


def test_a_journal_record_that_does_not_fit_is_a_journal_error_and_leaves_no_half_line(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    j = Journal(tmp_path / "j.jsonl")
    a = ResourceAddress("alicloud_slb_acl", "lab")
    j.intent("t1", a, "create", {"planned": {"name": "lab"}})
    size = j.path.stat().st_size
    _failing_write(monkeypatch, "j.jsonl", errno.ENOSPC, after=20)
    with pytest.raises(JournalWriteError, match="cannot write the journal .*j.jsonl: No space left on device"):
        j.intent("t2", a, "create", {"planned": {"name": "x" * 500}})
    j.close()
    assert j.path.stat().st_size == size  # the torn record was cut off again
    assert [r.token for r in Journal(j.path).records()] == ["t1"]


def test_an_apply_whose_state_write_fails_names_the_journal_and_the_next_apply_recovers(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "main.tf").write_text(OLD.replace("30", "3"))
    assert invoke_in(tmp_path, "apply", "-auto-approve").exit_code == 0
    before = (tmp_path / "clbplan.tfstate").read_bytes()
    (tmp_path / "lab.tf").write_text(LAB)
    with monkeypatch.context() as m:
        _failing_write(m, ".clbplan.tfstate.tmp-", errno.ENOSPC)
        r = invoke_in(tmp_path, "apply", "-auto-approve", "-no-color")
    out = r.output
    assert r.exit_code == 1, out
    assert "This is a bug" not in out and "Traceback" not in out, out
    assert "the apply changed the cloud but could not save the state" in out, out
    assert "No space left on device" in out and "alicloud_slb_acl.lab:create" in out, out
    assert "still holds the state from before this apply" in out and ".clbplan/journal/" in out, out
    assert (tmp_path / "clbplan.tfstate").read_bytes() == before
    assert not [p for p in tmp_path.iterdir() if ".tmp-" in p.name]
    # space is back: the next apply folds the journal in, creates nothing, and trims the journal
    r = invoke_in(tmp_path, "apply", "-auto-approve", "-no-color")
    assert r.exit_code == 0 and "0 added" in r.output, r.output
    assert any(r["name"] == "lab" for r in json.loads((tmp_path / "clbplan.tfstate").read_text())["resources"])
    assert not list((tmp_path / ".clbplan" / "journal").glob("*.jsonl"))


# ------------------------------------------------------------------------------- a real full disk
def _tmpfs_works() -> str | None:
    if shutil.which("unshare") is None:
        return "unshare(1) is not installed"
    probe = Path(os.environ.get("TMPDIR", "/tmp")) / f"clbplan-tmpfs-probe-{os.getpid()}"
    probe.mkdir(exist_ok=True)
    try:
        p = subprocess.run(["unshare", "-m", "sh", "-c", f"mount -t tmpfs -o size=64k tmpfs {probe}"],
                           capture_output=True, text=True, timeout=30)
        return None if p.returncode == 0 else f"mounting a tmpfs is not permitted: {p.stderr.strip()}"
    finally:
        shutil.rmtree(probe, ignore_errors=True)


WHY_NOT = _tmpfs_works()
needs_tmpfs = pytest.mark.skipif(WHY_NOT is not None, reason=WHY_NOT or "")


def _on_full_tmpfs(work: Path, free_pages: int) -> tuple[str, int]:
    """Apply OLD with its state on a 64 KiB tmpfs, fill the tmpfs to ``free_pages`` free pages, apply
    OLD + LAB; copy what the tmpfs held to ``work/st-after`` (the mount dies with the namespace)."""
    cli = " ".join(shlex.quote(a) for a in [sys.executable, "-m", "planner.cli.main"])
    w = shlex.quote(str(work))
    script = f"""
set -e
cd {w}
mount -t tmpfs -o size=64k tmpfs st
{cli} apply -auto-approve -state=st/clbplan.tfstate > apply1.txt 2>&1
cp st/clbplan.tfstate before.tfstate
cp lab.tf.next lab.tf
dd if=/dev/zero of=st/filler bs=4096 count=$(( $(stat -f -c %a st) - {free_pages} )) 2>/dev/null || true
set +e
{cli} apply -auto-approve -no-color -state=st/clbplan.tfstate > apply2.txt 2>&1
echo $? > rc2
rm st/filler
cp -a st/. st-after/
"""
    (work / "st").mkdir()
    (work / "st-after").mkdir()
    (work / "main.tf").write_text(OLD)
    (work / "lab.tf.next").write_text(LAB)
    p = subprocess.run(["unshare", "-m", "sh", "-c", script], capture_output=True, text=True, timeout=300, env=ENV)
    assert p.returncode == 0, p.stdout + p.stderr + (work / "apply1.txt").read_text()
    return (work / "apply2.txt").read_text(), int((work / "rc2").read_text())


def _no_temp_files(d: Path) -> None:
    assert not [p for p in d.rglob("*") if ".tmp-" in p.name], sorted(d.rglob("*"))


def _recover(work: Path) -> str:
    """Space is back: the state directory, as the full disk left it, used by the next apply."""
    shutil.copytree(work / "st-after", work / "st2")
    p = subprocess.run([sys.executable, "-m", "planner.cli.main", "apply", "-auto-approve", "-no-color",
                        "-state=st2/clbplan.tfstate"], cwd=work, capture_output=True, text=True, timeout=300, env=ENV)
    assert p.returncode == 0, p.stdout + p.stderr
    return p.stdout + p.stderr


@needs_tmpfs
def test_full_disk_after_the_cloud_changed_keeps_the_old_state_and_the_journal_recovers_it(tmp_path: Path) -> None:
    # two free pages: the lock info and the journal fit, the new 8 KiB state does not
    out, rc = _on_full_tmpfs(tmp_path, free_pages=2)
    assert rc == 1, out
    assert "This is a bug" not in out and "Traceback" not in out, out
    assert "cannot write the state file st/clbplan.tfstate: No space left on device" in out, out
    assert "1 operation(s) finished in the cloud: alicloud_slb_acl.lab:create" in out, out
    assert "still holds the state from before this apply" in out and "run `clbplan apply` again" in out, out
    after = tmp_path / "st-after"
    assert (after / "clbplan.tfstate").read_bytes() == (tmp_path / "before.tfstate").read_bytes()
    _no_temp_files(after)
    journal = next((after / ".clbplan" / "journal").glob("*.jsonl")).read_text()
    assert '"kind":"intent"' in journal and '"address":"alicloud_slb_acl.lab"' in journal
    again = _recover(tmp_path)
    assert "Resources: 0 added" in again, again  # recovered from the journal, not created twice
    doc = json.loads((tmp_path / "st2" / "clbplan.tfstate").read_text())
    labs = [i for r in doc["resources"] if r["name"] == "lab" for i in r["instances"]]
    assert len(labs) == 1 and labs[0]["attributes"]["id"].startswith("acl-")


@needs_tmpfs
@pytest.mark.parametrize("free_pages", [0, 1])
def test_full_disk_before_the_cloud_call_changes_nothing(tmp_path: Path, free_pages: int) -> None:
    # no room for the journal's first record: the call it announces is never made
    out, rc = _on_full_tmpfs(tmp_path, free_pages=free_pages)
    assert rc == 1, out
    assert "This is a bug" not in out and "Traceback" not in out, out
    assert "cannot write the journal st/.clbplan/journal/" in out and "No space left on device" in out, out
    after = tmp_path / "st-after"
    assert (after / "clbplan.tfstate").read_bytes() == (tmp_path / "before.tfstate").read_bytes()
    _no_temp_files(after)
    again = _recover(tmp_path)
    assert "Resources: 1 added" in again, again
