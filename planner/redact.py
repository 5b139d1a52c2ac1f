"""Secrets known to this run, scrubbed from everything it prints or saves for review.

Sensitivity is tracked as Terraform tracks it, by marks (``sensitive`` variables, schema-sensitive
attributes, values derived from them, recorded per resource as the state's
``sensitive_attributes``), and every renderer masks marked values. Marks cannot follow a value
through the cloud, though: a secret written into one object's attribute comes back inside
another object's computed attribute (an ACL entry's comment in the ACL's ``entry_list``), where
no mark exists. So, as CI systems mask their secrets in logs, the run also remembers the
*values* that carried a mark and replaces any occurrence of them in the plan text, Markdown,
JSON, plan file and diagnostics with ``(sensitive value)``.

Values shorter than ``MIN_LENGTH`` characters are not scrubbed (masking every "80" or "web"
would garble the review); their marks still mask them where they are attributes.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from typing import Any

__all__ = ["MASK", "MIN_LENGTH", "collect", "remember", "reset", "scrub", "scrub_doc", "secrets_known",
           "shorten"]

MASK = "(sensitive value)"
MIN_LENGTH = 6
LONG_VALUE = 300  # characters of one value shown in a diagnostic

_lock = threading.Lock()
_known: set[str] = set()
_pattern: re.Pattern[str] | None = None


def reset() -> None:
    """Forget every remembered secret (each command starts with none)."""
    global _pattern
    with _lock:
        _known.clear()
        _pattern = None


def collect(value: Any, out: set[str] | None = None) -> set[str]:
    """Every string (and number written as a string) inside ``value``, worth scrubbing."""
    out = set() if out is None else out
    stack = [value]
    while stack:
        v = stack.pop()
        if isinstance(v, str):
            if len(v) >= MIN_LENGTH and v != MASK:
                out.add(v)
        elif isinstance(v, dict):
            stack.extend(v.values())
        elif isinstance(v, (list, tuple, set, frozenset)):
            stack.extend(v)
    return out


def remember(values: Iterable[Any]) -> None:
    """Add the strings inside ``values`` to the secrets scrubbed from this run's output."""
    global _pattern
    found: set[str] = set()
    for v in values:
        collect(v, found)
    if not found:
        return
    with _lock:
        if found <= _known:
            return
        _known.update(found)
        # longest first, so a secret containing another one is masked whole
        _pattern = re.compile("|".join(re.escape(s) for s in sorted(_known, key=len, reverse=True)))


def secrets_known() -> frozenset[str]:
    with _lock:
        return frozenset(_known)


def scrub(text: str) -> str:
    """``text`` with every remembered secret replaced by ``(sensitive value)``."""
    pattern = _pattern
    if pattern is None or not text:
        return text
    return pattern.sub(MASK, text)


def scrub_doc(doc: Any) -> Any:
    """A copy of a JSON-like document with every remembered secret masked inside its strings."""
    if _pattern is None:
        return doc
    if isinstance(doc, str):
        return scrub(doc)
    if isinstance(doc, dict):
        return {scrub(k) if isinstance(k, str) else k: scrub_doc(v) for k, v in doc.items()}
    if isinstance(doc, list):
        return [scrub_doc(v) for v in doc]
    if isinstance(doc, tuple):
        return tuple(scrub_doc(v) for v in doc)
    return doc


def shorten(text: str, limit: int = LONG_VALUE) -> str:
    """``text`` cut to about ``limit`` characters with how much was left out (a 5 MB value echoed
    in an error helps nobody and can carry what should not be printed)."""
    if len(text) <= limit + 40:
        return text
    head = text[: limit - 40]
    tail = text[-30:]
    return f"{head}…({len(text) - len(head) - len(tail)} more characters)…{tail}"
