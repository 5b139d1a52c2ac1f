"""A plan as Markdown for a pull-request comment (``show -markdown FILE``).

What reviewers ask of plan comments (reference/terraform.md, section 5): the summary first and
always complete; destructive changes impossible to miss (listed first, marked); the details
folded away so a large plan does not bury the discussion; and a comment that GitHub accepts
(65,536 characters at most). The layout:

1. the verdict and a table of add / change / replace / destroy per resource type;
2. a list of the destroys and replaces, each marked with a warning sign;
3. drift (objects changed outside clbplan), when any matters;
4. each resource's attribute changes in a collapsible ``<details>`` section (destroys and
   replaces first);
5. the ordered operation list with the reason for each step.

Sections 4 and 5 are cut, never sections 1-3, when the whole would pass ``limit`` characters,
and the comment says what was left out.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping
from typing import Any

from deepdiff import DeepDiff

from planner.plan.diff import get_schema, values_equal
from planner.plan.model import Action, Plan, ResourceChange, group_description, group_members
from planner.render.output_diff import render_output_changes
from planner.render.text import operation_waits
from planner.render.values import fmt_value
from planner.values import contains_unknown, is_unknown

MAX_CHARS = 65_000
WARN = "\u26a0\ufe0f"  # warning sign
MARK = {
    Action.CREATE: "+", Action.UPDATE: "~", Action.DELETE: "-",
    Action.DELETE_THEN_CREATE: "-/+", Action.CREATE_THEN_DELETE: "+/-",
}
WORD = {
    Action.CREATE: "create", Action.UPDATE: "update in-place", Action.DELETE: "**destroy**",
    Action.DELETE_THEN_CREATE: "**replace** (destroy, then create)",
    Action.CREATE_THEN_DELETE: "**replace** (create, then destroy)",
}


def _esc(text: str) -> str:
    """Inline text safe in a table cell or list item."""
    return text.replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")


def _code(text: str) -> str:
    return "`" + text.replace("`", "'") + "`"


def _summary_table(plan: Plan) -> list[str]:
    rows: dict[str, Counter] = {}
    for c in plan.changes:
        kind = {Action.CREATE: "add", Action.UPDATE: "change", Action.DELETE: "destroy",
                Action.DELETE_THEN_CREATE: "replace", Action.CREATE_THEN_DELETE: "replace"}.get(c.action)
        if kind is None:
            continue
        rows.setdefault(c.type, Counter())[kind] += 1
    if not rows:
        return []
    lines = ["| Resource type | Add | Change | Replace | Destroy |", "|---|---:|---:|---:|---:|"]
    total: Counter = Counter()
    for t in sorted(rows):
        r = rows[t]
        total.update(r)
        cells = [str(r[k]) if r[k] else "" for k in ("add", "change", "replace", "destroy")]
        if r["replace"]:
            cells[2] = f"{WARN} {cells[2]}"
        if r["destroy"]:
            cells[3] = f"{WARN} {cells[3]}"
        lines.append(f"| {_code(t)} | " + " | ".join(cells) + " |")
    lines.append("| **Total** | " + " | ".join(f"**{total[k]}**" for k in ("add", "change", "replace", "destroy"))
                 + " |")
    return lines


def _destructive(plan: Plan) -> list[ResourceChange]:
    return [c for c in plan.changes if c.action is Action.DELETE or c.action.is_replace]


def _value_text(value: Any, sensitive: bool) -> str:
    text = fmt_value(value, sensitive)
    return text if len(text) <= 300 else text[:297] + "..."


def _attribute_lines(ch: ResourceChange) -> list[str]:
    """Attribute changes in a ``diff`` code block (GitHub colours + and - lines)."""
    schema = get_schema(ch.type)
    attrs = schema.attributes if schema is not None else {}
    blocks = schema.blocks if schema is not None else {}
    before, after = ch.before or {}, ch.after or {}
    forced = {p[0] for p in ch.replace_paths if p}
    out = []
    for name in sorted(set(before) | set(after)):
        if name == "id" and ch.action is not Action.DELETE:
            continue
        sens = name in ch.sensitive
        b, a = before.get(name), after.get(name)
        note = "  # forces replacement" if name in forced else ""
        if ch.action is Action.CREATE:
            if a is None or a == []:
                continue
            out.append(f"+ {name} = {_value_text(a, sens)}")
        elif ch.action is Action.DELETE:
            if b is None or b == []:
                continue
            out.append(f"- {name} = {_value_text(b, sens)}")
        else:
            if name not in after:
                continue
            if not contains_unknown(a) and values_equal(b, a, attrs.get(name), blocks.get(name)):
                continue
            if b in (None, []) and a in (None, []) and not is_unknown(a):
                continue
            paths = None if sens else _path_lines(name, b, a, blocks.get(name))
            if paths:
                out.extend(line + note for line in paths)
                continue
            if b not in (None, []):
                out.append(f"- {name} = {_value_text(b, sens)}{note}")
            out.append(f"+ {name} = {_value_text(a, sens)}{note}")
    return out


def _path_text(name: str, steps: list[Any], block: Any) -> str:
    """``servers[1].weight`` in a block, ``tags["env"]`` in a map: the path as HCL would spell it."""
    out = name
    for i, step in enumerate(steps):
        if isinstance(step, int):
            out += f"[{step}]"
        elif block is not None or i > 0:
            out += f".{step}"
        else:
            out += f'["{step}"]'
    return out


def _diff_lines(prefix: str, before: Any, after: Any, block: Any) -> list[str]:
    """deepdiff's changes between two values, one ``-``/``+`` pair per changed path under ``prefix``."""
    lines: list[tuple[str, str]] = []
    for kind, levels in DeepDiff(before, after, view="tree").items():
        for level in levels:
            removed = kind.endswith("_removed")
            path = _path_text(prefix, level.path(output_format="list", use_t2=not removed), block)
            if not kind.endswith("_added"):
                lines.append((path, f"- {path} = {_value_text(level.t1, False)}"))
            if not removed:
                lines.append((path, f"+ {path} = {_value_text(level.t2, False)}"))
    return [text for _, text in sorted(lines, key=lambda pt: (pt[0], pt[1][0] != "-"))]


