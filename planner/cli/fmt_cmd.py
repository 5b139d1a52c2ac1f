"""``clbplan fmt [-check] [-diff] [-list=BOOL] [-write=BOOL] [-recursive] [PATH...]``, as ``terraform fmt``.

Same files (.tf, .tfvars, .tftest.hcl, .tfmock.hcl; hidden and editor backup files skipped), same
output (the names of the files it changed; ``-`` formats stdin to stdout), same exit codes:
0 formatted, 1 bad flags, 2 a file that does not parse (left untouched), 3 ``-check`` found files
to format. A file is rewritten only when its bytes change, through a temporary file and a rename
so an interrupted run never leaves half a file.
"""

from __future__ import annotations

import difflib
import os
import sys
import tempfile
from pathlib import Path

import click

from planner.config.hclfmt import format_text, syntax_error

EXTENSIONS = (".tf", ".tfvars", ".tftest.hcl", ".tfmock.hcl")


def _ignored(name: str) -> bool:
    """Terraform's configs.IsIgnoredFile: hidden files and editor backups."""
    return name.startswith(".") or name.endswith("~") or (name.startswith("#") and name.endswith("#"))


def unified_diff(old: str, new: str, path: str) -> str:
    """``diff -u --label=old/PATH --label=new/PATH``, which terraform fmt -diff runs."""
    out = []
    for line in difflib.unified_diff(old.splitlines(keepends=True), new.splitlines(keepends=True),
                                     fromfile=f"old/{path}", tofile=f"new/{path}", n=3):
        if line.startswith(("---", "+++")):
            line = line.rstrip("\n") + "\n"
        elif not line.endswith("\n"):
            line += "\n\\ No newline at end of file\n"
        out.append(line)
    return "".join(out)


def _write_atomic(path: str, data: bytes) -> None:
    target = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent or ".")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        try:
            os.chmod(tmp, target.stat().st_mode & 0o7777)
        except OSError:
            pass
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class _Run:
    def __init__(self, list_: bool, write: bool, diff: bool) -> None:
        self.list, self.write, self.diff = list_, write, diff
        self.errors = 0
        self.out: list[str] = []
        self.changed: list[str] = []

    def error(self, text: str) -> None:
        self.errors += 1
        click.echo(f"Error: {text}", err=True)

    def file(self, path: str, raw: bytes, stdout_mode: bool = False) -> None:
        try:
            src = raw.decode("utf-8")
        except UnicodeDecodeError as e:
            self.error(f"{path}: the file is not valid UTF-8 (byte {e.start}); "
                       "Terraform configuration files must be UTF-8.")
            return
        problem = syntax_error(src)
        if problem:
            self.errors += 1
            click.echo(f"{path}:{problem.line}:{problem.col}: error: {problem.summary}", err=True)
            if problem.detail:
                click.echo(f"  {problem.detail}", err=True)
            click.echo("  The file was left unchanged; fix the syntax error and run fmt again.", err=True)
            return
        result = format_text(src)
        if result != src:
            self.changed.append(path)
            if self.list:
                self.out.append(path + "\n")
            if self.write:
                try:
                    _write_atomic(path, result.encode("utf-8"))
                except OSError as e:
                    self.error(f"Failed to write {path}: {e.strerror or e}")
                    return
            if self.diff:
                self.out.append(unified_diff(src, result, path))
        if stdout_mode or (not self.list and not self.write and not self.diff):
            self.out.append(result.removesuffix("\n") + "\n")  # Terraform's UI writer ends it with a newline

    def directory(self, path: str, recursive: bool) -> None:
        try:
            entries = sorted(os.listdir(path))
        except FileNotFoundError:
            self.error(f"There is no configuration directory at {path}")
            return
        except OSError:
            self.error(f"Cannot read directory {path}")
            return
        for name in entries:
            if _ignored(name):
                continue
            sub = os.path.normpath(os.path.join(path, name))
            if os.path.isdir(sub):
                if recursive:
                    self.directory(sub, recursive)
                continue
            if name.endswith(EXTENSIONS):
                self._read(sub)

    def _read(self, path: str) -> None:
        try:
            raw = Path(path).read_bytes()
        except OSError:
            self.error(f"Failed to read file {path}")
            return
        self.file(path, raw)

    def paths(self, paths: list[str], recursive: bool) -> None:
        for path in paths:
            path = os.path.normpath(path)
            if not os.path.exists(path):
                self.error(f"No file or directory at {path}")
                return
            if os.path.isdir(path):
                self.directory(path, recursive)
            elif path.endswith(EXTENSIONS):
                self._read(path)
            else:
                self.error("Only .tf, .tfvars, and .tftest.hcl files can be processed with clbplan fmt")


@click.command("fmt")
@click.argument("paths", nargs=-1)
@click.option("-list", "--list", "list_", type=bool, default=True, show_default=True,
              help="List the files whose formatting differs (-list=false: don't).")
@click.option("-write", "--write", "write", type=bool, default=True, show_default=True,
              help="Rewrite the files (-write=false: don't; always off with -check or stdin).")
@click.option("-diff", "--diff", "diff", is_flag=True, help="Show the formatting changes as a unified diff.")
@click.option("-check", "--check", "check", is_flag=True,
              help="Only check: exit 3 when a file needs formatting (nothing is written).")
@click.option("-recursive", "--recursive", "recursive", is_flag=True, help="Also process sub-directories.")
def fmt(paths: tuple[str, ...], list_: bool, write: bool, diff: bool, check: bool, recursive: bool) -> None:
    """Rewrite configuration files (.tf, .tfvars) in Terraform's canonical style."""
    stdin = bool(paths) and paths[0] == "-"
    if stdin:
        list_, write = False, False
    shown_list = list_
    if check:
        list_, write = True, False
    run = _Run(list_, write, diff)
    if stdin:
        run.file("<stdin>", sys.stdin.buffer.read(), stdout_mode=not check and not diff)
    else:
        run.paths(list(paths) or ["."], recursive)
    if not check or shown_list:
        for chunk in run.out:
            click.echo(chunk, nl=False)
    ctx = click.get_current_context()
    if run.errors:
        ctx.exit(2)
    if check and run.changed:
        ctx.exit(3)
