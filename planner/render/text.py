"""Human rendering of plans and state, in Terraform's style (golden-testable, plain text).

The layout follows ``terraform plan``: a header per changed resource, ``+ ~ - -/+ +/-`` markers,
``# forces replacement`` on the attributes that force a replace, ``(known after apply)`` and
``(sensitive value)``; then what Terraform cannot show: the ordered operation list with the rule
that put each step where it is; then the exact summary line CI tools parse.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from planner.plan import diff as _diff
from planner.plan.diff import values_equal
from planner.plan.model import (
    Action,
    Operation,
    Plan,
    ResourceChange,
    compact_steps,
    group_description,
    waits_by_operation,
)
from planner.render.drift import render_drift
from planner.render.output_diff import outputs_section
from planner.render.values import SENSITIVE, fmt_value
from planner.state.model import State
from planner.values import contains_unknown, is_unknown

HEADERS = {
    Action.CREATE: "will be created",
    Action.UPDATE: "will be updated in-place",
    Action.DELETE: "will be destroyed",
    Action.DELETE_THEN_CREATE: "must be replaced",
    Action.CREATE_THEN_DELETE: "must be replaced",
    Action.READ: "will be read during apply",
}

MAX_EDGE_REASONS = 3


def _is_block(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, dict) for v in value)


class _Writer:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def attrs(self, rows: list[tuple[str, str, str, str]], indent: int) -> None:
        """rows: (symbol, name, text, trailer); names aligned like terraform's output."""
        if not rows:
            return
        width = max(len(r[1]) for r in rows)
        pad = " " * indent
        for sym, name, text, trailer in rows:
            mark = f"{sym} " if sym else "  "
            self.lines.append(f"{pad}{mark}{name.ljust(width)} = {text}{trailer}".rstrip())


def _block_item_lines(w: _Writer, sym: str, name: str, item: dict, indent: int, sensitive: bool,
                      trailer: str = "") -> None:
    pad = " " * indent
    w.lines.append(f"{pad}{sym} {name} {{{trailer}")
    rows = []
    nested = []
    for k in sorted(item):
        v = item[k]
        if v is None:
            continue
        if _is_block(v):
            nested.append((k, v))
            continue
        rows.append((sym, k, fmt_value(v, sensitive), ""))
    w.attrs(rows, indent + 4)
    for k, items in nested:
        for it in items:
            _block_item_lines(w, sym, k, it, indent + 4, sensitive)
    w.lines.append(f"{pad}  }}")


def _render_kept(w: _Writer, ch: ResourceChange, header: list[str], sym: str) -> None:
    """A moved object with nothing else to change, or a forgotten one: its id, the rest hidden
    (Terraform's layout: ``# OLD has moved to NEW`` / ``. resource`` for forget)."""
    w.lines.extend(header)
    addr = ch.address
    w.lines.append(f"{sym} resource \"{addr.type}\" \"{addr.name}\" {{")
    before = ch.before or {}
    if "id" in before:
        w.lines.append(f"        id = {fmt_value(before['id'], 'id' in ch.sensitive)}")
    hidden = sum(1 for k, v in before.items() if k != "id" and v not in (None, []))
    if hidden:
        w.lines.append(f"        # ({hidden} unchanged attribute{'s' if hidden != 1 else ''} hidden)")
    w.lines.append("    }")
    w.lines.append("")


