"""Copy an example the way a fresh clone has it, whatever a user's run left in the working tree."""

from __future__ import annotations

import fnmatch
import shutil
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"

# What a run of clbplan (or terraform) leaves beside the configuration; never part of an example.
RUN_ARTEFACTS = (".clbplan", ".terraform", "*.tfstate", "*.tfstate.*", ".terraform.lock.hcl", "*.tfplan")


def tracked_files(folder: Path) -> list[Path] | None:
    """Files git tracks (or would track: not ignored) under ``folder``, or None outside a checkout."""
    try:
        out = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard", "--", "."], cwd=folder, capture_output=True,
                             check=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    return [Path(p) for p in out.decode().split("\0") if p and not _artefact(Path(p))]


def _artefact(rel: Path) -> bool:
    return any(fnmatch.fnmatch(part, pat) for part in rel.parts for pat in RUN_ARTEFACTS)


def copy_clean(source: Path, dest: Path) -> Path:
    """Copy ``source`` to ``dest`` with only its tracked files (or without run artefacts outside git)."""
    files = tracked_files(source)
    if not files:
        shutil.copytree(source, dest, ignore=shutil.ignore_patterns(*RUN_ARTEFACTS))
        return dest
    dest.mkdir(parents=True, exist_ok=True)
    for rel in files:
        if not (source / rel).is_file():
            continue  # deleted in the working tree but still in the index
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source / rel, target)
    return dest


def copy_example(name: str, dest: Path) -> Path:
    """``examples/NAME`` copied into ``dest/NAME`` as a fresh clone has it."""
    return copy_clean(EXAMPLES / name, dest / name)
