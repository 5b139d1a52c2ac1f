"""``apply -lock=false`` and ``destroy -lock=false`` against a real PostgreSQL, as Terraform has them.

The flag is for the day the lock cannot be taken (a stuck holder nobody can end, a database role
without advisory-lock rights): the run goes on without it, and clbplan says, once, on stderr, what
that risks. What it never does without the lock is finish another run's pending operations: only
the lock proves that run is gone.
"""

from __future__ import annotations

from pathlib import Path

import psycopg

from tests.pg.helpers import SCHEMA, clbplan, rows, state_instances, write_config
from tests.pg.test_pg_backend import TF, _holder

WARNING = "Warning: State locking is disabled (-lock=false)"


def _advisory_locks_of_others(url: str) -> int:
    with psycopg.connect(url) as conn:
        return conn.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted "
                            "AND pid <> pg_backend_pid()").fetchone()[0]


def test_apply_and_destroy_run_without_the_lock_while_another_holds_it(tmp_path: Path, pg_url: str) -> None:
    work = write_config(tmp_path / "cfg", TF)
    assert clbplan(work, pg_url, "apply", "-auto-approve").returncode == 0
    (work / "main.tf").write_text(TF.replace("ports = [80, 443]", "ports = [80, 8443]"))
    proc, lock_id = _holder(pg_url)
    try:
        r = clbplan(work, pg_url, "apply", "-auto-approve")
        assert r.returncode == 1 and lock_id in r.stdout + r.stderr  # with the lock: refused, as before
        r = clbplan(work, pg_url, "apply", "-auto-approve", "-lock=false")
        assert r.returncode == 0 and "1 changed" in r.stdout, r.stdout + r.stderr
        assert r.stderr.count(WARNING) == 1 and 'pg workspace "default"' in r.stderr, r.stderr
        assert WARNING not in r.stdout  # stdout stays the report
        doc = rows(pg_url)["default"]
        assert doc["resources"][0]["instances"][0]["attributes"]["input"]["value"]["ports"] == [80, 8443]
        # the holder's lock and its record are untouched: it still holds the workspace
        with psycopg.connect(pg_url) as conn:
            recorded = conn.execute(f"SELECT info FROM {SCHEMA}.clbplan_locks").fetchall()
        assert len(recorded) == 1 and lock_id in recorded[0][0]
        assert _advisory_locks_of_others(pg_url) == 1
        r = clbplan(work, pg_url, "destroy", "-auto-approve", "-lock=false")
        assert r.returncode == 0 and "1 destroyed" in r.stdout, r.stdout + r.stderr
        assert r.stderr.count(WARNING) == 1
        assert state_instances(pg_url) == []
    finally:
        proc.kill()
        proc.wait()
    r = clbplan(work, pg_url, "plan", "-detailed-exitcode")
    assert r.returncode == 2 and "1 to add" in r.stdout, r.stdout + r.stderr


def test_an_unlocked_apply_never_recovers_pending_operations(tmp_path: Path, pg_url: str) -> None:
    from planner.addresses import ResourceAddress
    from planner.state.pg import PgBackend, PgSettings

    work = write_config(tmp_path / "cfg", TF)
    assert clbplan(work, pg_url, "apply", "-auto-approve").returncode == 0
    before = rows(pg_url)["default"]
    pg = PgBackend(PgSettings(conn_str=pg_url))
    with pg.journal(before["lineage"]) as j:  # an apply that died (or is still running) after this intent
        j.intent("clbplan-tok-pending", ResourceAddress("terraform_data", "lb"), "update", {"op": "x"})
    pg.close()
    r = clbplan(work, pg_url, "apply", "-auto-approve", "-lock=false")
    out = r.stdout + r.stderr
    assert r.returncode == 1 and "need the state lock to be recovered" in out and "1 operation(s)" in out, out
    assert "without -lock=false" in out and "Traceback" not in out
    assert rows(pg_url)["default"] == before  # nothing changed
    pg = PgBackend(PgSettings(conn_str=pg_url))
    assert [p.token for p in pg.journal(before["lineage"]).pending()] == ["clbplan-tok-pending"]
    pg.close()
    # a plan -lock=false reads it and only warns, as a locked plan does
    r = clbplan(work, pg_url, "plan", "-lock=false")
    assert r.returncode == 0 and "was interrupted" in r.stderr, r.stdout + r.stderr
