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


def main(argv: list[str] | None = None) -> int:
    """``python bench/results.py "## Heading" -- python bench/parse.py ...``: run a benchmark that prints
    Markdown and file its output, with the exact command, date and machine, as that section."""
    import platform
    import shlex
    import subprocess
    import sys
    import time

    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) < 3 or args[1] != "--" or not args[0].startswith("## "):
        print('usage: python bench/results.py "## Heading" -- COMMAND ARGS...', file=sys.stderr)
        return 1
    heading, command = args[0], args[2:]
    started = time.perf_counter()
    proc = subprocess.run(command, capture_output=True, text=True)
    sys.stderr.write(proc.stderr)
    if proc.returncode != 0:
        print(f"{shlex.join(command)} failed with exit {proc.returncode}; RESULTS.md left as it was",
              file=sys.stderr)
        return 1
    text = (f"{heading}\n\n`{shlex.join(command)}` on {platform.machine()}, {os.cpu_count()} cores, Python "
            f"{platform.python_version()}, {time.strftime('%Y-%m-%d')} ({time.perf_counter() - started:.0f} s "
            f"wall).\n\n{proc.stdout.strip()}\n")
    write_section(Path(__file__).with_name("RESULTS.md"), heading, text)
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
