"""bench/RESULTS.md is shared by several benchmarks: each owns one "## ..." section and rewrites only it."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_section(path: Path, heading: str, text: str) -> None:
    """Replace the section starting with ``heading`` (a "## ..." line) by ``text``, or append it.

    Other sections are kept byte for byte; the file is replaced atomically so a benchmark interrupted while
    writing never leaves a truncated RESULTS.md.
    """
    old = path.read_text() if path.exists() else "# Benchmark results\n"
    if not text.startswith(heading):
        text = f"{heading}\n\n{text}"
    if heading in old:
        start = old.index(heading)
        nxt = old.find("\n## ", start + len(heading))
        new = old[:start] + text.rstrip() + "\n" + (old[nxt:] if nxt != -1 else "")
    else:
        new = old.rstrip() + "\n\n" + text.rstrip() + "\n"
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".RESULTS.")
    with os.fdopen(fd, "w") as f:
        f.write(new)
    os.replace(tmp, path)
