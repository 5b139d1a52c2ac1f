"""Reading the conformance corpus (corpus.txt) and comparing values, shared by record.py and the test."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
CORPUS = HERE / "corpus.txt"
FIXTURE = HERE / "expected.json"


def read_corpus(path: Path = CORPUS) -> list[tuple[str, str]]:
    """[(name, expression)]: names are the family and a number within it, in file order."""
    entries: list[tuple[str, list[str]]] = []
    counts: dict[str, int] = {}
    for line in path.read_text(encoding="utf-8").split("\n"):
        if line.startswith("@ "):
            family = line[2:].strip()
            counts[family] = counts.get(family, 0) + 1
            entries.append((f"{family}_{counts[family]:03d}", []))
        elif entries and not line.startswith("# "):
            entries[-1][1].append(line)
    out = []
    for name, lines in entries:
        while lines and not lines[-1].strip():
            lines.pop()
        out.append((name, "\n".join(lines)))
    return out


def load_fixture() -> dict[str, Any]:
    return json.loads(FIXTURE.read_text(encoding="utf-8"), parse_float=Decimal)


def same_value(ours: Any, theirs: Any, set_order_free: bool = False) -> bool:
    """Equality as Terraform means it: numbers by value (Terraform keeps far more digits than a
    float, so a non-integer compares at float precision), strings, bools and null exactly."""
    if isinstance(theirs, bool) or isinstance(ours, bool):
        return type(ours) is type(theirs) and ours == theirs
    if isinstance(theirs, (int, Decimal)) and not isinstance(theirs, bool):
        if not isinstance(ours, (int, float)):
            return False
        d = Decimal(theirs)
        if d == d.to_integral_value() and (isinstance(ours, int) or float(ours).is_integer()):
            return int(d) == int(Decimal(repr(ours)) if isinstance(ours, float) else ours)
        return float(d) == float(ours)
    if isinstance(theirs, list):
        if not isinstance(ours, list) or len(ours) != len(theirs):
            return False
        if set_order_free:
            rest = list(ours)
            for t in theirs:
                hit = next((i for i, o in enumerate(rest) if same_value(o, t)), None)
                if hit is None:
                    return False
                rest.pop(hit)
            return True
        return all(same_value(o, t) for o, t in zip(ours, theirs, strict=True))
    if isinstance(theirs, dict):
        return isinstance(ours, dict) and ours.keys() == theirs.keys() and \
            all(same_value(ours[k], theirs[k]) for k in theirs)
    return ours == theirs


def kind_of_type(t: Any) -> str:
    """Terraform's JSON type -> the distinction clbplan's values carry: a set is a set, list and
    tuple are both sequences, map and object both mappings."""
    if isinstance(t, str):
        return {"dynamic": "null"}.get(t, t)
    return {"list": "sequence", "tuple": "sequence", "set": "set", "map": "mapping",
            "object": "mapping"}[t[0]]
