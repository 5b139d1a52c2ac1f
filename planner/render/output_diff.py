"""The "Changes to Outputs:" section of a human plan, as Terraform 1.11 prints it.

Terraform renders an output change from the JSON plan's ``output_changes`` entry with its JSON-value
differ (internal/command/jsonformat: jsondiff, collections, computed/renderers), not with the
resource renderer: objects one attribute a line with keys aligned and unchanged ones counted
(``# (1 unchanged attribute hidden)``) except ``id``/``name``/``tags``; lists element by element when
their length is the same, else by longest common subsequence, with one unchanged element of context
around each change; a change of JSON type as ``old -> new``; unknowns ``(known after apply)``;
sensitive outputs ``(sensitive value)``. Names are padded to the longest output name, changed or not.

This module ports those rules, so that a reviewer used to Terraform's plan reads the same lines
(fixtures recorded from terraform 1.11.4 in tests/ui/expected_outputs.json).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from planner.hclvalue import go_quote

CREATE, DELETE, UPDATE, NOOP = "create", "delete", "update", "no-op"
SYMBOLS = {CREATE: "  +", DELETE: "  -", UPDATE: "  ~", NOOP: "   "}
ONLY_OUTPUTS_NOTE = ("You can apply this plan to save these new output values to the clbplan state, without "
                     "changing any real infrastructure.")
_IMPORTANT = ("id", "name", "tags")  # object attributes Terraform always shows
_IDENTIFIER = re.compile(r"^[^\W\d][\w-]*$")
_MISSING = object()


@dataclass
class _Change:
    """One value's before/after with Terraform's structured.Change flags."""

    before: Any = None
    after: Any = None
    unknown: Any = False
    before_sensitive: Any = False
    after_sensitive: Any = False
    before_explicit: bool = False
    after_explicit: bool = False

    def as_delete(self) -> _Change:
        return _Change(self.before, None, None, self.before_sensitive, None, self.before_explicit, False)

    def as_create(self) -> _Change:
        return _Change(None, self.after, self.unknown, None, self.after_sensitive, False, self.after_explicit)


@dataclass
class _Opts:
    override_null_suffix: bool = False
    show_unchanged: bool = False


@dataclass
class _Diff:
    action: str
    render: Callable[[str, int, _Opts], str] = field(repr=False)

    def text(self, indent: int, opts: _Opts) -> str:
        return self.render(self.action, indent, opts)


def _indent(n: int) -> str:
    return "    " * n


def _sym(action: str) -> str:
    return SYMBOLS[action] + " "


def _null_suffix(action: str, opts: _Opts) -> str:
    return " -> null" if action == DELETE and not opts.override_null_suffix else ""


def _unchanged(keyword: str, count: int) -> str:
    return f"# ({count} unchanged {keyword}{'' if count == 1 else 's'} hidden)"


def _key(name: str) -> str:
    """renderers.EnsureValidAttributeName: an HCL identifier as is, anything else quoted."""
    return name if _IDENTIFIER.match(name) else go_quote(name)


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float, Decimal)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, (list, tuple)):
        return "array"
    if isinstance(value, Mapping):
        return "object"
    return "string"


def _number(value: Any) -> str:
    """A number as the JSON plan writes it (cty: integers without a fraction, no exponent)."""
    if isinstance(value, int):
        return str(value)
    d = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    return format(d.normalize(), "f") if d == d.to_integral_value() or "e" in repr(value).lower() else str(d)


def _same(a: Any, b: Any) -> bool:
    """reflect.DeepEqual on decoded JSON: types matter (true is not 1)."""
    ta, tb = _json_type(a), _json_type(b)
    if ta != tb:
        return False
    if ta == "number":
        return _number(a) == _number(b)
    if ta == "array":
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if ta == "object":
        return set(a) == set(b) and all(_same(a[k], b[k]) for k in a)
    return a == b


# ---------------------------------------------------------------------------------------------
# renderers (computed/renderers)

def _primitive(before: Any, after: Any, kind: str) -> Callable[[str, int, _Opts], str]:
    def render(action: str, indent: int, opts: _Opts) -> str:
        if kind == "string":
            return _render_string(before, after, action, indent, opts)

        def show(v: Any) -> str:
            if v is None:
                return "null"
            if kind == "bool":
                return "true" if v else "false"
            return _number(v)

        if action == CREATE:
            return show(after)
        if action == DELETE:
            return show(before) + _null_suffix(action, opts)
        if action == NOOP:
            return show(before)
        return f"{show(before)} -> {show(after)}"
    return render


@dataclass
class _Str:
    text: str
    json: Any = _MISSING
    multiline: bool = False
    null: bool = False

    def simple(self) -> str:
        return self.text if self.null else go_quote(self.text)


def _evaluate(value: Any) -> _Str:
    if value is None:
        return _Str("null", null=True)
    if value.startswith(("{", "[")):
        try:
            return _Str(value, json.loads(value, parse_float=Decimal))
        except ValueError:
            pass
    if "\n" in value:
        return _Str(value.strip(), multiline=True)
    return _Str(value)


def _render_string(before: Any, after: Any, action: str, indent: int, opts: _Opts) -> str:
    noop_prefix = _indent(indent + 1) + _sym(NOOP)
    if action in (CREATE, NOOP):
        s = _evaluate(after)
        if s.json is not _MISSING:
            return _render_json_string(action, indent, opts, s if action == NOOP else _Str(""), s)
        if not s.multiline:
            return s.simple()
        lines = [noop_prefix + line for line in s.text.split("\n")]
    elif action == DELETE:
        s = _evaluate(before)
        if s.null:
            return s.simple()
        if s.json is not _MISSING:
            return _render_json_string(action, indent, opts, s, _Str(""))
        if not s.multiline:
            return s.simple() + _null_suffix(action, opts)
        lines = [noop_prefix + line for line in s.text.split("\n")]
    else:
        b, a = _evaluate(before), _evaluate(after)
        if b.json is not _MISSING and a.json is not _MISSING:
            return _render_json_string(action, indent, opts, b, a)
        if b.json is not _MISSING or a.json is not _MISSING:
            change = _Diff(action, _type_change(_Diff(DELETE, _primitive(before, None, "string")),
                                                _Diff(CREATE, _primitive(None, after, "string"))))
            return change.text(indent, opts)
        if not b.multiline and not a.multiline:
            return f"{b.simple()} -> {a.simple()}"
        old, new = b.text.split("\n"), a.text.split("\n")
        lines = []

        def line(bi: int, ai: int) -> None:
            pad = _indent(indent + 1)
            if bi >= len(old):
                lines.append(pad + _sym(CREATE) + new[ai])
            elif ai >= len(new):
                lines.append(pad + _sym(DELETE) + old[bi])
            elif old[bi] != new[ai]:
                lines.append(pad + _sym(DELETE) + old[bi])
                lines.append(pad + _sym(CREATE) + new[ai])
            else:
                lines.append(pad + _sym(NOOP) + old[bi])

        _process_slice(old, new, line, lambda _v: False)
    return "<<-EOT\n" + "\n".join(lines) + "\n" + _indent(indent) + _sym(NOOP) + "EOT" + _null_suffix(action, opts)


def _render_json_string(action: str, indent: int, opts: _Opts, before: _Str, after: _Str) -> str:
    """A string holding JSON renders as ``jsonencode(...)`` with the JSON diffed inside."""
    inner = transform(_Change(None if before.json is _MISSING else before.json,
                              None if after.json is _MISSING else after.json,
                              before_explicit=action != CREATE, after_explicit=action != DELETE))
    shown = action
    json_opts = replace(opts, override_null_suffix=True)
    whitespace = ""
    if inner.action == NOOP and action == UPDATE:
        whitespace = " # whitespace changes"
        json_opts.show_unchanged = True
        shown = NOOP
    rendered = inner.text(indent + 1, json_opts)
    if action in (CREATE, DELETE):
        shown = NOOP
    if "\n" in rendered:
        return (f"jsonencode({whitespace}\n{_indent(indent + 1)}{_sym(shown)}{rendered}\n"
                f"{_indent(indent)}{_sym(NOOP)}){_null_suffix(action, opts)}")
    return f"jsonencode({rendered}){whitespace}"


def _list(elements: list[_Diff]) -> Callable[[str, int, _Opts], str]:
    def render(action: str, indent: int, opts: _Opts) -> str:
        if not elements:
            return "[]" + _null_suffix(action, opts)
        element_opts = replace(opts, override_null_suffix=True)
        unchanged_opts = replace(opts, show_unchanged=True)
        pending: list[_Diff] = []
        render_next = False
        out = ["[\n"]
        pad = _indent(indent + 1)
        for element in elements:
            if element.action == NOOP and not render_next and not opts.show_unchanged:
                pending.append(element)
                continue
            render_next = False
            use = element_opts
            if len(pending) > 1:
                out.append(f"{pad}{_sym(NOOP)}{_unchanged('element', len(pending) - 1)}\n")
            if pending:
                last = pending[-1]
                out.append(f"{pad}{_sym(last.action)}{last.text(indent + 1, unchanged_opts)},\n")
            pending = []
            if element.action == NOOP:
                use = unchanged_opts
            else:
                render_next = True
            out.append(f"{pad}{_sym(element.action)}{element.text(indent + 1, use)},\n")
        if pending:
            out.append(f"{pad}{_sym(NOOP)}{_unchanged('element', len(pending))}\n")
        out.append(f"{_indent(indent)}{_sym(NOOP)}]{_null_suffix(action, opts)}")
        return "".join(out)
    return render


def _object(attributes: dict[str, _Diff]) -> Callable[[str, int, _Opts], str]:
    def render(action: str, indent: int, opts: _Opts) -> str:
        if not attributes:
            return "{}" + _null_suffix(action, opts)
        attr_opts = replace(opts, override_null_suffix=True)
        names = {k: _key(k) for k in attributes}
        width = max(len(n.encode()) for n in names.values())
        pad = _indent(indent + 1)
        hidden = 0
        out = ["{\n"]
        for k in sorted(attributes, key=lambda s: s.encode()):
            a = attributes[k]
            shown = names[k] + " " * max(0, width - len(names[k]))
            if k in _IMPORTANT:
                out.append(f"{pad}{_sym(a.action)}{shown} = {a.text(indent + 1, replace(attr_opts, show_unchanged=True))}\n")
                continue
            if a.action == NOOP and not opts.show_unchanged:
                hidden += 1
                continue
            out.append(f"{pad}{_sym(a.action)}{shown} = {a.text(indent + 1, attr_opts)}\n")
        if hidden:
            out.append(f"{pad}{_sym(NOOP)}{_unchanged('attribute', hidden)}\n")
        out.append(f"{_indent(indent)}{_sym(NOOP)}}}{_null_suffix(action, opts)}")
        return "".join(out)
    return render


def _type_change(before: _Diff, after: _Diff) -> Callable[[str, int, _Opts], str]:
    def render(_action: str, indent: int, opts: _Opts) -> str:
        quiet = replace(opts, override_null_suffix=True)
        return f"{before.text(indent, quiet)} -> {after.text(indent, quiet)}"
    return render


def _unknown(before: _Diff | None) -> Callable[[str, int, _Opts], str]:
    def render(action: str, indent: int, opts: _Opts) -> str:
        if action == CREATE or before is None:
            return "(known after apply)"
        return f"{before.text(indent, replace(opts, override_null_suffix=True))} -> (known after apply)"
    return render


def _sensitive(action: str, _indent_: int, opts: _Opts) -> str:
    return "(sensitive value)" + _null_suffix(action, opts)


# ---------------------------------------------------------------------------------------------
# the differ (jsondiff.Transform and collections)

def _combine(current: str, nxt: str) -> str:
    if nxt == NOOP:
        return current
    return current if current == nxt else UPDATE


def _lcs(xs: list, ys: list) -> list:
    """objchange.LongestCommonSubsequence, with its tie-breaking (which the rendering shows)."""
    if not xs or not ys:
        return []
    w = len(xs)
    c = [0] * (len(xs) * len(ys))
    eqs = [False] * (len(xs) * len(ys))
    for y in range(len(ys)):
        for x in range(len(xs)):
            i = w * y + x
            if _same(xs[x], ys[y]):
                eqs[i] = True
                c[i] = 1 if x == 0 or y == 0 else c[w * (y - 1) + x - 1] + 1
            else:
                left = c[i - 1] if x > 0 else 0
                up = c[w * (y - 1) + x] if y > 0 else 0
                c[i] = left if left > up else up
    seq: list = [None] * c[-1]
    x, y, i = len(xs) - 1, len(ys) - 1, len(seq) - 1
    while x > -1 and y > -1:
        if eqs[w * y + x]:
            seq[i] = xs[x]
            x, y, i = x - 1, y - 1, i - 1
        else:
            left = c[w * y + x - 1] if x > 0 else 0
            up = c[w * (y - 1) + x] if y > 0 else 0
            if left > up:
                x -= 1
            else:
                y -= 1
    return seq


def _process_slice(before: list, after: list, process: Callable[[int, int], None],
                   is_object: Callable[[Any], bool]) -> None:
    """collections.ProcessSlice: same length and not a reordering -> index by index, else by LCS."""
    if len(before) == len(after) and not all(any(_same(b, a) for a in after) for b in before):
        for i in range(len(before)):
            process(i, i)
        return
    lcs = _lcs(before, after)
    bi = ai = li = 0
    while bi < len(before) or ai < len(after) or li < len(lcs):
        while bi < len(before) and (li >= len(lcs) or not _same(before[bi], lcs[li])):
            if (is_object(before[bi]) and ai < len(after) and is_object(after[ai])
                    and (li >= len(lcs) or not _same(after[ai], lcs[li]))):
                process(bi, ai)
                bi, ai = bi + 1, ai + 1
                continue
            process(bi, len(after))
            bi += 1
        while ai < len(after) and (li >= len(lcs) or not _same(after[ai], lcs[li])):
            process(len(before), ai)
            ai += 1
        if li < len(lcs):
            process(bi, ai)
            bi, ai, li = bi + 1, ai + 1, li + 1


def _child(container: Any, key: Any) -> tuple[Any, bool]:
    """(value, explicit) of a list index or object key; missing -> (None, False)."""
    if isinstance(container, (list, tuple)):
        return (container[key], True) if isinstance(key, int) and 0 <= key < len(container) else (None, False)
    if isinstance(container, Mapping):
        return (container[key], True) if key in container else (None, False)
    return None, False


def _sub(change: _Change, bkey: Any, akey: Any) -> _Change:
    before, bx = _child(change.before, bkey)
    after, ax = _child(change.after, akey)
    return _Change(before, after, _child(change.unknown, akey)[0], _child(change.before_sensitive, bkey)[0],
                   _child(change.after_sensitive, akey)[0], bx, ax)


def transform(change: _Change) -> _Diff:
    """jsondiff.JsonOpts.Transform with the renderers' callbacks."""
    if change.before_sensitive is True or change.after_sensitive is True:
        inner = transform(replace(change, before_sensitive=False, after_sensitive=False))
        action = inner.action
        null_noop = (change.before is None and not change.before_explicit and change.after is None
                     and not change.after_explicit)
        if action == NOOP and (change.before_sensitive is True) != (change.after_sensitive is True) and not null_noop:
            action = UPDATE
        return _Diff(action, _sensitive)
    if change.unknown is True:
        if change.before is None:
            return _Diff(CREATE, _unknown(None))
        before = change.as_delete()
        return _Diff(UPDATE, _unknown(transform(before)))
    bt, at = _json_type(change.before), _json_type(change.after)
    deleted = at == "null" and not change.after_explicit
    created = bt == "null" and not change.before_explicit
    if bt == at or created or deleted:
        return _update(change, at if bt == "null" else bt)
    b = _update(change.as_delete(), bt)
    a = _update(change.as_create(), at)
    return _Diff(UPDATE, _type_change(b, a))


