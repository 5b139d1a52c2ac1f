"""Where a saved plan was made: folder, workspace, backend and commit, for the review's header.

A reviewer reading a plan comment on a pull request asks which configuration, which state and which
commit it was made from before reading a single change. These facts are recorded when the plan is
saved (the comment is often rendered later, elsewhere, from the artifact) and are informative only:
what `apply PLANFILE` checks is the lineage, serial, configuration hash and backend, never these.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

from planner.state.workspaces import current_workspace

CONFIG_SUFFIXES = (".tf", ".tf.json", ".tfvars", ".tfvars.json", ".terraform.lock.hcl")


def _git(workdir: Path, *args: str) -> str | None:
    try:
        done = subprocess.run(["git", "-C", str(workdir), *args], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None  # no git on this machine
    return done.stdout.strip() if done.returncode == 0 else None


def review_context(workdir: Path, state_path: Path) -> dict[str, Any]:
    """The facts, as plain JSON values; ``commit`` is absent outside a git checkout."""
    workdir = workdir.resolve()
    top = _git(workdir, "rev-parse", "--show-toplevel")
    folder = str(workdir.relative_to(top)) if top and workdir.is_relative_to(top) else workdir.name
    where = str(state_path)
    if where.startswith("/pg:"):  # PgBackend.path: target (never a password), schema, workspace
        backend = {"type": "pg", "where": where[len("/pg:"):].rsplit("/", 1)[0]}
    else:
        path = Path(state_path).resolve()
        backend = {"type": "local", "where": str(path.relative_to(workdir)) if path.is_relative_to(workdir)
                   else str(path)}
    context: dict[str, Any] = {"folder": folder or ".", "workspace": current_workspace(workdir), "backend": backend}
    commit = _git(workdir, "rev-parse", "HEAD") if top else None
    if commit:
        context["commit"] = commit
        status = _git(workdir, "status", "--porcelain", "--untracked-files=all", "--", ".") or ""
        # the configuration only: a plan file or a log beside it does not make the commit a lie
        context["uncommitted"] = any(line[3:].strip('"').endswith(CONFIG_SUFFIXES) for line in status.splitlines())
    return context
