"""Terraform itself on the pg tables: each tool reads the other's state, workspaces and locks.

The real ``terraform`` binary (1.11, its pg backend built in, ``terraform_data`` needing no plugin)
runs offline against the throwaway PostgreSQL. Tests that need it skip cleanly without it; what it
wrote is recorded under ``fixtures/`` (``terraform_pg_rows.json``: the ``states`` rows of
``terraform_pg.tf`` after ``init``/``apply``/``workspace new blue``; ``terraform_lock_refused.txt``:
what ``terraform plan`` printed while clbplan held the lock), so the reading side runs everywhere.

One connection string serves both tools, as a team would set it: Terraform's lib/pq defaults to
``sslmode=require``, so a server without TLS needs ``?sslmode=disable`` in ``PG_CONN_STR``.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest

from tests.pg.helpers import SCHEMA, clbplan, env_for, rows

FIXTURES = Path(__file__).parent / "fixtures"
TERRAFORM = shutil.which("terraform")
needs_terraform = pytest.mark.skipif(TERRAFORM is None, reason="the terraform binary is not installed")


@pytest.fixture
def url(pg_url: str) -> str:
    return pg_url + "?sslmode=disable"  # lib/pq (Terraform) would require TLS; psycopg takes it too


def terraform(work: Path, url: str, *args: str, stdin: str | None = None, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([TERRAFORM, *args], cwd=work, env=_tf_env(url, **env), input=stdin,
                          capture_output=True, text=True, timeout=180)


def _tf_env(url: str, **extra: str) -> dict[str, str]:
    env = env_for(url, TF_CLI_CONFIG_FILE="/dev/null", TF_IN_AUTOMATION="1", CHECKPOINT_DISABLE="1")
    env.update(extra)
    return env


def _config(work: Path) -> Path:
    work.mkdir(parents=True, exist_ok=True)
    shutil.copy(FIXTURES / "terraform_pg.tf", work / "main.tf")
    return work


def _ok(r: subprocess.CompletedProcess) -> str:
    assert r.returncode == 0, r.stdout + r.stderr
    return r.stdout


def _wait_for(what: str, check, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def _advisory_holders(url: str) -> list[int]:
    with psycopg.connect(url) as conn:
        return [r[0] for r in conn.execute("SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted "
                                           "AND objsubid = 1 AND pid <> pg_backend_pid()").fetchall()]


def _clbplan_recorded_holder(url: str) -> bool:
    with psycopg.connect(url) as conn:
        try:
            return conn.execute(f"SELECT count(*) FROM {SCHEMA}.clbplan_locks").fetchone()[0] > 0
        except psycopg.errors.UndefinedTable:
            return False


# ---------------------------------------------------------------- recorded: runs without terraform

# Terraform's DDL, exactly (shared/reference/terraform-interop.md 2.2): the rows go into tables
# Terraform made, not ones clbplan made for itself
TERRAFORM_DDL = [
    f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}",
    "CREATE SEQUENCE IF NOT EXISTS public.global_states_id_seq AS bigint",
    f"CREATE TABLE IF NOT EXISTS {SCHEMA}.states (id bigint NOT NULL DEFAULT "
    f"nextval('public.global_states_id_seq') PRIMARY KEY, name text UNIQUE, data text)",
    f"CREATE UNIQUE INDEX IF NOT EXISTS states_by_name ON {SCHEMA}.states (name)",
]


def test_rows_terraform_wrote_plan_empty_in_clbplan(tmp_path: Path, url: str) -> None:
    recorded = json.loads((FIXTURES / "terraform_pg_rows.json").read_text())
    with psycopg.connect(url, autocommit=True) as conn:
        for sql in TERRAFORM_DDL:
            conn.execute(sql)
        for row in recorded["rows"]:
            conn.execute(f"INSERT INTO {SCHEMA}.states (id, name, data) VALUES (%s, %s, %s)",
                         (row["id"], row["name"], row["data"]))
    work = _config(tmp_path / "cfg")
    r = clbplan(work, url, "plan", "-detailed-exitcode")
    assert r.returncode == 0 and "No changes." in r.stdout, r.stdout + r.stderr
    assert _ok(clbplan(work, url, "state", "list")).split() == [
        "terraform_data.pool[0]", "terraform_data.pool[1]", "terraform_data.web"]
    assert _ok(clbplan(work, url, "workspace", "list")) == "* default\n  blue\n\n"
    assert _ok(clbplan(work, url, "output", "-raw", "name")) == "web-default"
    # blue is Terraform's sentinel row (an empty state): clbplan plans to create there, nothing else
    r = clbplan(work, url, "plan", "-detailed-exitcode", TF_WORKSPACE="blue")
    assert r.returncode == 2 and "3 to add, 0 to change, 0 to destroy" in r.stdout, r.stdout + r.stderr
    # a plan wrote nothing: the rows are byte-for-byte Terraform's
    after = rows(url)
    for row in recorded["rows"]:
        assert after[row["name"]] == json.loads(row["data"])


# ---------------------------------------------------------------- live: the terraform binary


@needs_terraform
def test_terraform_writes_the_tables_and_clbplan_reads_them(tmp_path: Path, url: str) -> None:
    work = _config(tmp_path / "cfg")
    _ok(terraform(work, url, "init", "-input=false", "-no-color"))
    _ok(terraform(work, url, "apply", "-auto-approve", "-input=false", "-no-color"))
    _ok(terraform(work, url, "workspace", "new", "blue", "-no-color"))
    # the selected workspace is Terraform's .terraform/environment: clbplan follows it
    assert _ok(clbplan(work, url, "workspace", "show")) == "blue\n"
    _ok(terraform(work, url, "workspace", "select", "default", "-no-color"))

    # what Terraform wrote has the shape recorded in the fixture (so the recorded test stays honest)
    recorded = {r["name"]: json.loads(r["data"]) for r in
                json.loads((FIXTURES / "terraform_pg_rows.json").read_text())["rows"]}
    live = rows(url)

    def shape(doc: dict) -> list:
        return [(r["type"], r["name"], r["provider"], [sorted(i) for i in r["instances"]],
                 [sorted(i["attributes"]) for i in r["instances"]]) for r in doc["resources"]]

    assert sorted(live) == sorted(recorded)
    assert shape(live["default"]) == shape(recorded["default"]) and live["blue"]["resources"] == []

    r = clbplan(work, url, "plan", "-detailed-exitcode")
    assert r.returncode == 0 and "No changes." in r.stdout, r.stdout + r.stderr
    assert _ok(clbplan(work, url, "state", "list")) == _ok(terraform(work, url, "state", "list"))
    assert _ok(clbplan(work, url, "workspace", "list")) == _ok(terraform(work, url, "workspace", "list",
                                                                          "-no-color"))
    assert _ok(clbplan(work, url, "output", "-raw", "name")) == _ok(terraform(work, url, "output", "-raw", "name"))
    # an apply by clbplan on Terraform's row keeps Terraform's lineage and moves the serial on
    before = rows(url)["default"]
    (work / "main.tf").write_text((work / "main.tf").read_text().replace('"pool-${', '"pool-v2-${'))
    r = clbplan(work, url, "apply", "-auto-approve")
    assert r.returncode == 0 and "2 changed" in r.stdout, r.stdout + r.stderr
    after = rows(url)["default"]
    assert after["lineage"] == before["lineage"] and after["serial"] == before["serial"] + 1
    # ... and Terraform agrees nothing is left to do
    r = terraform(work, url, "plan", "-detailed-exitcode", "-input=false", "-no-color", "-lock-timeout=0s")
    assert r.returncode == 0, r.stdout + r.stderr


@needs_terraform
def test_clbplan_writes_the_tables_and_terraform_reads_them(tmp_path: Path, url: str) -> None:
    work = _config(tmp_path / "cfg")
    # clbplan first, on an empty database: it creates Terraform's schema, table and index itself
    r = clbplan(work, url, "apply", "-auto-approve")
    assert r.returncode == 0 and "3 added" in r.stdout, r.stdout + r.stderr
    _ok(clbplan(work, url, "workspace", "new", "green"))
    assert "3 added" in _ok(clbplan(work, url, "apply", "-auto-approve"))
    _ok(clbplan(work, url, "workspace", "select", "default"))

    _ok(terraform(work, url, "init", "-input=false", "-no-color"))
    assert _ok(terraform(work, url, "state", "list")).split() == [
        "terraform_data.pool[0]", "terraform_data.pool[1]", "terraform_data.web"]
    assert _ok(terraform(work, url, "workspace", "list", "-no-color")) == "* default\n  green\n\n"
    for ws in ("default", "green"):
        r = terraform(work, url, "plan", "-detailed-exitcode", "-input=false", "-no-color", "-lock-timeout=0s",
                      TF_WORKSPACE=ws)
        assert r.returncode == 0 and "No changes." in r.stdout, (ws, r.stdout + r.stderr)
        shown = json.loads(_ok(terraform(work, url, "show", "-json", TF_WORKSPACE=ws)))
        web = next(x for x in shown["values"]["root_module"]["resources"] if x["address"] == "terraform_data.web")
        assert web["values"]["input"] == {"name": f"web-{ws}", "ports": [80, 443]}
        assert shown["values"]["outputs"]["name"]["value"] == f"web-{ws}"
    # Terraform's next write goes on from clbplan's lineage and serial, and clbplan then plans empty
    before = rows(url)["default"]
    (work / "main.tf").write_text((work / "main.tf").read_text().replace("[80, 443]", "[80, 8443]"))
    _ok(terraform(work, url, "apply", "-auto-approve", "-input=false", "-no-color"))
    after = rows(url)["default"]
    assert after["lineage"] == before["lineage"] and after["serial"] == before["serial"] + 1
    r = clbplan(work, url, "plan", "-detailed-exitcode")
    assert r.returncode == 0, r.stdout + r.stderr


def _normalise_lock_message(text: str) -> str:
    text = re.sub(r"(ID: +)\S+", r"\1<id>", text)
    text = re.sub(r"(Who: +).*", r"\1<who>", text)
    text = re.sub(r"(Created: +).*", r"\1<created>", text)
    return re.sub(r"(Version: +)\d+\.\d+\.\d+", r"\1<version>", text)


@needs_terraform
def test_locks_are_shared_with_terraform_both_ways(tmp_path: Path, url: str) -> None:
    work = _config(tmp_path / "cfg")
    _ok(clbplan(work, url, "apply", "-auto-approve"))
    _ok(terraform(work, url, "init", "-input=false", "-no-color"))
    (work / "main.tf").write_text((work / "main.tf").read_text().replace('"pool-${', '"pool-v2-${'))

    # clbplan holds the workspace lock (an apply waiting for its approval): Terraform is refused
    holder = subprocess.Popen([sys.executable, "-m", "planner.cli.main", "apply"], cwd=work, env=env_for(url),
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        _wait_for("clbplan to take and record the lock", lambda: _clbplan_recorded_holder(url))
        r = terraform(work, url, "plan", "-lock-timeout=0s", "-input=false", "-no-color")
        assert r.returncode == 1, r.stdout + r.stderr
        got = _normalise_lock_message(r.stderr).strip()
        assert got == (FIXTURES / "terraform_lock_refused.txt").read_text().strip(), r.stderr
    finally:
        out, err = holder.communicate("no\n", timeout=120)
    assert "Apply cancelled." in out + err, out + err
    _ok(terraform(work, url, "plan", "-lock-timeout=0s", "-input=false", "-no-color"))

    # Terraform holds it (its apply waiting for approval): clbplan is refused and names it
    tf = subprocess.Popen([TERRAFORM, "apply", "-input=true", "-no-color"], cwd=work, env=_tf_env(url),
                          stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        _wait_for("terraform to take the lock", lambda: bool(_advisory_holders(url)))
        tf_pid = _advisory_holders(url)[0]
        for args in (("plan",), ("apply", "-auto-approve")):
            r = clbplan(work, url, *args)
            err = r.stdout + r.stderr
            assert r.returncode == 1, err
            assert "Error acquiring the state lock" in err and "Workspace is already locked: default" in err
            assert "Terraform or another tool" in err and "the holder recorded none" in err, err
            assert f"PostgreSQL backend pid {tf_pid}" in err and f"pg_terminate_backend({tf_pid})" in err, err
            assert "Traceback" not in err
        r = clbplan(work, url, "plan", "-lock=false")  # read-only, as Terraform allows it
        assert r.returncode == 0 and "2 to change" in r.stdout, r.stdout + r.stderr
    finally:
        tf_out, tf_err = tf.communicate("no\n", timeout=120)
    assert "Apply cancelled." in tf_out + tf_err, tf_out + tf_err
    # the lock went with Terraform's connection: clbplan runs now, and nothing was written meanwhile
    r = clbplan(work, url, "apply", "-auto-approve", "-lock-timeout=10s")
    assert r.returncode == 0 and "2 changed" in r.stdout, r.stdout + r.stderr
    r = terraform(work, url, "plan", "-detailed-exitcode", "-input=false", "-no-color")
    assert r.returncode == 0, r.stdout + r.stderr

