"""A user with no home folder (a container started with a user id that has no password entry, no ``HOME``
and no ``XDG_CACHE_HOME``) still plans: nothing is cached for that user, and no traceback is shown."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

# the password database has no entry for this user: ``Path.home()`` raises, as it does in such a container
_NO_HOME = """
import pwd, sys
def no_entry(uid):
    raise KeyError(f"getpwuid(): uid not found: {uid}")
pwd.getpwuid = no_entry
from planner.cli.main import main
sys.argv = ["clbplan", *sys.argv[1:]]
main()
"""


def test_a_user_without_a_home_folder_plans_without_a_cache(tmp_path: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    (work / "main.tf").write_text('locals {\n  a = 1\n}\n\noutput "a" {\n  value = -(-local.a) + 1\n}\n')
    env = {k: v for k, v in os.environ.items() if k not in ("HOME", "XDG_CACHE_HOME")}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH", "")) if p)
    for args in (["init", "-no-color"], ["plan", "-no-color"]):
        got = subprocess.run([sys.executable, "-c", _NO_HOME, *args], cwd=work, env=env, capture_output=True,
                             text=True, timeout=300)
        assert got.returncode == 0, got.stdout + got.stderr
        assert "Traceback" not in got.stdout + got.stderr
    assert "a = 2" in got.stdout
    assert not list(tmp_path.rglob("hcl-parser-*")) and not list(tmp_path.rglob("*.key"))
