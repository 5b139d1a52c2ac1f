"""Values printed as Terraform prints them in ``console``, ``output NAME`` and the "Outputs:" section.

Terraform's repl.FormatValue: objects one attribute a line as ``"key" = value`` (keys quoted and
sorted, nothing aligned), sequences one element a line with a trailing comma, two spaces per level,
multi-line strings as heredocs (``<<-EOT`` when nested), sets as ``toset([...])``. clbplan's values
do not keep the list/tuple and map/object distinction, so lists and maps print in the tuple and
object forms (``[...]``, ``{...}``), which is how Terraform prints a literal of the same value.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from planner.values import is_unknown

KNOWN_AFTER_APPLY = "(known after apply)"
SENSITIVE = "(sensitive value)"

_GO_ESCAPES = {"\a": "\\a", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\v": "\\v",
               "\\": "\\\\", '"': '\\"'}


def go_quote(s: str) -> str:
    """Go's strconv.Quote: printable characters as they are, the rest escaped."""
    out = ['"']
    for ch in s:
        if ch in _GO_ESCAPES:
            out.append(_GO_ESCAPES[ch])
        elif ch.isprintable():
            out.append(ch)
        elif ord(ch) < 0x80:
            out.append(f"\\x{ord(ch):02x}")
        elif ord(ch) < 0x10000:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(f"\\U{ord(ch):08x}")
    out.append('"')
    return "".join(out)


def _number(v: Any) -> str:
    if isinstance(v, Decimal):
        v = int(v) if v == v.to_integral_value() else float(v)
    if isinstance(v, float):
        if v.is_integer() and abs(v) < 1e21:
            return str(int(v))
        return repr(v)
    return str(v)


def _heredoc(s: str, indent: int) -> str | None:
    lines = s.split("\n")
    if len(lines) < 2:
        return None
    op = "<<-" if indent > 0 else "<<"
    delim = "EOT"
    while any(line.strip() == delim for line in lines):
        delim += "_"
    pad = " " * indent
    return op + delim + "".join("\n" + pad + line for line in lines) + "\n" + pad + delim


def format_value(v: Any, indent: int = 0, type_: Any = None) -> str:
    """One value in Terraform's console form. ``type_``: the value's cty type JSON where it is known
    (an output's recorded type): a list then prints as ``tolist([...])``, a map as ``tomap({...})``, a
    set as ``toset([...])`` and a typed null as ``tonumber(null)``, as repl.FormatValue does."""
    from planner.config.types import SetValue

    kind, inner = (type_[0], type_[1]) if isinstance(type_, list) and len(type_) == 2 else (type_, None)
    if is_unknown(v):
        return KNOWN_AFTER_APPLY
    if v is None:
        return _typed_null(kind, inner)
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int | float | Decimal):
        return _number(v)
    if isinstance(v, str):
        return _heredoc(v, indent) or go_quote(v)
    pad = " " * (indent + 2)
    if kind == "set" or isinstance(v, SetValue | set | frozenset):
        items = list(v) if isinstance(v, list | SetValue) else sorted(v, key=str)
        return "toset(" + _sequence(items, indent, pad, [inner] * len(items)) + ")"
    if isinstance(v, list | tuple):
        if kind == "list":
            return "tolist(" + _sequence(list(v), indent, pad, [inner] * len(v)) + ")"
        types = inner if kind == "tuple" and isinstance(inner, list) and len(inner) == len(v) else None
        return _sequence(list(v), indent, pad, types)
    if isinstance(v, dict):
        if kind == "map":
            return "tomap(" + _mapping(v, indent, pad, dict.fromkeys(v, inner)) + ")"
        return _mapping(v, indent, pad, inner if kind == "object" and isinstance(inner, dict) else None)
    return go_quote(str(v))


def _typed_null(kind: Any, inner: Any) -> str:
    if kind in ("string", "number", "bool"):
        return f"to{kind}(null)"
    if kind in ("list", "set", "map") and inner in ("string", "number", "bool"):
        return f"to{kind}(null) /* of {inner} */"
    return "null"


def _mapping(v: dict, indent: int, pad: str, types: dict | None) -> str:
    if not v:
        return "{}"
    body = "".join(f"{pad}{go_quote(str(k))} = {format_value(v[k], indent + 2, (types or {}).get(k))}\n"
                   for k in sorted(v, key=str))
    return "{\n" + body + " " * indent + "}"


def _sequence(items: list, indent: int, pad: str, types: list | None = None) -> str:
    if not items:
        return "[]"
    body = "".join(f"{pad}{format_value(x, indent + 2, types[i] if types else None)},\n"
                   for i, x in enumerate(items))
    return "[\n" + body + " " * indent + "]"
