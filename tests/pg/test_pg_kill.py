"""Kill across machines: ``clbplan apply``/``destroy`` with the pg backend is SIGKILLed at random points;
a second process in ANOTHER working directory (another runner: no local file is shared, only the
database and the cloud) then finishes the job. Nothing may be created twice, nothing forgotten, and
the next plan must be empty. The cloud is the emulator served over HTTP so both processes share it.

Also: PostgreSQL restarted in the middle of an apply. The apply fails with a clear error, the row
holds the last checkpoint, and the next apply converges.

The default run kills a few times; the ``slow`` campaign kills at least 20 times.
"""

from __future__ import annotations

import random
import shutil
import threading
import time
from pathlib import Path

import pytest

from tests.engine.stack import (
    EngineCloud,
    apply_ok,
    assert_converged,
    cloud_counts,
    expected_objects,
)
from tests.engine.test_kill import run_and_kill
from tests.pg.helpers import PG_BACKEND, rows
from tests.support.progress import finished

LBS, RULES = 2, 1


@pytest.fixture
def cloud(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pg_url: str):
    monkeypatch.setenv("PG_CONN_STR", pg_url)
    monkeypatch.delenv("TF_WORKSPACE", raising=False)
    c = EngineCloud("http", tmp_path)
    c.state_reader = lambda: rows(pg_url).get("default") or {}
    c.write(lbs=LBS, rules=RULES)
    (c.work / "backend.tf").write_text(PG_BACKEND)
    other = tmp_path / "runner-b"
    other.mkdir()
    for tf in c.work.glob("*.tf"):
        shutil.copy(tf, other / tf.name)
    for pem in c.work.glob("*.pem"):
        shutil.copy(pem, other / pem.name)
    c.runner_a, c.runner_b = c.work, other
    try:
        yield c
    finally:
        c.close()


def _campaign(cloud: EngineCloud, kills: int, seed: int) -> None:
    rng = random.Random(seed)
    total = sum(expected_objects(lbs=LBS, rules=RULES).values())
    for i in range(kills):
        destroying = i % 2 == 1
        cloud.work = cloud.runner_a
        command = "destroy" if destroying else "apply"
        after = rng.randint(1, 12)
        run_and_kill(cloud, command, after, rng.uniform(0.0, 0.03))
        assert not list(cloud.runner_a.glob("*.tfstate*")) and not (cloud.runner_a / ".clbplan" / "journal").exists()
        # another runner, in another directory, picks up from the database
        cloud.work = cloud.runner_b
        if destroying:
            done, _ = cloud.run("destroy", "-auto-approve")
            assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
            assert sum(cloud_counts(cloud).values()) == 0, cloud_counts(cloud)
            assert not (rows_default := cloud.state_reader()).get("resources"), rows_default
            plan, _ = cloud.run("plan", "-destroy", "-detailed-exitcode")
            assert plan.returncode == 0, plan.stdout[-2000:] + plan.stderr[-2000:]
        else:
            made = sum(cloud_counts(cloud).values())
            assert made < total
            apply_ok(cloud)
            assert_converged(cloud, f"kill #{i + 1} (after {after} operations) and recovery on another runner",
                             lbs=LBS, rules=RULES)


@pytest.mark.wire
def test_killed_applies_are_finished_by_another_runner(cloud: EngineCloud) -> None:
    _campaign(cloud, kills=2, seed=7)


@pytest.mark.wire
@pytest.mark.slow
def test_twenty_random_kills_across_runners(cloud: EngineCloud) -> None:
    _campaign(cloud, kills=20, seed=2026)


@pytest.mark.wire
def test_postgresql_restart_during_an_apply(cloud: EngineCloud, pg_server) -> None:
    cloud.use_faults("latency=0.05")
    before = cloud.state_reader()
    proc = cloud.popen("apply", "-auto-approve")
    assert proc.stdout is not None
    seen = 0
    for line in proc.stdout:  # Terraform's progress: one "... complete after" line per finished operation
        if finished(line):
            seen += 1
            if seen >= 3:
                break
    pg_server.restart()
    _, err = proc.communicate(timeout=120)
    cloud.use_faults("")
    assert proc.returncode == 1, err[-3000:]
    assert "Traceback" not in err and "PostgreSQL" in err, err[-3000:]
    assert pg_server.password not in err
    # the row holds the last checkpoint (here: the sentinel/empty state written before the first call)
    after = cloud.state_reader()
    assert after.get("lineage") == before.get("lineage") or not before
    time.sleep(0.5)
    apply_ok(cloud)
    assert_converged(cloud, "a PostgreSQL restart mid-apply", lbs=LBS, rules=RULES)


def test_an_acknowledged_intent_survives_a_restart(pg_server, pg_url: str) -> None:
    """The journal's promise under concurrency: every intent() that returned is in the database after
    PostgreSQL restarts under eight writing threads (the restart fails the rest, loudly)."""
    from planner.addresses import ResourceAddress
    from planner.state.pg import PgBackend, PgSettings

    backend = PgBackend(PgSettings(conn_str=pg_url))
    acknowledged: list[str] = []
    with backend.lock("apply"):
        state = backend.read()
        backend.write(state)
        journal = backend.journal(state.lineage)
        stop = threading.Event()

        def worker(k: int) -> None:
            i = 0
            while not stop.is_set():
                token, addr = f"t{k}-{i}", ResourceAddress("alicloud_vpc", f"v{k}_{i}")
                try:
                    journal.intent(token, addr, "create", {})
                except Exception:  # noqa: BLE001 - the restart: this and later records fail
                    return
                acknowledged.append(token)
                if i % 3 == 0:
                    journal.complete(token, addr, None, deleted=True)  # buffered, not waited for
                i += 1
                time.sleep(0.003)

        threads = [threading.Thread(target=worker, args=(k,)) for k in range(8)]
        for t in threads:
            t.start()
        time.sleep(0.8)
        pg_server.restart()
        stop.set()
        for t in threads:
            t.join()
    backend.close()
    again = PgBackend(PgSettings(conn_str=pg_url))
    stored = {r.token for r in again.journal(state.lineage).records() if r.kind == "intent"}
    assert len(acknowledged) > 20
    assert [t for t in acknowledged if t not in stored] == []
    again.close()
