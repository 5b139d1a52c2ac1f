"""Warnings of a run, printed as Terraform does: in full, or folded by ``-compact-warnings``."""

from __future__ import annotations

import os
from collections.abc import Iterable

import click

from planner.cli.global_flags import settings
from planner.diagnostics import Diagnostic, collapse_instances


def compact_text(warnings: list[Diagnostic]) -> str:
    """Terraform's compact form: one line per distinct summary, where it is, how many more."""
    groups: dict[str, list[Diagnostic]] = {}
    for d in warnings:
        groups.setdefault(d.summary, []).append(d)
    lines = ["Warnings:", ""]
    for summary, ds in groups.items():
        lines.append(f"- {summary}")
        first = ds[0].pos
        if first is not None:
            more = f" (and {len(ds) - 1} more)" if len(ds) > 1 else ""
            lines.append(f"  on {_relative(first.filename)} line {first.line}{more}")
    lines += ["", "To see the full warning notes, run clbplan without -compact-warnings."]
    return "\n".join(lines)


def _relative(filename: str) -> str:
    """A path under the working directory as Terraform names it, relative; others as they are."""
    try:
        rel = os.path.relpath(filename)
    except ValueError:
        return filename
    return filename if rel.startswith("..") else rel


def echo_warnings(diags: Iterable[Diagnostic]) -> None:
    """Every warning among ``diags`` on stderr (errors are reported by the caller)."""
    warnings = collapse_instances(d for d in diags if d.severity == "warning")  # once per block
    if not warnings:
        return
    if settings.compact_warnings:
        click.echo("\n" + compact_text(warnings), err=True)
        return
    click.echo("", err=True)
    for d in warnings:
        click.echo(d.render(), err=True)
