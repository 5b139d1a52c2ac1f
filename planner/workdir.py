"""The run's directory: relative file names in a configuration (``local_file.filename``,
``terraform_remote_state``'s ``path``) resolve against the root module's directory, as Terraform's
resolve against its working directory (``clbplan plan DIR`` is ``terraform -chdir=DIR plan``)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

BASE_DIR: ContextVar[str | None] = ContextVar("clbplan_base_dir", default=None)


@contextmanager
def base_dir(path: str | os.PathLike | None) -> Iterator[None]:
    """Within this block relative names resolve against ``path`` (unchanged when None)."""
    if path is None:
        yield
        return
    token = BASE_DIR.set(str(path))
    try:
        yield
    finally:
        BASE_DIR.reset(token)


def resolve(path: str, base: str | None = None) -> Path:
    """A user's file name as a path: absolute as given, relative to the run's directory otherwise."""
    p = Path(os.path.expanduser(path))
    if p.is_absolute():
        return p
    return Path(base or BASE_DIR.get() or os.getcwd()) / p


def user_home() -> Path | None:
    """The user's home folder; None when there is none to find: no ``HOME`` and no entry in the password
    database (a container started with a user id of its own), where ``Path.home()`` raises."""
    try:
        return Path.home()
    except (RuntimeError, KeyError, OSError):
        return None
