"""Drift, the objects changed outside clbplan, as the plan text shows it: one module for both forms
so their wording cannot part.

* ``render_drift``: one line per object, what ``render_plan`` prints (and the scenario goldens hold);
* ``render_drift_detail``: attribute by attribute, old -> new, secrets masked, what ``plan``,
  ``apply`` and ``show FILE`` print (``planner.cli.review.render_text``).
"""

from __future__ import annotations

from typing import Any

from planner.plan.diff import get_schema, values_equal
from planner.plan.model import DriftEntry, Plan
from planner.render.values import fmt_value


def _heading(ending: str) -> list[str]:
    return ["Note: Objects have changed outside of clbplan", "",
            "clbplan detected the following changes made outside of clbplan since the last "
            "\"clbplan apply\"" + ending, ""]


def _deleted(d: DriftEntry) -> str:
    return f"  # {d.address} has been deleted"


def render_drift(plan: Plan) -> list[str]:
    """All of the plan's drift, one line per object."""
    if not plan.drift:
        return []
    lines = _heading(":")
    for d in plan.drift:
        if d.after is None:
            lines.append(_deleted(d))
        else:
            lines.append(f"  # {d.address} has changed: {', '.join(d.changed)}")
    lines.append("")
    return lines


def _is_items(v: Any) -> bool:
    return isinstance(v, list) and all(isinstance(x, dict) for x in v)


def render_drift_detail(plan: Plan, drift: list, *, refresh_only: bool = False) -> list[str]:
    """Drift attribute by attribute, old -> new, secrets masked."""
    if not drift:
        return []
    lines = _heading(":" if refresh_only else " which may have affected this plan:")
    masked = {c.address: set(c.sensitive) for c in plan.changes if c.sensitive}
    for d in drift:
        if d.after is None:
            lines.append(_deleted(d))
            lines.append(f"  - resource \"{d.address.type}\" \"{d.address.name}\" {{ ... }}")
            lines.append("")
            continue
        schema = get_schema(d.address.type)
        sens = set(schema.sensitive) if schema is not None else set()
        sens |= masked.get(d.address, set())
        lines.append(f"  # {d.address} has changed")
        lines.append(f"  ~ resource \"{d.address.type}\" \"{d.address.name}\" {{")
        width = max(len(n) for n in d.changed)
        for n in d.changed:
            b, a = (d.before or {}).get(n), (d.after or {}).get(n)
            if _is_items(b) and _is_items(a) and n not in sens:
                # blocks: only the items that differ, one per line
                lines.append(f"      ~ {n}:")
                lines += [f"          - {fmt_value(x)}" for x in b if not any(values_equal(x, y) for y in a)]
                lines += [f"          + {fmt_value(y)}" for y in a if not any(values_equal(y, x) for x in b)]
                continue
            lines.append(f"      ~ {n.ljust(width)} = {fmt_value(b, n in sens)} -> {fmt_value(a, n in sens)}")
        lines.append("    }")
        lines.append("")
    return lines