def _render_change(w: _Writer, ch: ResourceChange) -> None:
    """One resource's block of the plan text: its header comment, the attributes that change (or
    are shown), the nested blocks that change, and how much is hidden."""
    addr = ch.address
    if ch.action is Action.FORGET:
        _render_kept(w, ch, [f" # {addr} will no longer be managed by clbplan, but will not be destroyed",
                             " # (destroy = false is set in the configuration)"], " .")
        return
    if ch.action is Action.NOOP and ch.previous_address is not None:
        _render_kept(w, ch, [f"  # {ch.previous_address} has moved to {addr}"], "   ")
        return
    w.lines.append(f"  # {addr} {HEADERS.get(ch.action, ch.action.value)}")
    if ch.previous_address is not None:
        w.lines.append(f"  # (moved from {ch.previous_address})")
    if ch.reason:
        w.lines.append(f"  # ({ch.reason})")
    sym = ch.action.symbol
    w.lines.append(f"{sym.rjust(3)} resource \"{addr.type}\" \"{addr.name}\" {{")
    schema = _diff.get_schema(addr.type)
    attrs = schema.attributes if schema is not None else {}
    blocks = schema.blocks if schema is not None else {}
    forced = {p[0] for p in ch.replace_paths if p}
    rows, block_lines, hidden = _attribute_rows(ch, attrs, blocks, forced)
    w.attrs(rows, 6)
    _render_changed_blocks(w, block_lines, forced, ch.sensitive)
    if hidden:
        w.lines.append(f"        # ({hidden} unchanged attribute{'s' if hidden != 1 else ''} hidden)")
    w.lines.append("    }")
    w.lines.append("")


def _attribute_rows(ch: ResourceChange, attrs: dict, blocks: dict, forced: set[str]
                    ) -> tuple[list[tuple[str, str, str, str]], list[tuple[str, str, list, list]], int]:
    """What the change shows of each top-level name: attribute rows (symbol, name, value text,
    trailer), nested blocks to show item by item (symbol, name, old items, new items), and the
    count of unchanged attributes hidden."""
    before, after = ch.before or {}, ch.after or {}
    rows: list[tuple[str, str, str, str]] = []
    block_lines: list[tuple[str, str, list, list]] = []
    hidden = 0
    for name in sorted(set(before) | set(after)):
        sens = name in ch.sensitive
        b, a = before.get(name), after.get(name)
        if ch.action is Action.CREATE:
            if a is None or a == []:
                continue
            if _is_block(a) or name in blocks and isinstance(a, list):
                block_lines.append(("+", name, [], a))
                continue
            rows.append(("+", name, fmt_value(a, sens), ""))
            continue
        if ch.action is Action.DELETE:
            if b is None or b == []:
                continue
            if _is_block(b):
                block_lines.append(("-", name, b, []))
                continue
            rows.append(("-", name, fmt_value(b, sens), " -> null"))
            continue
        if name not in after and ch.after is not None:
            hidden += 1
            continue
        same = values_equal(b, a, attrs.get(name), blocks.get(name)) or (
            not is_unknown(a) and b in (None, []) and a in (None, []))
        if same:
            if name == "id":
                rows.append(("", name, fmt_value(b, sens), ""))
            else:
                hidden += 1
            continue
        trailer = " # forces replacement" if name in forced else ""
        if (_is_block(b) or _is_block(a)) and not contains_unknown(a):
            block_lines.append(("~", name, b or [], a or []))
            continue
        if b is None:
            rows.append(("+", name, fmt_value(a, sens), trailer))
        elif a is None:
            rows.append(("-", name, fmt_value(b, sens), " -> null" + trailer))
        else:
            text = SENSITIVE if sens else f"{fmt_value(b)} -> {fmt_value(a)}"
            rows.append(("~", name, text, trailer))
    return rows, block_lines, hidden


def _render_changed_blocks(w: _Writer, block_lines: list[tuple[str, str, list, list]], forced: set[str],
                           sensitive: set[str]) -> None:
    """The nested blocks: an updated one shows only the items removed and added, with the kept ones
    counted."""
    for sym, name, old, new in block_lines:
        if sym == "~":
            mark = " # forces replacement" if name in forced else ""
            kept = [o for o in old if any(values_equal(o, n) for n in new)]
            for o in old:
                if not any(values_equal(o, k) for k in kept):
                    _block_item_lines(w, "-", name, o, 6, name in sensitive, mark)
            for n in new:
                if not any(values_equal(n, k) for k in kept):
                    _block_item_lines(w, "+", name, n, 6, name in sensitive, mark)
            if kept:
                w.lines.append(f"        # ({len(kept)} unchanged {name} block{'s' if len(kept) != 1 else ''} hidden)")
        else:
            for item in (new if sym == "+" else old):
                _block_item_lines(w, sym, name, item, 6, name in sensitive)


