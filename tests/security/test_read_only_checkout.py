"""Threat: a CI job that checks the repository out read-only cannot plan at all.

``plan`` only reads (the state, the cloud, the configuration), so it must work where nothing can
be written, as Terraform's does with the local backend:

* the state lock file could not be created, so every plan failed ("cannot create the state lock
  file") and there was no way round it. Terraform fails the same way (its lock opens the state
  file for writing, ``fixtures/terraform_plan_read_only.txt``) and names ``-lock=false``, which
  then works; clbplan now says the same, and where the lock file already exists it takes a shared
  lock through a read-only descriptor, so a plan still waits for an apply without writing;
* with ``-lock=false`` the embedded cloud's folder could not be created or its database opened
  ("Failed to read data source ... Read-only file system"): it is now opened read-only (the plan's
  rehearsal runs on an in-memory copy anyway);
* ``-out`` into the read-only folder printed "This is a bug in clbplan"; ``apply -lock=false``
  there called the cloud and then crashed writing its journal ("This is a bug"), leaving a change
  the state did not record. Both are now errors naming the place, and ``apply`` refuses before
  it calls the cloud.

The directory is made truly read-only with a read-only bind mount in a private mount namespace
(as root, ``chmod`` does not stop writes); the tests skip when namespaces are not permitted.
"""

from __future__ import annotations

import os
import shlex
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = Path(__file__).parent / "fixtures" / "terraform_plan_read_only.txt"

ACL = """
resource "alicloud_slb_acl" "office" {
  name = "office"
}
"""

EXTRA = """
resource "alicloud_slb_acl" "lab" {
  name = "lab"
}
"""

ENV = {**os.environ, "PYTHONPATH": str(ROOT), "NO_COLOR": "1", "TF_IN_AUTOMATION": "1"}


def _namespaces_work() -> str | None:
    """None when a read-only bind mount in a private namespace works here, else why not."""
    if shutil.which("unshare") is None:
        return "unshare(1) is not installed"
    probe = Path(os.environ.get("TMPDIR", "/tmp")) / f"clbplan-ro-probe-{os.getpid()}"
    probe.mkdir(exist_ok=True)
    try:
        p = subprocess.run(["unshare", "-m", "sh", "-c", f"mount --bind {probe} {probe} && "
                            f"mount -o remount,bind,ro {probe} && ! touch {probe}/x 2>/dev/null"],
                           capture_output=True, text=True, timeout=30)
        return None if p.returncode == 0 else f"read-only bind mounts are not permitted: {p.stderr.strip()}"
    finally:
        shutil.rmtree(probe, ignore_errors=True)


WHY_NOT = _namespaces_work()
pytestmark = pytest.mark.skipif(WHY_NOT is not None, reason=WHY_NOT or "")


def clbplan(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "planner.cli.main", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=180, env=ENV)


def read_only(d: Path, *args: str) -> subprocess.CompletedProcess:
    """``clbplan ARGS`` run in ``d`` while ``d`` is mounted read-only (for this process only)."""
    cmd = " ".join(shlex.quote(a) for a in [sys.executable, "-m", "planner.cli.main", *args])
    q = shlex.quote(str(d))
    script = f"mount --bind {q} {q} && mount -o remount,bind,ro {q} && cd {q} && exec {cmd}"
    return subprocess.run(["unshare", "-m", "sh", "-c", script], capture_output=True, text=True, timeout=180,
                          env=ENV)


def snapshot(d: Path) -> dict[str, tuple[int, int]]:
    return {str(p.relative_to(d)): (p.stat().st_size, p.stat().st_mtime_ns)
            for p in sorted(d.rglob("*")) if p.is_file()}


def no_crash(p: subprocess.CompletedProcess) -> str:
    out = p.stdout + p.stderr
    assert "This is a bug" not in out and "Traceback" not in out, out
    return out


@pytest.fixture
def applied(tmp_path: Path) -> Path:
    """A configuration applied in a writable folder, then given one more resource to plan."""
    d = tmp_path / "checkout"
    d.mkdir()
    (d / "main.tf").write_text(ACL)
    p = clbplan(d, "apply", "-auto-approve")
    assert p.returncode == 0, p.stdout + p.stderr
    (d / "extra.tf").write_text(EXTRA)
    return d


