"""Reading apply progress as clbplan prints it, Terraform's way, on stdout:
``<addr>: Creation complete after 1s [id=...]`` (Modifications, Destruction likewise)."""

from __future__ import annotations

import re

# one line per finished operation
DONE = re.compile(r"^(?P<addr>.+?): (?P<noun>Creation|Modifications|Destruction) complete after \d")
KIND = {"Creation": "create", "Modifications": "update", "Destruction": "delete"}


def finished(line: str) -> tuple[str, str] | None:
    """``(kind, address)`` when ``line`` says an operation finished, else None."""
    m = DONE.match(line)
    return (KIND[m["noun"]], m["addr"]) if m else None


def executed(output: str) -> list[tuple[str, str]]:
    """Every finished operation in ``output``, in the order they finished."""
    return [f for f in map(finished, output.splitlines()) if f is not None]
