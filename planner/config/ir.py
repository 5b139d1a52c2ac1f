"""Our own intermediate representation of HCL: small, picklable, positioned.

python-hcl2's dict output loses positions and re-prints expressions as strings; its lark tree
is large and tied to the library version. We convert the lark tree once into these nodes,
which the evaluator walks and the parse cache stores (as JSON, see parse_cache). Every node carries ``line``/``col``
(1-based); the file name lives on the enclosing ``File``/``Block`` so nodes stay small.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


class Expr:
    __slots__ = ("line", "col")


class Lit(Expr):
    """A literal number, bool, null or string without interpolation."""

    __slots__ = ("value",)

    def __init__(self, value: Any, line: int, col: int):
        self.value, self.line, self.col = value, line, col


class Template(Expr):
    """A string with interpolations/directives; parts are str or TExpr/TIf/TFor."""

    __slots__ = ("parts",)

    def __init__(self, parts: list, line: int, col: int):
        self.parts, self.line, self.col = parts, line, col


class TIf:
    __slots__ = ("cond", "then", "else_", "line", "col")

    def __init__(self, cond: Expr, then: list, else_: list, line: int, col: int):
        self.cond, self.then, self.else_, self.line, self.col = cond, then, else_, line, col


class TFor:
    __slots__ = ("key", "value", "coll", "body", "line", "col")

    def __init__(self, key: str | None, value: str, coll: Expr, body: list, line: int, col: int):
        self.key, self.value, self.coll, self.body, self.line, self.col = key, value, coll, body, line, col


class Name(Expr):
    """A bare identifier: the root of a traversal (var, local, a resource type, an iterator)."""

    __slots__ = ("name",)

    def __init__(self, name: str, line: int, col: int):
        self.name, self.line, self.col = name, line, col


class GetAttr(Expr):
    __slots__ = ("obj", "name")

    def __init__(self, obj: Expr, name: str, line: int, col: int):
        self.obj, self.name, self.line, self.col = obj, name, line, col


class Index(Expr):
    __slots__ = ("obj", "key")

    def __init__(self, obj: Expr, key: Expr, line: int, col: int):
        self.obj, self.key, self.line, self.col = obj, key, line, col


class Splat(Expr):
    """``obj[*].a[0]`` (full) or ``obj.*.a`` (attr); ``ops`` are ("attr", name) / ("index", Expr)."""

    __slots__ = ("obj", "ops", "full")

    def __init__(self, obj: Expr, ops: list, full: bool, line: int, col: int):
        self.obj, self.ops, self.full, self.line, self.col = obj, ops, full, line, col


class Call(Expr):
    __slots__ = ("name", "args", "expand")

    def __init__(self, name: str, args: list, expand: bool, line: int, col: int):
        self.name, self.args, self.expand, self.line, self.col = name, args, expand, line, col


class TupleExpr(Expr):
    __slots__ = ("items",)

    def __init__(self, items: list, line: int, col: int):
        self.items, self.line, self.col = items, line, col


class ObjectExpr(Expr):
    """``items`` are (key Expr, value Expr); a bare identifier key is already a Lit."""

    __slots__ = ("items",)

    def __init__(self, items: list, line: int, col: int):
        self.items, self.line, self.col = items, line, col


class Unary(Expr):
    __slots__ = ("op", "operand")

    def __init__(self, op: str, operand: Expr, line: int, col: int):
        self.op, self.operand, self.line, self.col = op, operand, line, col


class Binary(Expr):
    __slots__ = ("op", "left", "right")

    def __init__(self, op: str, left: Expr, right: Expr, line: int, col: int):
        self.op, self.left, self.right, self.line, self.col = op, left, right, line, col


class Cond(Expr):
    __slots__ = ("cond", "then", "else_")

    def __init__(self, cond: Expr, then: Expr, else_: Expr, line: int, col: int):
        self.cond, self.then, self.else_, self.line, self.col = cond, then, else_, line, col


class ForExpr(Expr):
    """``[for k, v in coll : val if cond]`` or ``{for k, v in coll : key => val... if cond}``."""

    __slots__ = ("key_var", "val_var", "coll", "key", "value", "cond", "group", "is_object")

    def __init__(self, key_var: str | None, val_var: str, coll: Expr, key: Expr | None, value: Expr,
                 cond: Expr | None, group: bool, is_object: bool, line: int, col: int):
        self.key_var, self.val_var, self.coll = key_var, val_var, coll
        self.key, self.value, self.cond, self.group, self.is_object = key, value, cond, group, is_object
        self.line, self.col = line, col


class Paren(Expr):
    """Kept only so ``(local.k) = 1`` object keys evaluate instead of being literal names."""

    __slots__ = ("inner",)

    def __init__(self, inner: Expr, line: int, col: int):
        self.inner, self.line, self.col = inner, line, col


@dataclass
class Attr:
    name: str
    expr: Expr
    line: int
    col: int


@dataclass
class Block:
    type: str
    labels: list[str]
    body: Body
    line: int
    col: int
    filename: str = ""
    # where the opening brace/labels are, for "label" diagnostics
    label_cols: list[int] = field(default_factory=list)


@dataclass
class Body:
    attributes: list[Attr] = field(default_factory=list)
    blocks: list[Block] = field(default_factory=list)

    def attr(self, name: str) -> Attr | None:
        for a in self.attributes:
            if a.name == name:
                return a
        return None

    def blocks_of(self, type_name: str) -> list[Block]:
        return [b for b in self.blocks if b.type == type_name]


@dataclass
class File:
    filename: str
    body: Body
    sha256: str