def _update(change: _Change, kind: str) -> _Diff:
    if kind == "object":
        return _transform_object(change)
    if kind == "array":
        return _transform_array(change)
    before_missing = change.before is None and not change.before_explicit
    after_missing = change.after is None and not change.after_explicit
    if before_missing and not after_missing:
        action = CREATE
    elif after_missing and not before_missing:
        action = DELETE
    elif _same(change.before, change.after):
        action = NOOP
    else:
        action = UPDATE
    return _Diff(action, _primitive(change.before, change.after, kind))


def _start(change: _Change, before: Any, after: Any) -> str:
    if before is not None and after is None:
        return DELETE
    if before is None and after is not None:
        return CREATE
    return NOOP


def _transform_array(change: _Change) -> _Diff:
    before = list(change.before) if isinstance(change.before, (list, tuple)) else None
    after = list(change.after) if isinstance(change.after, (list, tuple)) else None
    current = _start(change, before, after)
    elements: list[_Diff] = []

    def process(bi: int, ai: int) -> None:
        nonlocal current
        element = transform(_sub(change, bi, ai))
        elements.append(element)
        current = _combine(current, element.action)

    _process_slice(before or [], after or [], process, lambda v: _json_type(v) == "object")
    return _Diff(current, _list(elements))


def _transform_object(change: _Change) -> _Diff:
    before = change.before if isinstance(change.before, Mapping) else None
    after = change.after if isinstance(change.after, Mapping) else None
    current = _start(change, before, after)
    keys: dict[str, None] = {}
    for part in (before, after, change.unknown, change.before_sensitive, change.after_sensitive):
        if isinstance(part, Mapping):
            keys.update(dict.fromkeys(part))
    attributes: dict[str, _Diff] = {}
    for k in keys:
        attributes[k] = transform(_sub(change, k, k))
        current = _combine(current, attributes[k].action)
    return _Diff(current, _object(attributes))


