"""Terraform's version constraint strings (``>= 1.2, < 2.0``, ``~> 1.1``) and version ordering.

Written here rather than taken from a library because Terraform's rules are those of
hashicorp/go-version, which no Python package reproduces: versions have any number of numeric
segments padded with zeros (``1.2`` == ``1.2.0``), ``~>`` lets only the right-most *written*
segment grow (``~> 1.1`` is ``>= 1.1, < 2.0``; ``~> 1.0.4`` is ``>= 1.0.4, < 1.1.0``), and a
pre-release (``1.2.0-beta``) satisfies only an exact constraint. PEP 440 (``packaging``) and
semver libraries disagree with each of these.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import total_ordering

_VERSION = re.compile(r"^v?(\d+(?:\.\d+)*)(?:-([0-9A-Za-z.~-]+))?(?:\+([0-9A-Za-z.~-]+))?$")
_CONDITION = re.compile(r"^\s*(=|!=|>=|<=|>|<|~>)?\s*(\S+)\s*$")


class ConstraintError(ValueError):
    """A constraint or version string that cannot be parsed; the message says why."""


@total_ordering
@dataclass(frozen=True)
class Version:
    """A version as go-version reads it: numeric segments, optional pre-release and metadata."""

    segments: tuple[int, ...]
    prerelease: str = ""
    metadata: str = ""
    written: int = 3  # how many segments the text had (``~>`` needs it)
    text: str = ""

    @classmethod
    def parse(cls, text: str) -> Version:
        m = _VERSION.match(text.strip())
        if not m:
            raise ConstraintError(f"{text!r} is not a version number (expected e.g. 1.2.0)")
        segs = tuple(int(s) for s in m.group(1).split("."))
        written = len(segs)
        padded = segs + (0,) * max(0, 3 - len(segs))
        return cls(padded, m.group(2) or "", m.group(3) or "", written, text.strip())

    def _key(self) -> tuple:
        return self.segments

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Version):
            return NotImplemented
        return _cmp(self, other) == 0

    def __lt__(self, other: Version) -> bool:
        return _cmp(self, other) < 0

    def __hash__(self) -> int:
        return hash((self.segments, self.prerelease))

    def __str__(self) -> str:
        base = ".".join(str(s) for s in self.segments)
        return base + (f"-{self.prerelease}" if self.prerelease else "") + (
            f"+{self.metadata}" if self.metadata else "")


def _cmp_pre(a: str, b: str) -> int:
    if a == b:
        return 0
    if not a:
        return 1  # a release is newer than any of its pre-releases
    if not b:
        return -1
    pa, pb = a.split("."), b.split(".")
    for x, y in zip(pa, pb, strict=False):
        if x == y:
            continue
        xn, yn = x.isdigit(), y.isdigit()
        if xn and yn:
            return -1 if int(x) < int(y) else 1
        if xn != yn:
            return -1 if xn else 1  # numeric identifiers sort before alphanumeric ones
        return -1 if x < y else 1
    return (len(pa) > len(pb)) - (len(pa) < len(pb))


def _cmp(a: Version, b: Version) -> int:
    n = max(len(a.segments), len(b.segments))
    sa = a.segments + (0,) * (n - len(a.segments))
    sb = b.segments + (0,) * (n - len(b.segments))
    if sa != sb:
        return -1 if sa < sb else 1
    return _cmp_pre(a.prerelease, b.prerelease)


@dataclass(frozen=True)
class Condition:
    op: str
    version: Version

    def check(self, v: Version) -> bool:
        c = self.version
        # go-version: a pre-release version only satisfies a condition naming a pre-release of the
        # same major.minor.patch
        if v.prerelease and (not c.prerelease or v.segments != c.segments):
            return False
        r = _cmp(v, c)
        if self.op == "=":
            return r == 0
        if self.op == "!=":
            return r != 0
        if self.op == ">":
            return r > 0
        if self.op == ">=":
            return r >= 0
        if self.op == "<":
            return r < 0
        if self.op == "<=":
            return r <= 0
        # "~>": at least c, and the segments before the right-most written one unchanged
        if r < 0:
            return False
        keep = max(c.written - 1, 1)
        return v.segments[:keep] == c.segments[:keep]

    def __str__(self) -> str:
        return f"{self.op} {self.version.text}"


@dataclass(frozen=True)
class Constraints:
    """Comma-separated conditions, all of which must hold; the empty string allows anything."""

    conditions: tuple[Condition, ...]
    text: str = ""

    @classmethod
    def parse(cls, text: str) -> Constraints:
        if not isinstance(text, str):
            raise ConstraintError("a version constraint must be a string such as \">= 1.2.0\"")
        conds: list[Condition] = []
        if text.strip():
            for part in text.split(","):
                m = _CONDITION.match(part)
                if not m:
                    raise ConstraintError(f"{part.strip()!r} is not a version condition "
                                          "(expected an operator =, !=, >, >=, <, <=, ~> and a version)")
                conds.append(Condition(m.group(1) or "=", Version.parse(m.group(2))))
        return cls(tuple(conds), text.strip())

    @property
    def exact(self) -> bool:
        """Only an exact version was asked for: the one case where a pre-release may be picked."""
        return len(self.conditions) == 1 and self.conditions[0].op == "="

    def allows(self, v: Version | str) -> bool:
        ver = Version.parse(v) if isinstance(v, str) else v
        if ver.prerelease and not self.exact:
            return False
        return all(c.check(ver) for c in self.conditions)

    def newest(self, versions: Iterable[str]) -> str | None:
        """The newest of ``versions`` (strings; unparsable ones skipped) that meets every condition."""
        best: Version | None = None
        for s in versions:
            try:
                v = Version.parse(s)
            except ConstraintError:
                continue
            if self.allows(v) and (best is None or v > best):
                best = v
        return best.text if best else None

    def __str__(self) -> str:
        return self.text
