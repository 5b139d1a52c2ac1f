"""Workspaces and the one seam where every command gets its state backend.

Why one seam: before it, each command built a ``LocalBackend`` from its own ``-state`` default, so
``TF_WORKSPACE=prod`` changed ``terraform.workspace`` but planned against the default state, and a
``backend "pg"`` block was silently ignored. ``open_backend`` resolves, in Terraform's order:

- ``-state PATH`` (the legacy local flag) wins;
- else the root module's backend (``local`` or ``pg``; any other is an error, never ignored);
- the workspace: ``TF_WORKSPACE``, else ``<DIR>/.terraform/environment`` (written by
  ``workspace select``/``new``, the bare name without a newline, as Terraform writes it), else
  ``default``.

Local layout (Terraform's): ``default`` is the backend's ``path`` (clbplan's default file name is
``clbplan.tfstate``, or an existing ``terraform.tfstate``), every other workspace is
``terraform.tfstate.d/NAME/terraform.tfstate``; ``workspace list`` is ``default`` plus the
sub-directories of ``terraform.tfstate.d``.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote

from planner.diagnostics import Diagnostic, DiagnosticsError
from planner.state.backend import LocalBackend, StateError, parse_duration

DEFAULT = "default"
DATA_DIR = ".terraform"
ENVIRONMENT_FILE = "environment"
MAX_NAME_BYTES = 200


def _data_dir(workdir: Path, env: Mapping[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    return workdir / (env.get("TF_DATA_DIR") or DATA_DIR)


def name_problem(name: str) -> str | None:
    """Why ``name`` cannot be a workspace name (Terraform: it must survive URL path escaping), or None."""
    if not name:
        return "a workspace name cannot be empty"
    if name in (".", ".."):  # its state folder would be terraform.tfstate.d itself, or the checkout
        return f"{name!r} is not a valid workspace name: it names a folder, not a workspace"
    if len(name.encode()) > MAX_NAME_BYTES:  # it is a folder name: the filesystem refuses longer ones
        return (f"a workspace name of {len(name.encode())} bytes is too long: clbplan's limit is "
                f"{MAX_NAME_BYTES} bytes (it becomes a folder name under terraform.tfstate.d)")
    if quote(name, safe="!$&'()*+,;=:@~-._") != name or "/" in name:
        return (f"{name!r} is not a valid workspace name: use letters, digits, '-', '_' and '.', "
                "nothing that needs escaping in a URL path")
    return None


def env_workspace(env: Mapping[str, str] | None = None) -> str | None:
    env = os.environ if env is None else env
    name = env.get("TF_WORKSPACE")
    if name is None or name == "":
        return None
    problem = name_problem(name)
    if problem:
        raise StateError("Invalid workspace name set using TF_WORKSPACE", detail=problem,
                         hint="set TF_WORKSPACE to an existing workspace's name, or unset it")
    return name


def current_workspace(workdir: Path, env: Mapping[str, str] | None = None) -> str:
    """The selected workspace: ``TF_WORKSPACE``, else ``.terraform/environment``, else ``default``."""
    from_env = env_workspace(env)
    if from_env:
        return from_env
    try:
        name = (_data_dir(workdir, env) / ENVIRONMENT_FILE).read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):
        return DEFAULT
    return name or DEFAULT


def select_workspace(workdir: Path, name: str) -> None:
    """Record ``name`` as the current workspace (``.terraform/environment``, no trailing newline)."""
    d = _data_dir(workdir)
    d.mkdir(parents=True, exist_ok=True)
    (d / ENVIRONMENT_FILE).write_text(name, encoding="utf-8")


def lock_seconds(lock_timeout: str | float) -> float:
    if isinstance(lock_timeout, int | float):
        return float(lock_timeout)
    try:
        return parse_duration(lock_timeout)
    except ValueError as e:
        raise DiagnosticsError([Diagnostic(f"Invalid -lock-timeout value {lock_timeout!r}", detail=str(e),
                                           hint="use a duration such as 0s, 30s or 2m")])


def open_backend(workdir: Path, *, state_path: str | Path | None = None, lock_timeout: str | float = 0.0,
                 workspace: str | None = None, create_dirs: bool = False) -> Any:
    """The backend holding the selected workspace's state for the configuration in ``workdir``."""
    from planner.config.terraform_block import configured_backend, configured_state_path

    seconds = lock_seconds(lock_timeout)
    if state_path:
        return LocalBackend(Path(state_path), lock_timeout=seconds)
    config = configured_backend(workdir)
    ws = workspace or current_workspace(workdir)
    if config.type != "local":
        return backend_from_config(workdir, config, ws, lock_timeout=seconds)
    path = configured_state_path(workdir, ws)
    if create_dirs and not path.parent.is_dir():
        try:
            path.parent.mkdir(parents=True, exist_ok=True)  # as Terraform's local backend does for its path
        except OSError as e:
            raise StateError(f"cannot create the folder {path.parent} of the state file {path}: {e.strerror}",
                             hint='check backend "local" { path = ... } (and workspace_dir) in the '
                                  "configuration: it must name a place this user can write") from None
    backend = LocalBackend(path, lock_timeout=seconds)
    backend.workspace = ws
    return backend


