"""backend "pg" against a real PostgreSQL: Terraform's layout, workspaces, locks, bad input."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import psycopg

from tests.pg.helpers import SCHEMA, clbplan, env_for, popen, rows, state_instances, write_config

FAULTY_CLI = Path(__file__).resolve().parents[1] / "engine" / "faulty_cli.py"

TF = '''
resource "terraform_data" "lb" {
  input = { name = "lb-${terraform.workspace}", ports = [80, 443] }
}
output "name" { value = terraform_data.lb.output.name }
'''


def test_apply_writes_terraforms_table_layout(tmp_path: Path, pg_url: str) -> None:
    work = write_config(tmp_path / "cfg", TF)
    r = clbplan(work, pg_url, "apply", "-auto-approve")
    assert r.returncode == 0, r.stdout + r.stderr
    assert not list(work.glob("*.tfstate"))  # nothing local: the state is in the database
    with psycopg.connect(pg_url) as conn:
        cols = conn.execute("SELECT column_name, data_type FROM information_schema.columns WHERE "
                            "table_schema = %s AND table_name = 'states' ORDER BY ordinal_position",
                            (SCHEMA,)).fetchall()
        assert cols == [("id", "bigint"), ("name", "text"), ("data", "text")]
        idx = {r[0] for r in conn.execute("SELECT indexname FROM pg_indexes WHERE schemaname = %s "
                                          "AND tablename = 'states'", (SCHEMA,))}
        assert {"states_pkey", "states_by_name", "states_name_key"} <= idx
        assert conn.execute("SELECT count(*) FROM pg_sequences WHERE schemaname = 'public' "
                            "AND sequencename = 'global_states_id_seq'").fetchone()[0] == 1
    doc = rows(pg_url)["default"]
    assert doc["version"] == 4 and doc["outputs"]["name"]["value"] == "lb-default"
    assert doc["resources"][0]["type"] == "terraform_data"
    r = clbplan(work, pg_url, "plan", "-detailed-exitcode")
    assert r.returncode == 0, r.stdout + r.stderr
    r = clbplan(work, pg_url, "state", "list")
    assert r.stdout == "terraform_data.lb\n"


def test_workspaces_are_rows_and_each_command_uses_its_own(tmp_path: Path, pg_url: str) -> None:
    work = write_config(tmp_path / "cfg", TF)
    assert clbplan(work, pg_url, "apply", "-auto-approve").returncode == 0
    r = clbplan(work, pg_url, "workspace", "new", "blue")
    assert r.returncode == 0 and 'Created and switched to workspace "blue"!' in r.stdout, r.stderr
    blue = rows(pg_url)["blue"]
    assert blue["serial"] == 1 and blue["resources"] == []  # Terraform's sentinel row
    r = clbplan(work, pg_url, "apply", "-auto-approve")
    assert r.returncode == 0 and "1 added" in r.stdout, r.stdout + r.stderr
    assert rows(pg_url)["blue"]["outputs"]["name"]["value"] == "lb-blue"
    assert rows(pg_url)["default"]["outputs"]["name"]["value"] == "lb-default"
    r = clbplan(work, pg_url, "workspace", "list")
    assert r.stdout == "  default\n* blue\n\n"
    r = clbplan(work, pg_url, "plan", "-detailed-exitcode", TF_WORKSPACE="green")
    assert r.returncode == 2 and "1 to add" in r.stdout, r.stdout + r.stderr  # green's own (empty) state
    assert clbplan(work, pg_url, "workspace", "select", "default").returncode == 0
    r = clbplan(work, pg_url, "workspace", "delete", "blue")
    assert r.returncode == 1 and "not empty" in r.stdout + r.stderr
    r = clbplan(work, pg_url, "workspace", "delete", "-force", "blue")
    assert r.returncode == 0, r.stderr
    assert set(rows(pg_url)) == {"default"}


HOLD = r'''
import sys, time
from planner.state.pg import PgBackend, PgSettings
b = PgBackend(PgSettings(conn_str=sys.argv[1]), sys.argv[2])
with b.lock("apply") as info:
    print(info.id, flush=True)
    time.sleep(float(sys.argv[3]))
'''


def _holder(url: str, workspace: str = "default", seconds: float = 900) -> tuple[subprocess.Popen, str]:
    """A process holding the workspace's lock until the test kills it. ``seconds`` only bounds a holder a
    crashed test leaves behind: a loaded CI machine took over 60 s for the apply and plan between taking
    the lock and the check that needs it held (the plan found it free and exited 0)."""
    proc = subprocess.Popen([sys.executable, "-c", HOLD, url, workspace, str(seconds)], env=env_for(url),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = proc.stdout.readline().strip()
    assert line, proc.stderr.read()
    return proc, line


def test_a_second_run_fails_naming_the_holder_and_a_dead_holder_frees_the_lock(tmp_path: Path,
                                                                                 pg_url: str) -> None:
    work = write_config(tmp_path / "cfg", TF)
    assert clbplan(work, pg_url, "apply", "-auto-approve").returncode == 0
    proc, lock_id = _holder(pg_url)
    try:
        r = clbplan(work, pg_url, "apply", "-auto-approve")
        assert r.returncode == 1
        err = r.stdout + r.stderr
        assert "Error acquiring the state lock" in err and lock_id in err and "Workspace is already locked" in err
        assert "Who:" in err and "Operation: apply" in err and "Created:" in err and "PostgreSQL backend pid" in err
        assert "Traceback" not in err
        started = time.monotonic()
        r = clbplan(work, pg_url, "plan", "-lock-timeout=2s")
        assert r.returncode == 1 and time.monotonic() - started >= 2
        r = clbplan(work, pg_url, "plan", "-lock=false")  # read-only: allowed without the lock
        assert r.returncode == 0, r.stdout + r.stderr
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    # the killed holder's connection dropped: its advisory lock went with it
    r = clbplan(work, pg_url, "apply", "-auto-approve", "-lock-timeout=10s")
    assert r.returncode == 0, r.stdout + r.stderr


def test_force_unlock_ends_a_hung_holders_session(tmp_path: Path, pg_url: str) -> None:
    work = write_config(tmp_path / "cfg", TF)
    assert clbplan(work, pg_url, "apply", "-auto-approve").returncode == 0
    proc, lock_id = _holder(pg_url)
    try:
        r = clbplan(work, pg_url, "force-unlock", "-force", "not-the-id")
        assert r.returncode == 1 and lock_id in r.stdout + r.stderr
        r = clbplan(work, pg_url, "force-unlock", "-force", lock_id)
        assert r.returncode == 0, r.stdout + r.stderr
        r = clbplan(work, pg_url, "apply", "-auto-approve", "-lock-timeout=10s")
        assert r.returncode == 0, r.stdout + r.stderr
    finally:
        proc.kill()
        proc.wait()


def _bad(work: Path, url: str, *needles: str, secret: str | None = None) -> str:
    r = clbplan(work, url, "plan")
    out = r.stdout + r.stderr
    assert r.returncode == 1, out
    assert "Traceback" not in out and "bug in clbplan" not in out, out
    for n in needles:
        assert n in out, out
    if secret:
        assert secret not in out, out
    return out


def test_unreachable_database_and_wrong_password(tmp_path: Path, pg_server, pg_db: str) -> None:
    work = write_config(tmp_path / "cfg", TF)
    dead = f"postgresql://postgres:sup3rsecret@127.0.0.1:1/{pg_db}?connect_timeout=3"
    _bad(work, dead, "127.0.0.1:1", "connection", secret="sup3rsecret")
    wrong = pg_server.url(pg_db, password="n0t-the-password")
    out = _bad(work, wrong, f"postgres@127.0.0.1:{pg_server.port}/{pg_db}", "password", secret="n0t-the-password")
    assert "user and password" in out


def test_a_schema_with_another_layout_is_refused_untouched(tmp_path: Path, pg_url: str) -> None:
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {SCHEMA}")
        conn.execute(f"CREATE TABLE {SCHEMA}.states (key text PRIMARY KEY, body jsonb)")
        conn.execute(f"INSERT INTO {SCHEMA}.states VALUES ('x', '{{}}')")
    work = write_config(tmp_path / "cfg", TF)
    _bad(work, pg_url, "another layout", "key text", "schema_name")
    with psycopg.connect(pg_url) as conn:
        assert conn.execute(f"SELECT key FROM {SCHEMA}.states").fetchall() == [("x",)]


def test_a_state_row_that_is_not_json_is_a_clear_error(tmp_path: Path, pg_url: str) -> None:
    work = write_config(tmp_path / "cfg", TF)
    assert clbplan(work, pg_url, "apply", "-auto-approve").returncode == 0
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(f"UPDATE {SCHEMA}.states SET data = 'not json {{' WHERE name = 'default'")
    _bad(work, pg_url, 'state row "default"', "not JSON")
    r = clbplan(work, pg_url, "apply", "-auto-approve")
    assert r.returncode == 1
    with psycopg.connect(pg_url) as conn:  # nothing overwritten
        assert conn.execute(f"SELECT data FROM {SCHEMA}.states WHERE name = 'default'").fetchone()[0] == "not json {"


def test_backend_arguments_and_environment(tmp_path: Path, pg_server, pg_db: str) -> None:
    work = tmp_path / "cfg"
    work.mkdir()
    (work / "main.tf").write_text(TF)
    (work / "backend.tf").write_text('terraform {\n  backend "pg" {\n    schema_name = "team_a"\n  }\n}\n')
    # libpq's own variables: no conn_str at all
    env = {"PG_CONN_STR": "", "PGHOST": "127.0.0.1", "PGPORT": str(pg_server.port), "PGUSER": "postgres",
           "PGPASSWORD": pg_server.password, "PGDATABASE": pg_db}
    r = clbplan(work, "", "apply", "-auto-approve", **env)
    assert r.returncode == 0, r.stdout + r.stderr
    assert rows(pg_server.url(pg_db), "team_a")["default"]["outputs"]["name"]["value"] == "lb-default"
    (work / "backend.tf").write_text('terraform {\n  backend "pg" {\n    schema_name = "nope"\n'
                                     '    skip_schema_creation = true\n  }\n}\n')
    out = _bad(work, pg_server.url(pg_db), "nope does not exist")
    assert pg_server.password not in out
    (work / "backend.tf").write_text('terraform {\n  backend "pg" {\n    bucket = "x"\n  }\n}\n')
    _bad(work, pg_server.url(pg_db), "Unsupported argument", "bucket")


def test_eight_workspaces_applied_at_once_all_converge(tmp_path: Path, pg_url: str) -> None:
    work = write_config(tmp_path / "cfg", TF)
    names = [f"ws{i}" for i in range(8)]
    procs = [popen(work, pg_url, "apply", "-auto-approve", "-lock-timeout=60s", TF_WORKSPACE=n) for n in names]
    for p in procs:
        out, err = p.communicate(timeout=300)
        assert p.returncode == 0, out + err
    docs = rows(pg_url)
    for n in names:
        assert docs[n]["outputs"]["name"]["value"] == f"lb-{n}"
        assert len(state_instances(pg_url, n)) == 1
        r = clbplan(work, pg_url, "plan", "-detailed-exitcode", TF_WORKSPACE=n)
        assert r.returncode == 0, r.stdout + r.stderr


SLOW_TF = '''
resource "time_sleep" "hold" {
  create_duration = "4s"
  triggers        = { port = "PORT" }
}
resource "terraform_data" "lb" {
  input = { port = PORT }
}
'''


def test_four_runs_on_one_workspace_one_applies_the_others_name_it(tmp_path: Path, pg_url: str) -> None:
    copies = [write_config(tmp_path / f"cfg{i}", SLOW_TF.replace("PORT", str(8000 + i))) for i in range(4)]
    # the winner's time_sleep also waits for a gate the test opens once the other three have exited:
    # a run that started late on a loaded machine can no longer find the lock already free
    gate = tmp_path / "go"
    procs = [subprocess.Popen([sys.executable, str(FAULTY_CLI), "apply", "-auto-approve"], cwd=str(d),
                              env=env_for(pg_url, CLBPLAN_TEST_SLEEP_GATE=str(gate)), stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for d in copies]
    deadline = time.monotonic() + 300
    while sum(p.poll() is not None for p in procs) < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    gate.touch()
    results = [(p, *p.communicate(timeout=300)) for p in procs]
    ok = [i for i, (p, _o, _e) in enumerate(results) if p.returncode == 0]
    assert len(ok) == 1, [o + e for _p, o, e in results]
    for i, (_p, out, err) in enumerate(results):
        if i != ok[0]:
            text = out + err
            assert "Error acquiring the state lock" in text and "Who:" in text and "Operation: apply" in text, text
    # the final state is exactly the one run's
    doc = rows(pg_url)["default"]
    data = next(r for r in doc["resources"] if r["type"] == "terraform_data")
    assert data["instances"][0]["attributes"]["input"]["value"] == {"port": 8000 + ok[0]}
    # and with -lock-timeout the others wait their turn instead, each applying in order
    procs = [popen(d, pg_url, "apply", "-auto-approve", "-lock-timeout=120s") for d in copies]
    for p in procs:
        out, err = p.communicate(timeout=400)
        assert p.returncode == 0, out + err
