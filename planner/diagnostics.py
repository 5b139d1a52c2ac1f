"""Located diagnostics: every problem with the user's input is reported as one of these.

They are collected (never raised one at a time) so a run reports everything it finds, and
the CLI renders them as ``file:line:col: error: summary`` plus a hint.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field


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
        where = f"{self.pos}: " if self.pos else ""
        text = f"{where}{self.severity}: {self.summary}"
        if self.detail:
            text += f"\n  {self.detail}"
        if self.hint:
            text += f"\n  hint: {self.hint}"
        return text

    def to_json(self) -> dict:
        """The shape of one entry of ``terraform validate -json``'s ``diagnostics``."""
        out: dict = {"severity": self.severity, "summary": self.summary, "detail": self.detail or self.hint}
        if self.pos:
            start = {"line": self.pos.line, "column": self.pos.column, "byte": 0}
            out["range"] = {"filename": self.pos.filename, "start": start, "end": dict(start)}
        return out


class DiagnosticsError(Exception):
    """Raised when a stage cannot continue; carries every diagnostic found so far."""

    def __init__(self, diagnostics: Iterable[Diagnostic]):
        self.diagnostics = sorted(
            diagnostics, key=lambda d: (d.pos or SourcePos("", 0, 0), d.summary)
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
