"""Running the real CLI against a pg backend: configuration, environment, and reading the tables."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import psycopg

REPO = Path(__file__).resolve().parents[2]
PG_BACKEND = 'terraform {\n  backend "pg" {}\n}\n'  # the connection comes from PG_CONN_STR, as teams do
SCHEMA = "terraform_remote_state"


def write_config(directory: Path, main_tf: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "main.tf").write_text(main_tf)
    (directory / "backend.tf").write_text(PG_BACKEND)
    return directory


def env_for(url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PG", "TF_WORKSPACE")) and k not in ("CLBPLAN_DEBUG", "CLBPLAN_TEST_FAULTS")}
    env["PG_CONN_STR"] = url
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    env.update(extra)
    return env


def clbplan(workdir: Path, url: str, *args: str, timeout: float = 180, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "planner.cli.main", *args], cwd=str(workdir),
                          env=env_for(url, **env), capture_output=True, text=True, timeout=timeout)


def popen(workdir: Path, url: str, *args: str, **env: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "planner.cli.main", *args], cwd=str(workdir),
                            env=env_for(url, **env), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def rows(url: str, schema: str = SCHEMA) -> dict[str, dict]:
    """workspace name -> parsed state document, straight from Terraform's table."""
    with psycopg.connect(url) as conn:
        try:
            found = conn.execute(f'SELECT name, data FROM "{schema}".states ORDER BY id').fetchall()
        except psycopg.errors.UndefinedTable:
            return {}  # nothing has run yet
        return {n: (json.loads(d) if d else {}) for n, d in found}


def state_instances(url: str, workspace: str = "default") -> list[dict]:
    from planner.state.tfstate import flat_instances

    return flat_instances(rows(url).get(workspace, {}))
