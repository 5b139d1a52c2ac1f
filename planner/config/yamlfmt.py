"""``yamlencode`` in Terraform's exact output style.

Terraform emits YAML through go-yaml with every string double-quoted, keys sorted, block style,
two-space mappings, sequences not indented under their key, and multi-line strings as literal
blocks (``|`` / ``|-`` / ``|+``). PyYAML's dumper cannot be told all of that (it single-quotes and
chooses plain scalars), so the few rules are written out here.
"""

from __future__ import annotations

from typing import Any

from planner.config.types import format_number


def encode(v: Any) -> str:
    """The YAML document for ``v``, ending in a newline, as Terraform's yamlencode writes it."""
    lines: list[str] = []
    _node(v, 0, lines, None)
    return "\n".join(lines) + "\n"


def _quote(s: str) -> str:
    out = []
    for ch in s:
        o = ord(ch)
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ch == "\r":
            out.append("\\r")
        elif o < 0x20 or o == 0x7F:
            out.append(f"\\x{o:02X}")
        elif o in (0x85, 0x2028, 0x2029, 0xFEFF):
            out.append(f"\\u{o:04X}" if o > 0xFF else f"\\x{o:02X}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def _scalar(v: Any) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return format_number(v)
    return _quote(str(v))


def _literal_ok(s: str) -> bool:
    return "\n" in s and not any((ord(c) < 0x20 and c not in "\n\t") or c in "\ufeff\x85\u2028\u2029"
                                 for c in s) and not s.startswith((" ", "\t")) and not s.endswith((" ", "\t"))


def _literal(s: str, indent: int) -> list[str]:
    if s.endswith("\n\n") or s == "\n":
        chomp = "+"
    elif s.endswith("\n"):
        chomp = ""
    else:
        chomp = "-"
    body = s[:-1] if s.endswith("\n") else s
    pad = " " * indent
    return ["|" + chomp] + [(pad + line) if line else "" for line in body.split("\n")]


def _node(v: Any, indent: int, lines: list[str], prefix: str | None) -> None:
    """Append ``v``; ``prefix`` is the text already on the current line ("key:" or "- ")."""
    pad = " " * indent
    if isinstance(v, dict) and v:
        first = True
        for k in sorted(v):
            head = (prefix if first and prefix is not None else pad) + _quote(k) + ":"
            first = False
            _value(v[k], indent, lines, head, nested_pad=indent + 2)
        return
    if isinstance(v, list) and v:
        first = True
        for x in v:
            head = (prefix if first and prefix is not None else pad) + "- "
            first = False
            if isinstance(x, (dict, list)) and x:
                _node(x, indent + 2, lines, head)
            else:
                _value(x, indent + 2, lines, head[:-1], nested_pad=indent + 2)
        return
    text = "{}" if isinstance(v, dict) else "[]" if isinstance(v, list) else None
    if text is None and isinstance(v, str) and _literal_ok(v):
        block = _literal(v, indent + 2 if prefix is not None else 2)
        lines.append((prefix or "") + block[0])
        lines.extend(block[1:])
        return
    lines.append((prefix or "") + (text if text is not None else _scalar(v)))


def _value(v: Any, indent: int, lines: list[str], head: str, nested_pad: int) -> None:
    """A mapping value or a sequence item after ``head`` ("key:" or "-")."""
    if isinstance(v, dict) and v:
        lines.append(head)
        _node(v, nested_pad, lines, None)
    elif isinstance(v, list) and v:
        lines.append(head)
        _node(v, nested_pad - 2, lines, None)
    elif isinstance(v, str) and _literal_ok(v):
        block = _literal(v, nested_pad)
        lines.append(head + " " + block[0])
        lines.extend(block[1:])
    else:
        lines.append(head + " " + ("{}" if isinstance(v, dict) else "[]" if isinstance(v, list)
                                   else _scalar(v)))


__all__ = ["encode"]