def _element_key(element: Any) -> str | None:
    """How a reviewer tells set elements apart: their text fields (ids, types, names), e.g.
    ``[server_id="i-1", type="ecs"]``; numbers such as weights are what changes."""
    if not isinstance(element, dict):
        return None
    fields = [f"{k}={fmt_value(v)}" for k, v in sorted(element.items())
              if isinstance(v, str | list) and v not in ("", [])]
    return "[" + ", ".join(fields) + "]" if fields else None


def _set_lines(name: str, before: list, after: list) -> list[str] | None:
    """A set block: elements paired by their text fields, each pair diffed path by path."""
    old = {_element_key(e): e for e in before}
    new = {_element_key(e): e for e in after}
    if None in old or None in new or len(old) != len(before) or len(new) != len(after):
        return None  # elements a reviewer could not tell apart: show the whole value
    lines: list[str] = []
    for key in sorted(set(old) | set(new)):
        label = f"{name}{key}"
        if key not in new:
            lines.append(f"- {label} = {_value_text(old[key], False)}")
        elif key not in old:
            lines.append(f"+ {label} = {_value_text(new[key], False)}")
        else:
            lines += _diff_lines(label, old[key], new[key], True)
    return lines


def _path_lines(name: str, before: Any, after: Any, block: Any) -> list[str] | None:
    """A nested block or a map diffed path by path (deepdiff), so a reviewer sees
    ``servers[...].weight = 60`` -> ``70`` instead of the whole block twice. None where the whole
    value reads better: a list attribute (``server_ids``), or values known only after apply."""
    if not isinstance(before, list | dict) or type(before) is not type(after) or contains_unknown(after):
        return None
    if block is None and not isinstance(before, dict):
        return None
    if getattr(block, "nesting", "list") == "set":
        return _set_lines(name, before, after) or None
    return _diff_lines(name, before, after, block) or None


def _details(ch: ResourceChange) -> str:
    warn = f"{WARN} " if ch.action is Action.DELETE or ch.action.is_replace else ""
    lines = [f"<details><summary>{warn}<code>{MARK.get(ch.action, '')}</code> <code>{_esc(str(ch.address))}"
             f"</code>: {WORD.get(ch.action, ch.action.value).replace('**', '')}</summary>", ""]
    if ch.previous_address is not None:
        lines.append(f"_moved from {_code(str(ch.previous_address))}_")
        lines.append("")
    if ch.reason:
        lines.append(f"_{_esc(ch.reason)}_")
        lines.append("")
    body = _attribute_lines(ch)
    lines.append("```diff")
    lines.extend(body if body else ["  (no attribute changes shown)"])
    lines.append("```")
    lines.append("")
    lines.append("</details>")
    return "\n".join(lines) + "\n\n"