# ---------------------------------------------------------------------------------------------
# the section

def output_change_diff(change: Mapping[str, Any]) -> _Diff:
    """One ``output_changes`` entry as Terraform's differ sees it (differ.ComputeDiffForOutput).

    clbplan's JSON plan masks a sensitive output's values, so its action is the entry's own."""
    c = _Change(change.get("before"), change.get("after"), change.get("after_unknown", False),
                change.get("before_sensitive", False), change.get("after_sensitive", False))
    if c.before_sensitive is True or c.after_sensitive is True:
        actions = change.get("actions") or [NOOP]
        return _Diff(actions[0] if actions[0] in SYMBOLS else UPDATE, _sensitive)
    return transform(c)


def render_output_changes(changes: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """The lines under "Changes to Outputs:" (none when no output changes): ``  + name = value``,
    names padded to the longest output name of the plan, in name order."""
    if not changes:
        return []
    names = {k: _key(k) for k in changes}
    width = max(len(n.encode()) for n in names.values())
    lines: list[str] = []
    for k in sorted(changes, key=lambda s: s.encode()):
        diff = output_change_diff(changes[k])
        if diff.action == NOOP:
            continue
        shown = names[k] + " " * max(0, width - len(names[k]))
        lines.extend(f"{SYMBOLS[diff.action]} {shown} = {diff.text(0, _Opts())}".split("\n"))
    return lines


def outputs_section(changes: Mapping[str, Mapping[str, Any]] | None, *, resources_change: bool) -> list[str]:
    """Terraform's block after the summary line: a blank line, "Changes to Outputs:", the changes;
    when no resource changes, the note that applying only saves the new values."""
    lines = render_output_changes(changes or {})
    if not lines:
        return []
    out = ["", "Changes to Outputs:", *lines]
    if not resources_change:
        out += ["", ONLY_OUTPUTS_NOTE]
    return out


__all__ = ["ONLY_OUTPUTS_NOTE", "output_change_diff", "outputs_section", "render_output_changes", "transform"]
