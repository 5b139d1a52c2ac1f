"""A call the embedded cloud committed survives the process being killed, even when the run opened the
cloud twice and another process (a concurrent `clbplan plan`, a test harness) closed its own connection
meanwhile. Opening and closing a descriptor of the database file dropped the run's POSIX locks, so the
other process's close checkpointed and unlinked the WAL the run kept writing into: the kill campaign
lost committed creates and updates this way (3 of 123 kill runs)."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

WRITER = textwrap.dedent("""
    import os, sys
    from planner.emulator.store import Store

    path = sys.argv[1]
    first = Store(path)          # the run's cloud
    second = Store(path)         # opened again in the same process (data sources, verification)
    first.begin(); first.put("meta_test", "before", {"n": 1}); first.commit()
    print("ready", flush=True)
    sys.stdin.readline()         # the other process opens and closes its connection now
    first.begin(); first.put("meta_test", "after", {"n": 2}); first.commit()
    print("committed", flush=True)
    os._exit(0)                  # as a SIGKILL: no close, no checkpoint
""")


def test_commit_survives_a_kill_after_another_process_closed_its_connection(tmp_path: Path) -> None:
    db = tmp_path / ".clbplan" / "emulator.sqlite"
    proc = subprocess.Popen([sys.executable, "-c", WRITER, str(db)], cwd=str(ROOT), text=True,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    assert proc.stdout.readline().strip() == "ready"
    other = sqlite3.connect(str(db))  # e.g. a concurrent plan reading the same cloud
    assert other.execute("SELECT count(*) FROM objects WHERE id = 'before'").fetchone()[0] == 1
    other.close()  # the last connection it believes: tries to checkpoint and delete the WAL
    proc.stdin.write("go\n")
    proc.stdin.flush()
    assert proc.stdout.readline().strip() == "committed"
    proc.wait(timeout=30)

    fresh = sqlite3.connect(str(db))
    ids = {r[0] for r in fresh.execute("SELECT id FROM objects")}
    fresh.close()
    assert ids == {"before", "after"}, f"a committed call was lost: the cloud holds {sorted(ids)}"
