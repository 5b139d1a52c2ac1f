"""README "Team state on PostgreSQL": its commands block, run as written, against a real PostgreSQL.

The block is taken from the README itself (the ```sh block that names this file), so the README
cannot drift from what works. ``clbplan`` on PATH is this checkout's CLI; PG_CONN_STR is the
throwaway server's, as a team member would export it.
"""

from __future__ import annotations

import os
import re
import stat
import subprocess
import sys
from pathlib import Path

from tests.pg.helpers import REPO, env_for, rows

MAIN_TF = '''
resource "terraform_data" "lb" {
  input = { name = "lb-${terraform.workspace}" }
}
output "name" { value = terraform_data.lb.output.name }
'''


def readme_block() -> str:
    text = (REPO / "README.md").read_text()
    section = text[text.index("## Team state on PostgreSQL"):]
    blocks = re.findall(r"```sh\n(.*?)```", section, re.S)
    ours = [b for b in blocks if "clbplan init -migrate-state" in b]
    assert ours, "the README's team-state commands block is gone"
    assert "test_readme_team_state.py" in section[:section.index(ours[0])]
    return ours[0]


def test_the_readme_commands_run_as_written(tmp_path: Path, pg_url: str) -> None:
    bindir = tmp_path / "bin"
    bindir.mkdir()
    shim = bindir / "clbplan"
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m planner.cli.main "$@"\n')
    shim.chmod(shim.stat().st_mode | stat.S_IEXEC)
    work = tmp_path / "cfg"
    work.mkdir()
    (work / "main.tf").write_text(MAIN_TF)
    env = env_for(pg_url, PATH=f"{bindir}{os.pathsep}{os.environ.get('PATH', '')}")
    r = subprocess.run(["bash", "-euo", "pipefail", "-c", readme_block()], cwd=work, env=env,
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "Traceback" not in r.stdout + r.stderr
    docs = rows(pg_url, "clb_prod")
    assert set(docs) == {"default", "staging"}
    assert docs["default"]["outputs"]["name"]["value"] == "lb-default"
    assert docs["staging"]["outputs"]["name"]["value"] == "lb-staging"
    assert (work / "backup.tfstate").read_text().strip() and '"lb-default"' in (work / "backup.tfstate").read_text()
    assert "terraform_data.lb\n" in r.stdout and "  default\n* staging\n" in r.stdout, r.stdout