def backend_from_config(workdir: Path, config: Any, workspace: str, *, lock_timeout: float = 0.0) -> Any:
    """The backend a ``BackendConfig`` names, for one workspace (used for migration between two)."""
    from planner.config.terraform_block import (
        DEFAULT_WORKSPACE_DIR,
        TERRAFORM_STATE_FILE,
        default_state_file,
    )

    if config.type == "pg":
        from planner.state.pg import PgBackend, PgSettings

        return PgBackend(PgSettings.from_config(config.config, config.pos), workspace, lock_timeout=lock_timeout)
    if workspace != DEFAULT:
        path = workdir / str(config.config.get("workspace_dir") or DEFAULT_WORKSPACE_DIR) / workspace / \
            TERRAFORM_STATE_FILE
    elif config.config.get("path"):
        path = workdir / str(config.config["path"])
    else:
        path = default_state_file(workdir)
    backend = LocalBackend(path, lock_timeout=lock_timeout)
    backend.workspace = workspace
    return backend


def workspaces_of(workdir: Path, config: Any) -> list[str]:
    """The workspaces a backend configuration holds (``default`` first)."""
    from planner.config.terraform_block import DEFAULT_WORKSPACE_DIR

    if config.type == "pg":
        b = backend_from_config(workdir, config, DEFAULT)
        try:
            return b.workspaces()
        finally:
            b.close()
    d = workdir / str(config.config.get("workspace_dir") or DEFAULT_WORKSPACE_DIR)
    names = sorted(p.name for p in d.iterdir() if p.is_dir()) if d.is_dir() else []
    return [DEFAULT] + [n for n in names if n != DEFAULT]


# ------------------------------------------------------------------------------------ local listing
def local_workspace_dir(workdir: Path) -> Path:
    from planner.config.terraform_block import DEFAULT_WORKSPACE_DIR, configured_backend

    config = configured_backend(workdir)
    return workdir / str(config.config.get("workspace_dir") or DEFAULT_WORKSPACE_DIR)


def list_workspaces(workdir: Path) -> list[str]:
    """``default`` first, then the others sorted (Terraform's order), for the configured backend."""
    from planner.config.terraform_block import configured_backend

    config = configured_backend(workdir)
    if config.type == "pg":
        return open_backend(workdir, workspace=DEFAULT).workspaces()
    d = local_workspace_dir(workdir)
    names = sorted(p.name for p in d.iterdir() if p.is_dir()) if d.is_dir() else []
    return [DEFAULT] + [n for n in names if n != DEFAULT]


def create_workspace(workdir: Path, name: str) -> None:
    from planner.config.terraform_block import configured_backend

    if configured_backend(workdir).type == "pg":
        open_backend(workdir, workspace=name).create_workspace()
        return
    (local_workspace_dir(workdir) / name).mkdir(parents=True, exist_ok=True)


def delete_workspace(workdir: Path, name: str) -> None:
    from planner.config.terraform_block import configured_backend

    if configured_backend(workdir).type == "pg":
        open_backend(workdir, workspace=name).delete_workspace()
        return
    shutil.rmtree(local_workspace_dir(workdir) / name)