def fresh_checkout(d: Path) -> None:
    """What a clone holds: the configuration, the state and the cloud's database (checkpointed, no
    -wal/-shm), no lock file, no parse cache or journal."""
    db = d / ".clbplan" / "emulator.sqlite"
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    for name in ("emulator.sqlite-wal", "emulator.sqlite-shm"):
        (d / ".clbplan" / name).unlink(missing_ok=True)
    shutil.rmtree(d / ".clbplan" / "parse-cache", ignore_errors=True)
    shutil.rmtree(d / ".clbplan" / "journal", ignore_errors=True)
    for p in d.glob("clbplan.tfstate.lock*"):
        p.unlink()


def test_plan_in_a_read_only_checkout_with_a_lock_file_takes_a_shared_lock(applied: Path) -> None:
    before = snapshot(applied)
    p = read_only(applied, "plan", "-detailed-exitcode")
    out = no_crash(p)
    assert p.returncode == 2, out
    assert "alicloud_slb_acl.lab will be created" in out and "Plan: 1 to add, 0 to change, 0 to destroy." in out
    assert snapshot(applied) == before


def test_plan_without_a_lock_file_names_lock_false_as_terraform_does_and_lock_false_works(applied: Path) -> None:
    fresh_checkout(applied)
    before = snapshot(applied)
    p = read_only(applied, "plan")
    out = no_crash(p)
    terraform = FIXTURE.read_text()
    assert "Error acquiring the state lock" in terraform and '"-lock=false"' in terraform
    assert p.returncode == 1, out
    assert "Error acquiring the state lock" in out and "Read-only file system" in out, out
    assert "clbplan plan -lock=false" in out and str(applied / "clbplan.tfstate.lock") in out, out

    p = read_only(applied, "plan", "-lock=false", "-detailed-exitcode")
    out = no_crash(p)
    assert p.returncode == 2, out
    assert "alicloud_slb_acl.lab will be created" in out and "Plan: 1 to add, 0 to change, 0 to destroy." in out
    assert snapshot(applied) == before


def test_plan_out_into_the_read_only_folder_is_an_error_and_elsewhere_works(applied: Path, tmp_path: Path) -> None:
    fresh_checkout(applied)
    p = read_only(applied, "plan", "-lock=false", "-out=review.plan")
    out = no_crash(p)
    assert p.returncode == 1, out
    assert "Failed to write the plan file review.plan" in out and "Read-only file system" in out, out
    assert not list(applied.glob("*review.plan*"))

    saved = tmp_path / "saved" / "review.plan"
    p = read_only(applied, "plan", "-lock=false", f"-out={saved}")
    assert p.returncode == 0, no_crash(p)
    assert saved.is_file()
    # the saved plan applies once the checkout is writable again
    p = clbplan(applied, "apply", str(saved))
    assert p.returncode == 0, no_crash(p)
    assert "Apply complete! Resources: 1 added, 0 changed, 0 destroyed." in p.stdout


def test_apply_in_a_read_only_checkout_refuses_before_calling_the_cloud(applied: Path) -> None:
    fresh_checkout(applied)
    before = snapshot(applied)
    for args in (["apply", "-auto-approve"], ["apply", "-auto-approve", "-lock=false"],
                 ["destroy", "-auto-approve", "-lock=false"]):
        p = read_only(applied, *args)
        out = no_crash(p)
        assert p.returncode == 1, out
        assert f"the state's folder {applied} cannot be written" in out and "Nothing was changed" in out, out
        assert "Creating..." not in out and "Destroying..." not in out, out
    assert snapshot(applied) == before
    # the cloud really was not changed: a writable plan still has the one ACL to add and nothing else
    p = clbplan(applied, "plan", "-detailed-exitcode")
    assert p.returncode == 2 and "Plan: 1 to add, 0 to change, 0 to destroy." in p.stdout, p.stdout + p.stderr


def test_plan_in_a_read_only_checkout_that_never_ran_plans_creates(tmp_path: Path) -> None:
    d = tmp_path / "clone"
    d.mkdir()
    (d / "main.tf").write_text(ACL + EXTRA)
    p = read_only(d, "plan", "-lock=false")
    out = no_crash(p)
    assert p.returncode == 0, out
    assert "Plan: 2 to add, 0 to change, 0 to destroy." in out
    assert sorted(x.name for x in d.iterdir()) == ["main.tf"]


def test_the_shared_lock_of_a_read_only_plan_still_waits_for_an_apply(applied: Path) -> None:
    from planner.state.backend import LocalBackend

    with LocalBackend(applied / "clbplan.tfstate").lock("apply"):
        p = read_only(applied, "plan")
    out = no_crash(p)
    assert p.returncode == 1, out
    assert "Error acquiring the state lock" in out and "is locked by" in out and "(apply," in out, out