def operation_waits(plan: Plan) -> dict[str, list[tuple[int, str, str]]]:
    """For each operation id, what it waits for as (first step number, steps text, reason), in
    step order. A wait on a group node reads ``3-12 (all 10 writes of alicloud_instance.app)``:
    the step numbers of every member and what the group is. Shared by every plan renderer."""
    index = {op.id: i + 1 for i, op in enumerate(plan.operations)}
    group_text: dict[str, tuple[int, str]] = {}
    out: dict[str, list[tuple[int, str, str]]] = {}
    for op_id, waits in waits_by_operation(plan.edges).items():
        rows = []
        for w in waits:
            if w.group is None:
                if w.before[0] in index:
                    rows.append((index[w.before[0]], str(index[w.before[0]]), w.reason))
                continue
            got = group_text.get(w.group)
            if got is None:
                steps = [index[m] for m in w.before if m in index]
                if not steps:  # an empty group (a partial plan left none of its members)
                    got = (0, "")
                else:
                    got = (min(steps), f"{compact_steps(steps)} ({group_description(w.group, len(steps))})")
                group_text[w.group] = got
            if got[1]:
                rows.append((got[0], got[1], w.reason))
        rows.sort(key=lambda r: r[0])
        out[op_id] = rows
    return out


def render_operations(plan: Plan) -> list[str]:
    """The ordered steps with, for each, why it runs after what it runs after."""
    if not plan.operations:
        return []
    waits = operation_waits(plan)
    lines = []
    if plan.verified:
        lines += ["Verified: every step below was run, in this order, on a copy of the cloud, and the cloud "
                  "accepted it.", ""]
    lines.append("Operations, in order:")
    width = len(str(len(plan.operations)))
    for i, op in enumerate(plan.operations, 1):
        note = " (with its load balancer: no API call)" if op.cascaded else ""
        lines.append(f"  {str(i).rjust(width)}. {op.kind.value:<6} {op.address}{note}")
        edges = waits.get(op.id, [])
        for _, steps, reason in edges[:MAX_EDGE_REASONS]:
            lines.append(f"  {' ' * width}    after {steps}: {reason}")
        if len(edges) > MAX_EDGE_REASONS:
            lines.append(f"  {' ' * width}    (and {len(edges) - MAX_EDGE_REASONS} more steps before it)")
    lines.append("")
    return lines


def summary_line(plan: Plan) -> str:
    if not plan.has_changes:
        return "No changes. Your infrastructure matches the configuration."
    add, change, destroy = plan.counts
    return f"Plan: {add} to add, {change} to change, {destroy} to destroy."


