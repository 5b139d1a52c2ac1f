"""Build a shared test tool once per machine, under a file lock, in ~/.cache/clbplan-tests/NAME.

Why a lock: the suite runs in parallel (pytest-xdist), so two worker processes can ask for the same
tool at once; without the lock both would build into one folder and each could see the other's
half-installed files. Why a marker: an interrupted build (a killed run, a failed install) leaves
the folder without ``.complete`` and the next caller builds it again instead of trusting it.
Not ``$XDG_CACHE_HOME``: tests/conftest.py points that at a throwaway folder for the parse cache.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Callable
from pathlib import Path

MARKER = ".complete"


def cache_root() -> Path:
    return Path.home() / ".cache" / "clbplan-tests"


def is_built(home: Path) -> bool:
    """True once ``build_once`` finished building ``home`` (the marker is written last)."""
    return (home / MARKER).is_file()


def build_once(name: str, build: Callable[[Path], None], *, stamp: str = "") -> Path:
    """The folder ``cache_root()/name``, built by ``build(folder)`` unless a finished build is there.

    ``build`` gets the folder (it exists, possibly with a failed build's leftovers, which ``build``
    must clear or overwrite) and raises to fail; only when it returns is the marker written, holding
    ``stamp`` (say, the pinned versions) for whoever looks at the folder.
    """
    home = cache_root() / name
    if is_built(home):
        return home
    home.parent.mkdir(parents=True, exist_ok=True)
    with open(home.parent / (name + ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # the other workers wait here, then find the marker
        if not is_built(home):
            home.mkdir(exist_ok=True)
            build(home)
            (home / MARKER).write_text(stamp + "\n")
    return home


def write_atomically(path: Path, text: str) -> None:
    """Replace ``path`` in one step: a process reading it (another worker's run) never sees half."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)
