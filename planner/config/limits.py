"""Size limits on what a configuration can make clbplan build, so a mistaken or hostile one
(``count = 1e9``, a template that doubles itself 30 times, ``setproduct`` of three 1,000-element
lists, a YAML "billion laughs") ends in a located error instead of eating all memory.

Each limit is far above anything a real configuration needs (the largest benchmark, bench/engine.py
at 10,000 load balancers, stays 5x or more below every one) and is stated in the error message.
They are documented in docs/limits.md.
"""

from __future__ import annotations

import re
from typing import Any

# instances of one resource, data source or module call (count / for_each)
MAX_INSTANCES = 50_000
# elements of one collection value (list, set, tuple, map, object), counted as if nested
# collections were written out: [local.a, local.a] counts local.a twice
MAX_ITEMS = 1_000_000
# characters of one string value
MAX_STRING_CHARS = 16 * 2**20
# iterations of every for expression and template %{for} of one configuration run, together
MAX_ITERATIONS = 2_000_000
# bits of a whole number (local.a * local.a, squared 30 times, is a 2^30-bit number)
MAX_INT_BITS = 100_000

# brackets, braces, parentheses and ${ } of one expression (or one .tf.json value) inside each other;
# the parser and the evaluator recurse once per level, and Python's stack ends near 200 levels
MAX_NESTING = 100
# modules calling modules (root -> module.a -> module.a.module.b ...)
MAX_MODULE_DEPTH = 64

HINT = "see docs/limits.md; a real configuration stays far below this, so check the expression for a mistake"


class LimitExceeded(Exception):
    """A value or a run went past one of the limits above; the message names the limit."""


def _fmt(n: int) -> str:
    return f"{n:,}"


def items_message(n: int | str) -> str:
    return (f"the value would hold {n if isinstance(n, str) else _fmt(n)} elements; clbplan's limit is "
            f"{_fmt(MAX_ITEMS)} elements in one value")


def string_message(n: int | str) -> str:
    return (f"the string would be {n if isinstance(n, str) else _fmt(n)} characters long; clbplan's limit is "
            f"{_fmt(MAX_STRING_CHARS)} characters (16 MiB)")


def check_shallow(v: Any) -> None:
    """O(1): the top level of ``v`` is within the item and string limits."""
    if isinstance(v, str):
        if len(v) > MAX_STRING_CHARS:
            raise LimitExceeded(string_message(len(v)))
    elif isinstance(v, (list, dict, tuple, set, frozenset)) and len(v) > MAX_ITEMS:
        raise LimitExceeded(items_message(len(v)))


def logical_size(v: Any, budget: int = MAX_ITEMS) -> tuple[int, int]:
    """(elements, characters) of ``v`` written out as a tree, counting a shared sub-value once per
    use; each distinct container is walked once, so a 40-level self-doubling value costs 40 steps.
    Stops counting once either figure passes its limit (callers only compare with the limits)."""
    return _logical_size(v, {}, budget)


def _logical_size(x: Any, memo: dict[int, tuple[int, int]], budget: int) -> tuple[int, int]:
    # (a module-level function: a nested one that calls itself is a reference cycle per call)
    if isinstance(x, str):
        return 0, len(x)
    if isinstance(x, dict):
        children: Any = x.values()
        n, c = len(x), sum(len(k) for k in x if isinstance(k, str))
    elif isinstance(x, (list, tuple, set, frozenset)):
        children, n, c = x, len(x), 0
    else:
        return 0, 0
    key = id(x)
    hit = memo.get(key)
    if hit is not None:
        return hit
    memo[key] = (0, 0)  # a cycle (never built by the evaluator) counts as empty
    for ch in children:
        if isinstance(ch, (str, dict, list, tuple, set, frozenset)):
            a, b = _logical_size(ch, memo, budget)
            n += a
            c += b
            if n > budget or c > MAX_STRING_CHARS:
                break
    memo[key] = (n, c)
    return n, c


def check_deep(v: Any) -> None:
    """The written-out size of ``v`` is within the limits (cost: one step per distinct container)."""
    if not isinstance(v, (list, dict, tuple, set, frozenset)):
        check_shallow(v)
        return
    n, c = logical_size(v)
    if n > MAX_ITEMS:
        raise LimitExceeded(items_message(f"more than {_fmt(MAX_ITEMS)}"))
    if c > MAX_STRING_CHARS:
        raise LimitExceeded(f"the value would hold more than {_fmt(MAX_STRING_CHARS)} characters of text "
                            "(16 MiB); that is clbplan's limit for one value")


def check_int(v: Any) -> None:
    if isinstance(v, int) and not isinstance(v, bool) and v.bit_length() > MAX_INT_BITS:
        raise LimitExceeded(f"the number would have {_fmt(v.bit_length())} bits; clbplan's limit is "
                            f"{_fmt(MAX_INT_BITS)} bits (about 30,000 decimal digits)")


def check_instances(n: int, what: str) -> None:
    if n > MAX_INSTANCES:
        raise LimitExceeded(f"{what} asks for {_fmt(n)} instances; clbplan's limit is {_fmt(MAX_INSTANCES)} "
                            "instances of one resource, data source or module call")


class Budget:
    """The iterations left for one configuration run, shared by the evaluators of all its modules."""

    __slots__ = ("used",)

    def __init__(self) -> None:
        self.used = 0

    def spend(self, n: int) -> None:
        self.used += n
        if self.used > MAX_ITERATIONS:
            raise LimitExceeded(f"for expressions in this configuration have run more than "
                                f"{_fmt(MAX_ITERATIONS)} iterations, clbplan's limit for one run")


_OPENERS = "([{"
_BRACKET = re.compile(r"[\[\](){}]")


def too_deep(text: str, limit: int = MAX_NESTING) -> tuple[int, int] | None:
    """(line, column) where brackets first nest deeper than ``limit``, or None.

    A scan of the raw text, strings and comments included: it runs before the parser (which would
    recurse until Python's stack gives out). Brackets inside strings only count when they are left
    open, and a real file never leaves a hundred of them open; a file with fewer opening brackets
    than the limit is not scanned at all."""
    if sum(text.count(c) for c in _OPENERS) <= limit:
        return None
    depth = 0
    for m in _BRACKET.finditer(text):
        if m.group() in _OPENERS:
            depth += 1
            if depth > limit:
                at = m.start()
                return text.count("\n", 0, at) + 1, at - text.rfind("\n", 0, at)
        elif depth:
            depth -= 1
    return None


def longest_line(text: str) -> tuple[int, int]:
    """(line, 1) of the longest line: where a parse that ran out of stack most likely failed."""
    lines = text.split("\n")
    best = max(range(len(lines)), key=lambda i: len(lines[i]), default=0)
    return best + 1, 1