def render_plan(plan: Plan, output_changes: Mapping[str, Any] | None = None) -> str:
    """The full human plan text. ``output_changes`` (the JSON plan's) adds Terraform's "Changes to
    Outputs:" after the summary; a plan that only changes outputs is that section alone."""
    lines: list[str] = []
    outputs = outputs_section(output_changes, resources_change=any(
        c.action not in (Action.NOOP, Action.READ) for c in plan.changes))
    if not plan.has_changes and outputs:
        return "\n".join(outputs[1:]) + "\n"
    if not plan.has_changes:
        # like Terraform, drift is only reported alongside changes it may have affected
        lines.append(summary_line(plan))
        lines.append("")
        lines.append("clbplan has compared your real infrastructure against your configuration and "
                     "found no differences, so no changes are needed.")
        return "\n".join(lines) + "\n"
    lines.extend(render_drift(plan))
    used = {c.action for c in plan.changes}
    legend = [(Action.CREATE, "+", "create"), (Action.UPDATE, "~", "update in-place"),
              (Action.DELETE, "-", "destroy"),
              (Action.DELETE_THEN_CREATE, "-/+", "destroy and then create replacement"),
              (Action.CREATE_THEN_DELETE, "+/-", "create replacement and then destroy")]
    symbols = [f"{sym.rjust(3)} {text}" for action, sym, text in legend if action in used]
    if symbols:  # a plan that only moves or forgets objects has no legend (as in Terraform)
        lines.append("clbplan used the selected providers to generate the following execution plan. Resource "
                     "actions are indicated with the following symbols:")
        lines.extend(symbols)
        lines.append("")
    lines.append("clbplan will perform the following actions:")
    lines.append("")
    w = _Writer()
    for ch in plan.changes:
        if ch.action in (Action.NOOP, Action.READ) and ch.previous_address is None:
            continue
        start = len(w.lines)
        _render_change(w, ch)
        if len(w.lines) - start > 1:
            # one string per change: 100,005 creates are 3.8 million lines, whose objects weighed more
            # than the text at the command's peak of memory
            w.lines[start:] = ["\n".join(w.lines[start:])]
    lines.extend(w.lines)
    lines.extend(render_operations(plan))
    lines.append(summary_line(plan))
    lines.extend(outputs)
    lines.extend(forget_warning(plan))
    lines.append("")  # (the final newline, without a second copy of the whole text)
    return "\n".join(lines)


def forget_warning(plan: Plan) -> list[str]:
    """Terraform's warning after the summary when a removed block forgets objects."""
    gone = [c.address for c in plan.changes if c.action is Action.FORGET]
    if not gone:
        return []
    return ["", "Warning: Some objects will no longer be managed by clbplan", "",
            "If you apply this plan, clbplan will discard its tracking information for the following objects, "
            "but it will not delete them:", *[f" - {a}" for a in gone], "",
            "After applying this plan, clbplan will no longer manage these objects. You will need to import "
            "them into clbplan to manage them again."]


def render_operation_line(op: Operation) -> str:
    return f"{op.kind.value} {op.address}" + (" (cascaded)" if op.cascaded else "")


def render_state(state: State, sensitive_names: dict[str, set[str]] | None = None) -> str:
    """``clbplan show``: every resource with its attributes, secrets masked."""
    if not state.resources:
        return "The state file is empty. No resources are represented.\n"
    w = _Writer()
    for addr in sorted(state.resources, key=str):
        rs = state.resources[addr]
        schema = _diff.get_schema(addr.type)
        sens = set(schema.sensitive) if schema is not None else set()
        sens |= (sensitive_names or {}).get(addr.type, set())
        sens |= {k for k in rs.attributes if "secret" in k or k in ("private_key", "password")}
        sens |= rs.sensitive  # the state's sensitive_attributes
        w.lines.append(f"# {addr}:")
        w.lines.append(f"resource \"{addr.type}\" \"{addr.name}\" {{")
        attrs = {**rs.attributes, "id": rs.id}
        rows, blocks = [], []
        for k in sorted(attrs):
            v = attrs[k]
            if v is None or v == []:
                continue
            if _is_block(v):
                blocks.append((k, v))
                continue
            rows.append(("", k, fmt_value(v, k in sens), ""))
        w.attrs(rows, 2)
        for k, items in blocks:
            for it in items:
                _block_item_lines(w, " ", k, it, 2, k in sens)
        w.lines.append("}")
        w.lines.append("")
    if state.outputs:
        w.lines.append("Outputs:")
        w.lines.append("")
        rows = [("", name, fmt_value(o.get("value"), bool(o.get("sensitive"))), "")
                for name, o in sorted(state.outputs.items())]
        w.attrs(rows, 0)
    from planner import redact

    return redact.scrub("\n".join(w.lines).rstrip() + "\n")