def _operations(plan: Plan) -> list[str]:
    if not plan.operations:
        return []
    waits = operation_waits(plan)
    out = []
    for i, op in enumerate(plan.operations, 1):
        warn = f"{WARN} " if op.kind.value == "delete" and not op.cascaded else ""
        note = " (with its load balancer: no API call)" if op.cascaded else ""
        why = waits.get(op.id, [])
        reasons = "; ".join(f"after {_esc(steps)}: {_esc(reason)}" for _, steps, reason in why[:3])
        if len(why) > 3:
            reasons += f"; and {len(why) - 3} more"
        out.append(f"{i}. {warn}{op.kind.value} {_code(str(op.address))}{note}"
                   + (f" — {reasons}" if reasons else ""))
    return out


def render_markdown(*args: Any, **kw: Any) -> str:
    """The PR comment; never longer than ``limit`` characters; the summary is never cut; secrets
    known to the run masked even where the cloud echoed them into an unmarked attribute."""
    from planner.redact import scrub

    return scrub(_render_markdown(*args, **kw))


def _render_markdown(plan: Plan, *, limit: int = MAX_CHARS, partial: bool = False,
                    refresh_only: bool = False, title: str = "clbplan plan",
                    outputs: Mapping[str, Any] | None = None, context: Mapping[str, Any] | None = None,
                    plan_file: str | None = None) -> str:
    """The PR comment; never longer than ``limit`` characters; the summary is never cut.
    ``outputs``: the plan's ``output_changes`` (JSON plan), listed under "Changes to outputs";
    ``context``: where the plan was made (``planner.cli.review_context``), named under the title;
    ``plan_file``: the saved plan, named in the command that applies it."""
    head = _verdict(plan, partial=partial, refresh_only=refresh_only, title=title, outputs=outputs,
                    context=context, plan_file=plan_file)
    destructive = _destructive(plan)
    # the lists below the table may be long (a plan replacing thousands of objects): they get at
    # most half of what is left after the table, and say how many entries they leave out
    list_budget = max(0, (limit - len("\n".join(head))) // 2)
    head += _lists(plan, destructive, list_budget, refresh_only=refresh_only, outputs=outputs)
    head_text = "\n".join(head) + "\n"
    shown = destructive + [c for c in plan.changes if c.action in (Action.CREATE, Action.UPDATE)]
    return _with_details(plan, head_text, shown, limit)


def _verdict(plan: Plan, *, partial: bool, refresh_only: bool, title: str,
             outputs: Mapping[str, Any] | None, context: Mapping[str, Any] | None = None,
             plan_file: str | None = None) -> list[str]:
    """Section 1: the title, where the plan was made, the verdict line, the targeting and verification
    notes, the command that applies it, the table."""
    head: list[str] = [f"### {title}", ""] + _context_lines(context)
    add, change, destroy = plan.counts
    replaced = sum(1 for c in plan.changes if c.action.is_replace)
    if refresh_only:
        head.append(f"**Refresh-only plan: {len(plan.drift)} object(s) changed outside clbplan.** "
                    "Applying it records them in the state and changes nothing in the cloud.")
    elif not plan.has_changes and render_output_changes(outputs or {}):
        head.append("**Only outputs change.** Applying this plan saves their new values in the state, without "
                    "changing any real infrastructure.")
    elif not plan.has_changes:
        head.append("**No changes.** Your infrastructure matches the configuration.")
    else:
        head.append(f"**Plan: {add} to add, {change} to change, {destroy} to destroy.**"
                    + (f" ({replaced} of them replaced)" if replaced else ""))
    if partial:
        head += ["", f"> {WARN} **Resource targeting is in effect**: this plan was made with -target or "
                 "-exclude and may not contain every change the configuration asks for."]
    if plan.verified:
        head += ["", "Verified: the operations ran in this order on a shadow copy of the refreshed cloud."]
    if plan_file and (plan.has_changes or refresh_only or render_output_changes(outputs or {})):
        head += ["", f"Apply exactly this plan: {_code(f'clbplan apply {plan_file}')}"]
    table = _summary_table(plan)
    if table:
        head += [""] + table
    return head


def _lists(plan: Plan, destructive: list[ResourceChange], list_budget: int, *, refresh_only: bool,
           outputs: Mapping[str, Any] | None) -> list[str]:
    """Sections 2 and 3: destroyed or replaced, moved or forgotten, drift, output changes; each capped
    at half of ``list_budget`` characters."""
    from planner.plan.targeting import relevant_drift

    lists: list[str] = []
    if destructive:
        lists += ["", f"#### {WARN} Destroyed or replaced", ""]
        lists += _capped([f"- {WARN} {_code(str(c.address))}: {WORD[c.action]}"
                          + (f" — {_esc(c.reason)}" if c.reason else "") for c in destructive],
                         list_budget // 2, "destroyed or replaced")
    moved = [c for c in plan.changes if c.previous_address is not None or c.action is Action.FORGET]
    if moved:
        lists += ["", "#### Moved or no longer managed", ""]
        lists += _capped([(f"- {WARN} {_code(str(c.address))}: no longer managed by clbplan, but not destroyed "
                           "(removed block with destroy = false)") if c.action is Action.FORGET else
                          (f"- {_code(str(c.previous_address))} moved to {_code(str(c.address))}"
                           + ("" if c.action is Action.NOOP else f" ({WORD.get(c.action, c.action.value)})"))
                          for c in moved], list_budget // 2, "moved or forgotten")
    drift = plan.drift if refresh_only else relevant_drift(plan)
    if drift:
        lists += ["", "#### Objects changed outside clbplan", ""]
        lists += _capped([f"- {_code(str(d.address))} "
                          + ("deleted" if d.after is None else "changed: " + ", ".join(_code(n) for n in d.changed))
                          for d in drift], list_budget // 2, "changed outside clbplan")
    if not refresh_only:
        lists += _outputs_section(outputs, list_budget // 2)
    return lists


def _with_details(plan: Plan, head_text: str, shown: list[ResourceChange], limit: int) -> str:
    """Sections 4 and 5 after ``head_text``: as many resource details as fit in ``limit``, then the
    operation list if it fits too; when something is cut, a note says what."""
    changes_head = "\n#### Changes\n\n" if shown else ""
    note_tmpl = ("\n> {warn} **Output truncated**: {n} of {total} resource details{ops} left out to stay "
                 "under {limit:,} characters. Run `clbplan show FILE` for the full plan.\n")
    room = limit - len(head_text) - len(changes_head)
    if room < len(note_tmpl) + 80:  # pathological: even the summary is too long; cut it plainly
        return head_text[: limit - 40] + "\n\n(summary truncated)\n"
    # details are rendered one at a time until they no longer fit (a 10,000-change plan renders
    # only the few hundred that are shown)
    kept: list[str] = []
    used = 0
    for c in shown:
        d = _details(c)
        if used + len(d) > room:
            break
        kept.append(d)
        used += len(d)
    if len(kept) == len(shown):
        ops = _operations(plan)
        ops_text = ("\n<details><summary>Operations, in order</summary>\n\n" + "\n".join(_mermaid(plan) + ops)
                    + "\n\n</details>\n" if ops else "")
        if used + len(ops_text) <= room:
            return head_text + changes_head + "".join(kept) + ops_text
    # cut: keep the head and as many details as fit with the note; the operations go first
    budget = room - len(note_tmpl) - 80
    while kept and used > budget:
        used -= len(kept.pop())
    note = note_tmpl.format(warn=WARN, n=len(shown) - len(kept), total=len(shown),
                            ops=" and the operation list" if plan.operations else "", limit=limit)
    return head_text + changes_head + "".join(kept) + note


MERMAID_MAX_OPS = 40  # past this a picture is no longer readable at a pull request's width
_MERMAID_CLASS = {"create": "fill:#e8f5e9,stroke:#2e7d32", "update": "fill:#fff8e1,stroke:#f9a825",
                  "delete": "fill:#ffebee,stroke:#c62828", "group": "fill:#f5f5f5,stroke:#757575,stroke-dasharray:4"}


def _mermaid_text(text: str, limit: int = 64) -> str:
    """A Mermaid label: quotes and angle brackets as entities, long reasons shortened."""
    text = text if len(text) <= limit else text[: limit - 3] + "..."
    return text.replace("&", "#amp;").replace('"', "#quot;").replace("<", "#lt;").replace(">", "#gt;")


def _mermaid(plan: Plan) -> list[str]:
    """The operation graph top to bottom, as GitHub draws a ``mermaid`` block: a box per operation
    coloured by kind, numbered as in the list below it, an arrow per wait labelled with its reason,
    and a legend. Nothing for a plan too large to read as a picture."""
    if not plan.edges or len(plan.operations) > MERMAID_MAX_OPS:
        return []
    names = {op.id: f"op{i}" for i, op in enumerate(plan.operations, 1)}
    lines = ["```mermaid", "flowchart TD"]
    lines += [f"  classDef {kind} {style}" for kind, style in _MERMAID_CLASS.items()]
    for i, op in enumerate(plan.operations, 1):
        label = _mermaid_text(f"{i}. {op.kind.value}", 80) + "<br/>" + _mermaid_text(str(op.address), 80)
        lines.append(f'  {names[op.id]}["{label}"]:::{op.kind.value}')
    for n, (gid, members) in enumerate(sorted(group_members(plan.edges).items()), 1):
        names[gid] = f"group{n}"
        lines.append(f'  group{n}{{{{"{_mermaid_text(group_description(gid, len(members)), 80)}"}}}}:::group')
    steps = {str(op.address): f"#{i}" for i, op in enumerate(plan.operations, 1)}
    for e in plan.edges:
        if e.before in names and e.after in names:
            lines.append(f'  {names[e.before]} -->|"{_mermaid_text(_short_reason(e.reason, steps))}"| {names[e.after]}')
    used = {op.kind.value for op in plan.operations} | ({"group"} if any(n.startswith("group") for n in
                                                                       names.values()) else set())
    lines += ["  subgraph legend [Legend]", "    direction LR"]
    lines += [f'    legend_{kind}{{{{"{text}"}}}}:::{kind}' if kind == "group" else f'    legend_{kind}["{text}"]:::{kind}'
              for kind, text in _LEGEND if kind in used]
    lines += ["  end", "```", ""]
    return lines


_LEGEND = (("create", "create"), ("update", "update in place"), ("delete", "delete"),
           ("group", "waited for together"))


def _short_reason(reason: str, steps: Mapping[str, str]) -> str:
    """An edge label a picture can hold: the addresses the boxes already show become step numbers."""
    for address in sorted((a for a in steps if a in reason), key=len, reverse=True):
        reason = reason.replace(address, steps[address])
    return reason


def _context_lines(context: Mapping[str, Any] | None) -> list[str]:
    """Folder · workspace · backend · commit, one line under the title (nothing for an older file)."""
    if not context:
        return []
    backend = context.get("backend") or {}
    parts = [f"Folder {_code(str(context.get('folder', '.')))}",
             f"workspace {_code(str(context.get('workspace', 'default')))}",
             f"backend {_code(str(backend.get('type', 'local')))}"
             + (f" ({_code(str(backend['where']))})" if backend.get("where") else "")]
    if context.get("commit"):
        parts.append(f"commit {_code(str(context['commit'])[:12])}"
                     + (" **with uncommitted changes to the configuration**" if context.get("uncommitted") else ""))
    return [" · ".join(parts), ""]


def _outputs_section(outputs: Mapping[str, Any] | None, budget: int) -> list[str]:
    """The output changes as Terraform's plan prints them, in a code block (the layout reviewers know
    from ``terraform plan``); lines past ``budget`` characters are left out, and the block says so."""
    lines = render_output_changes(outputs or {})
    if not lines:
        return []
    longest = max((len(run) for line in lines for run in re.findall(r"`+", line)), default=0)
    fence = "`" * max(3, longest + 1)
    kept = _capped(lines, budget, "lines", bullet="#")
    return ["", "#### Changes to outputs", "", fence, *kept, fence]


def _capped(items: list[str], budget: int, what: str, *, bullet: str = "-") -> list[str]:
    """As many list items as fit in ``budget`` characters, then a line saying how many are left out
    (``bullet`` starts it: a list item, or a comment inside a code block)."""
    out: list[str] = []
    used = 0
    for i, item in enumerate(items):
        if used + len(item) + 1 > budget - 80:
            out.append(f"{bullet} ... and {len(items) - i} more {what} (the full list is in `clbplan show FILE`)")
            break
        out.append(item)
        used += len(item) + 1
    return out
