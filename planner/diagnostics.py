"""Located diagnostics: every problem with the user's input is reported as one of these.

They are collected (never raised one at a time) so a run reports everything it finds, and
the CLI renders them as ``file:line:col: error: summary`` plus a hint.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace


@dataclass(frozen=True, order=True)
class SourcePos:
    """A point in a configuration file (1-based line and column)."""

    filename: str
    line: int
    column: int = 1

    def __str__(self) -> str:
        return f"{self.filename}:{self.line}:{self.column}"


@dataclass(frozen=True)
class Diagnostic:
    """One finding. ``severity`` is "error" or "warning"."""

    summary: str
    pos: SourcePos | None = None
    detail: str = ""
    hint: str = ""
    severity: str = "error"
    # diagnostics sharing a non-empty key are reported once per run (by DiagnosticBag): the
    # same finding about a whole type should not repeat for every block and instance of it
    once: str = field(default="", compare=False)

    def render(self) -> str:
        """The text a person reads: long values shortened, secrets known to the run masked."""
        from planner.redact import scrub

        where = f"{self.pos}: " if self.pos else ""
        text = f"{where}{self.severity}: {_short(self.summary)}"
        if self.detail:
            text += f"\n  {_short(self.detail)}"
        if self.hint:
            text += f"\n  hint: {_short(self.hint)}"
        return scrub(text)

    def to_json(self) -> dict:
        """The shape of one entry of ``terraform validate -json``'s ``diagnostics``."""
        out: dict = {"severity": self.severity, "summary": self.summary, "detail": self.detail or self.hint}
        if self.pos:
            start = {"line": self.pos.line, "column": self.pos.column, "byte": 0}
            out["range"] = {"filename": self.pos.filename, "start": start, "end": dict(start)}
        return out


_LONG_QUOTED = re.compile(r'"(?:[^"\\\n]|\\.){300,}"')


def _short(text: str) -> str:
    """Values longer than a few hundred characters shortened (a 5 MB value echoed in an error helps
    nobody): long quoted strings first, then any line still too long."""
    from planner.redact import shorten

    if len(text) < 300:
        return text
    text = _LONG_QUOTED.sub(lambda m: '"' + shorten(m.group(0)[1:-1]) + '"', text)
    return "\n".join(shorten(line, 1000) for line in text.split("\n"))


# an instance key right after a resource (or module) address: alicloud_x.y[0], module.m["k"]
_INSTANCE_KEY = re.compile(r'((?:^|(?<=[\s"(:]))(?:data\.)?[a-z][a-z0-9_]*\.[A-Za-z_][A-Za-z0-9_-]*)'
                           r'\[(?:\d+|"(?:[^"\\]|\\.)*")\]')


def collapse_instances(diags: Iterable[Diagnostic]) -> list[Diagnostic]:
    """One diagnostic per block, not one per count/for_each instance: findings that differ only in
    the instance key become one, naming the block; instances that differ otherwise stay apart.
    Exact repeats are dropped."""
    groups: dict[tuple, list[Diagnostic]] = {}
    for d in diags:
        key = (d.severity, d.pos, _INSTANCE_KEY.sub(r"\1", d.summary), _INSTANCE_KEY.sub(r"\1", d.detail),
               _INSTANCE_KEY.sub(r"\1", d.hint))
        groups.setdefault(key, []).append(d)
    out = []
    for (_sev, _pos, summary, detail, hint), members in groups.items():
        first = members[0]
        if all(m == first for m in members):
            out.append(first)
        else:
            out.append(replace(first, summary=summary, detail=detail, hint=hint))
    return out


class DiagnosticsError(Exception):
    """Raised when a stage cannot continue; carries every diagnostic found so far."""

    def __init__(self, diagnostics: Iterable[Diagnostic]):
        self.diagnostics = sorted(
            collapse_instances(diagnostics), key=lambda d: (d.pos or SourcePos("", 0, 0), d.summary)
        )
        super().__init__("\n".join(d.render() for d in self.diagnostics))

    @property
    def has_errors(self) -> bool:
        return any(d.severity == "error" for d in self.diagnostics)


@dataclass
class DiagnosticBag:
    """Accumulates diagnostics across a stage; ``raise_if_errors`` ends the stage."""

    items: list[Diagnostic] = field(default_factory=list)
    _once: set[str] = field(default_factory=set, repr=False)

    def add(self, summary: str, pos: SourcePos | None = None, *, detail: str = "", hint: str = "",
            severity: str = "error") -> None:
        self.items.append(Diagnostic(summary, pos, detail, hint, severity))

    def extend(self, diags: Iterable[Diagnostic]) -> None:
        for d in diags:
            if d.once:
                if d.once in self._once:
                    continue
                self._once.add(d.once)
            self.items.append(d)

    @property
    def has_errors(self) -> bool:
        return any(d.severity == "error" for d in self.items)

    def raise_if_errors(self) -> None:
        if self.has_errors:
            raise DiagnosticsError(self.items)
