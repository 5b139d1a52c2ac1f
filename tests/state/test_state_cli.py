"""``clbplan state list|show|rm|mv`` and ``clbplan force-unlock`` through the real CLI group."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from planner.addresses import ResourceAddress
from planner.cli.main import cli
from planner.state.backend import LocalBackend
from planner.state.model import State

from .conftest import rstate
from .test_lock import Holder, holders  # noqa: F401 - the fixture is used below


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


@pytest.fixture
def saved(state_path: Path, sample_state: State) -> Path:
    LocalBackend(state_path).write(sample_state)
    return state_path


def _addresses(state_path: Path) -> list[str]:
    return sorted(str(a) for a in LocalBackend(state_path).read().resources)


def test_list_all_and_filtered(saved: Path) -> None:
    r = run("state", "list", "-state", str(saved))
    assert r.exit_code == 0, r.output
    assert r.stdout.splitlines() == sorted(_addresses(saved))
    r = run("state", "list", "-state", str(saved), "alicloud_slb_listener.http")
    assert r.stdout.splitlines() == ["alicloud_slb_listener.http[0]", "alicloud_slb_listener.http[1]"]
    r = run("state", "list", f"-state={saved}", "alicloud_slb_listener.http[1]", "alicloud_slb_server_group")
    assert r.stdout.splitlines() == ["alicloud_slb_listener.http[1]", "alicloud_slb_server_group.g"]
    r = run("state", "list", "-state", str(saved), "-id", "sc-1")
    assert r.stdout.splitlines() == ["alicloud_slb_server_certificate.cert"]


def test_list_without_state_file_is_an_error(state_path: Path) -> None:
    r = run("state", "list", "-state", str(state_path))
    assert r.exit_code == 1 and "No state file was found" in r.stderr and "Traceback" not in r.output


def test_show_masks_sensitive_values(saved: Path) -> None:
    r = run("state", "show", "-state", str(saved), "alicloud_slb_server_certificate.cert")
    assert r.exit_code == 0, r.output
    out = r.stdout
    assert out.startswith('# alicloud_slb_server_certificate.cert:\nresource "alicloud_slb_server_certificate"')
    assert "BEGIN KEY" not in out and "private_key        = (sensitive value)" in out
    assert 'server_certificate = "CERT"' in out and 'id                 = "sc-1"' in out
    r = run("state", "show", "-state", str(saved), "alicloud_slb_server_group.g")
    assert "hunter2" not in r.stdout and "auth_password = (sensitive value)" in r.stdout  # nested too
    assert "servers {" in r.stdout and '"i-2",' in r.stdout


def test_show_masks_schema_sensitive_attributes(saved: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import sys
    import types

    def get_schema(type_name: str) -> types.SimpleNamespace | None:
        if type_name != "alicloud_slb_load_balancer":
            return None  # the registry's answer for a type it does not know
        return types.SimpleNamespace(sensitive={"load_balancer_name"})

    fake = types.ModuleType("planner.schema")
    fake.get_schema = get_schema  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "planner.schema", fake)  # independent of the real registry's progress
    r = run("state", "show", "-state", str(saved), "alicloud_slb_load_balancer.web")
    assert r.exit_code == 0 and "load_balancer_name = (sensitive value)" in r.stdout
    assert '= "web"' not in r.stdout and "bandwidth          = 10" in r.stdout
    r = run("state", "show", "-state", str(saved), "alicloud_slb_server_group.g")  # unknown to the schema
    assert r.exit_code == 0 and 'name = "g"' in r.stdout


@pytest.mark.parametrize("args, needle", [
    (("state", "show", "alicloud_slb_load_balancer.wep"), "did you mean alicloud_slb_load_balancer.web"),
    (("state", "show", "alicloud_slb_listener.http"), "names 2 instances"),
    (("state", "show", "not an address"), "invalid resource address"),
    (("state", "rm", "alicloud_slb_server_group.g", "nope.missing"), "No resource instance in state matches"),
    (("state", "rm", "bad[addr"), "invalid resource address"),
    (("state", "mv", "alicloud_slb_server_group.g", "alicloud_slb_listener.g"), "resource types differ"),
    (("state", "mv", "alicloud_slb_server_group.g", "alicloud_slb_server_group.g"), "same address"),
    (("state", "mv", "alicloud_slb_server_group.nope", "alicloud_slb_server_group.x"), "No resource instance"),
    (("state", "mv", "alicloud_slb_listener.http[0]", "alicloud_slb_listener.http[1]"), "already has an instance"),
    (("state", "mv", "alicloud_slb_listener.http", "alicloud_slb_listener.x[0]"), "without a key"),
    (("state", "rm", "-lock-timeout", "soon", "alicloud_slb_server_group.g"), "invalid value for -lock-timeout"),
])
def test_bad_input_exits_1_with_a_message_and_changes_nothing(saved: Path, args: tuple[str, ...],
                                                               needle: str) -> None:
    before = saved.read_bytes()
    r = run(*args[:2], "-state", str(saved), *args[2:])
    assert r.exit_code == 1, r.output
    assert needle in r.stderr and "Traceback" not in r.output
    assert saved.read_bytes() == before


def test_rm_forgets_without_touching_the_cloud_and_keeps_backup(saved: Path) -> None:
    before = saved.read_bytes()
    r = run("state", "rm", "-state", str(saved), "alicloud_slb_listener.http", "alicloud_slb_server_group.g")
    assert r.exit_code == 0, r.output
    assert "Removed alicloud_slb_listener.http[0]" in r.stdout and "Removed alicloud_slb_server_group.g" in r.stdout
    assert "Successfully removed 3 resource instance(s)." in r.stdout and "not touched" in r.stdout
    assert "Warning: alicloud_slb_listener.http[1]" not in r.stderr  # removed too: nothing left dangling
    assert _addresses(saved) == ["alicloud_slb_load_balancer.web", "alicloud_slb_server_certificate.cert"]
    be = LocalBackend(saved)
    assert be.backup_path.read_bytes() == before and be.read().serial == 2
    assert oct(os.stat(saved).st_mode & 0o777) == "0o600"
    assert not be.lock_info_path.exists()  # lock released
    r = run("state", "rm", "-state", str(saved), "alicloud_slb_load_balancer.web")
    assert r.exit_code == 0
    assert "Warning" not in r.stderr  # the remaining certificate depends on nothing


def test_rm_dry_run_changes_nothing(saved: Path) -> None:
    before = saved.read_bytes()
    r = run("state", "rm", "-state", str(saved), "-dry-run", "alicloud_slb_server_group.g")
    assert r.exit_code == 0 and "Would remove alicloud_slb_server_group.g" in r.stdout
    assert saved.read_bytes() == before


def test_mv_renames_instances_and_rewrites_dependencies(saved: Path) -> None:
    r = run("state", "mv", "-state", str(saved), "alicloud_slb_server_group.g", "alicloud_slb_server_group.main")
    assert r.exit_code == 0, r.output
    assert 'Move "alicloud_slb_server_group.g" to "alicloud_slb_server_group.main"' in r.stdout
    st = LocalBackend(saved).read()
    main = ResourceAddress.parse("alicloud_slb_server_group.main")
    assert main in st.resources and st.resources[main].id == "rsp-1"
    assert ResourceAddress.parse("alicloud_slb_server_group.g") not in st.resources
    lsn = st.resources[ResourceAddress.parse("alicloud_slb_listener.http[1]")]
    assert main in lsn.dependencies  # orphans still get destroyed in the right order after a rename
    r = run("state", "mv", "-state", str(saved), "alicloud_slb_listener.http", "alicloud_slb_listener.web")
    assert r.exit_code == 0 and "Successfully moved 2 object(s)." in r.stdout
    assert {a for a in _addresses(saved) if "listener" in a} == {"alicloud_slb_listener.web[0]",
                                                                 "alicloud_slb_listener.web[1]"}
    r = run("state", "mv", "-state", str(saved), "alicloud_slb_listener.web[0]", 'alicloud_slb_listener.w["a"]')
    assert r.exit_code == 0
    assert 'alicloud_slb_listener.w["a"]' in _addresses(saved)


def test_mutating_command_fails_while_another_process_holds_the_lock(saved: Path, holders: list[Holder]) -> None:  # noqa: F811
    h = Holder(saved, "apply")
    holders.append(h)
    before = saved.read_bytes()
    r = run("state", "rm", "-state", str(saved), "-lock-timeout", "200ms", "alicloud_slb_server_group.g")
    assert r.exit_code == 1
    assert h.lock_id in r.stderr and "apply" in r.stderr and f"force-unlock {h.lock_id}" in r.stderr
    assert saved.read_bytes() == before
    h.release()
    r = run("state", "rm", "-state", str(saved), "alicloud_slb_server_group.g")
    assert r.exit_code == 0


def test_force_unlock_with_prompt_and_with_force(saved: Path, holders: list[Holder]) -> None:  # noqa: F811
    h = Holder(saved, "apply")
    holders.append(h)
    h.kill()  # leaves a stale lock info file
    r = CliRunner().invoke(cli, ["force-unlock", "-state", str(saved), h.lock_id], input="no\n")
    assert r.exit_code == 1 and "cancelled" in r.stderr and h.lock_id in r.stdout
    assert LocalBackend(saved).lock_info_path.exists()
    r = run("force-unlock", "-state", str(saved), "-force", "wrong-id")
    assert r.exit_code == 1 and "does not match" in r.stderr and h.lock_id in r.stderr
    r = CliRunner().invoke(cli, ["force-unlock", "-state", str(saved), h.lock_id], input="yes\n")
    assert r.exit_code == 0 and "successfully unlocked" in r.stdout
    assert not LocalBackend(saved).lock_info_path.exists()
    r = run("force-unlock", "-state", str(saved), "-force", h.lock_id)
    assert r.exit_code == 1 and "not locked" in r.stderr


def test_views_include_journal_completions_and_rm_checkpoints_them(saved: Path) -> None:
    be = LocalBackend(saved)
    st = be.read()
    j = be.journal(st.lineage)
    new = rstate("alicloud_slb_server_group.extra", "rsp-9", {"name": "extra"})
    j.intent("tok-1", new.address, "CreateVServerGroup", {})
    j.complete("tok-1", new.address, new)
    j.intent("tok-2", ResourceAddress.parse("alicloud_slb_server_group.inflight"), "CreateVServerGroup", {})
    j.close()
    r = run("state", "list", "-state", str(saved))
    assert "alicloud_slb_server_group.extra" in r.stdout.splitlines()
    assert "interrupted apply" in r.stderr and "alicloud_slb_server_group.inflight" in r.stderr
    r = run("state", "rm", "-state", str(saved), "alicloud_slb_server_group.g")
    assert r.exit_code == 0
    assert "alicloud_slb_server_group.extra" in _addresses(saved)  # folded into the state file
    j2 = be.journal(st.lineage)
    gone = rstate("alicloud_slb_server_group.journaled", "rsp-10", {})
    j2.intent("tok-3", gone.address, "CreateVServerGroup", {})
    j2.complete("tok-3", gone.address, gone)
    j2.close()
    r = run("state", "rm", "-state", str(saved), "alicloud_slb_server_group.journaled")
    assert r.exit_code == 0, r.output
    assert "alicloud_slb_server_group.journaled" not in _addresses(saved)  # the replay does not undo the rm
    from planner.state.journal import Journal

    left = Journal(j.path)
    assert left.completions() == [] and [p.token for p in left.pending()] == ["tok-2"]


def test_rm_warns_about_dependents_left_behind(saved: Path) -> None:
    r = run("state", "rm", "-state", str(saved), "alicloud_slb_server_group.g")
    assert r.exit_code == 0
    assert "alicloud_slb_listener.http[1] depends on alicloud_slb_server_group.g" in r.stderr
    assert "alicloud_slb_listener.http[0]" not in r.stderr


def test_corrupt_state_is_a_message_not_a_traceback(saved: Path) -> None:
    saved.write_text('{"version": 1, "serial": ')
    for args in (("state", "list"), ("state", "show", "alicloud_slb_server_group.g"),
                 ("state", "rm", "alicloud_slb_server_group.g")):
        r = run(*args[:2], "-state", str(saved), *args[2:])
        assert r.exit_code == 1 and "corrupt" in r.stderr and str(saved) in r.stderr
        assert "Traceback" not in r.output and "bug in clbplan" not in r.output
    assert not LocalBackend(saved).lock_info_path.exists()
