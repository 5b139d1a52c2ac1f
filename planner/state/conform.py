"""Attribute values read from a state file, checked against the resource type's schema.

Why: the planner, the diff and the cloud clients trust that an attribute the schema calls a number
holds a number. A hand-edited or damaged state (``"frontend_port": {}``, ``"attributes": ["x"]``, a
list where an id belongs) used to reach them and end in ``TypeError ... This is a bug in clbplan``,
or send garbage ids to the cloud. Terraform decodes a state against the provider's schema and
refuses what does not fit; so does this, naming the JSON path of the bad value.

Conversions follow cty's JSON decoding: a number or a bool read into a string attribute becomes
its text, ``"80"`` read into a number becomes 80, ``"true"`` into a bool becomes True. Attributes
the schema does not know are left alone (the provider's state upgrade drops them; the planner
ignores them). The check is one ``type()`` lookup per value when the state is well-formed: it is
paid by every read of a 10,000-load-balancer state.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import cache
from typing import Any

from planner.schema.base import BlockType, ResourceSchema

# a checker returns the value to keep (converted as cty would) or raises BadValue
Checker = Callable[[Any], Any]


class BadValue(ValueError):
    """A value that does not fit its attribute's type. ``where`` is its path below the attribute,
    built only on the way out (a well-formed state never pays for path strings)."""

    def __init__(self, message: str, where: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.where = where

    def under(self, step: str) -> BadValue:
        return BadValue(self.message, step + self.where)

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


def kind_of(value: Any) -> str:
    """How an error names what it found: JSON's words, not Python's."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a bool"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def _bad(expected: str, value: Any) -> BadValue:
    return BadValue(f"expected {expected}, got {kind_of(value)}")


def _number_text(v: int | float) -> str:
    return str(int(v)) if isinstance(v, float) and v.is_integer() and abs(v) < 2**53 else str(v)


def _string(v: Any) -> Any:
    t = type(v)
    if t is str or v is None:
        return v
    if t is bool:
        return "true" if v else "false"
    if t is int or (t is float and math.isfinite(v)):
        return _number_text(v)
    raise _bad("a string", v)


# what the cloud stores a number in (64-bit); a larger one in a state was not written by a provider,
# and Python turns it into OverflowError where the planner converts it to a float
NUMBER_LIMIT = 2**63


def _out_of_range(v: Any) -> BadValue:
    shown = f"{v:.3g}" if isinstance(v, float) else (str(v) if v.bit_length() < 100 else f"a {v.bit_length()}-bit number")
    return BadValue(f"expected a number between -2^63 and 2^63 (the cloud's 64-bit range), got {shown}")


def _number(v: Any) -> Any:
    t = type(v)
    if v is None:
        return v
    if t is int:
        if -NUMBER_LIMIT <= v < NUMBER_LIMIT:
            return v
        raise _out_of_range(v)
    if t is float:
        if not math.isfinite(v):
            raise BadValue(f"expected a finite number, got {v!r}")
        if abs(v) >= NUMBER_LIMIT:
            raise _out_of_range(v)
        return v
    if t is str:
        if len(v) > 40:
            raise BadValue(f"expected a number, got a string of {len(v)} characters")
        try:
            f = float(v)
        except ValueError:
            raise BadValue(f"expected a number, got the string {v!r}") from None
        if not math.isfinite(f):
            raise BadValue(f"expected a finite number, got the string {v!r}")
        return _number(int(v) if v.strip().lstrip("+-").isdigit() else f)
    raise _bad("a number", v)


def _bool(v: Any) -> Any:
    if type(v) is bool or v is None:
        return v
    if v in ("true", "false"):
        return v == "true"
    raise _bad("a bool", v)


def _dynamic(v: Any) -> Any:
    return v


def _collection(inner: Checker, kind: str) -> Checker:
    if kind == "map":
        def check_map(v: Any) -> Any:
            if v is None:
                return v
            if type(v) is not dict:
                raise _bad("an object (a map)", v)
            for k, item in v.items():
                try:
                    fixed = inner(item)
                except BadValue as e:
                    raise e.under(f".{k}") from None
                if fixed is not item:
                    v[k] = fixed
            return v
        return check_map

    def check_list(v: Any) -> Any:
        if v is None:
            return v
        if type(v) is not list:
            raise _bad(f"a list ({kind})", v)
        for i, item in enumerate(v):
            try:
                if item is None:
                    raise BadValue("expected an element, got null")
                fixed = inner(item)
            except BadValue as e:
                raise e.under(f"[{i}]") from None
            if fixed is not item:
                v[i] = fixed
        return v
    return check_list


_PRIMITIVES: dict[str, Checker] = {"string": _string, "number": _number, "bool": _bool,
                                   "dynamic": _dynamic, "any": _dynamic}
# the Python types each accepts as they are: the fast path of check_fields
_AS_IS: dict[Checker, frozenset[type]] = {
    _string: frozenset({str, type(None)}), _number: frozenset({type(None)}),  # (ints too are range-checked)
    _bool: frozenset({bool, type(None)}), _dynamic: frozenset({str, int, float, bool, list, dict, type(None)})}


@cache
def type_checker(type_name: str) -> Checker:
    """``list(map(string))`` -> a checker; an unknown type word accepts anything (never stricter
    than the schema means)."""
    t = type_name.replace(" ", "")
    if t in _PRIMITIVES:
        return _PRIMITIVES[t]
    for kind in ("list", "set", "map"):
        if t.startswith(kind + "(") and t.endswith(")"):
            return _collection(type_checker(t[len(kind) + 1:-1]), kind)
    return _dynamic


# attribute name -> (types taken as they are, the checker for anything else)
Fields = dict[str, tuple[frozenset[type], Checker]]


def _block_checker(block: BlockType) -> Checker:
    fields = _fields(block)
    # what the provider's code reads from every block without a null check (servers[*].port):
    # a block in a state always has them, so null or missing is damage, not "unset"
    required = tuple((n, a.type) for n, a in block.attributes.items() if a.required)

    def check_block(v: Any) -> Any:
        if v is None:
            return v
        if type(v) is not list:
            raise _bad(f"a list of {block.name} blocks", v)
        for i, item in enumerate(v):
            if type(item) is not dict:
                raise _bad(f"an object (a {block.name} block)", item).under(f"[{i}]")
            try:
                check_fields(fields, item)
                for name, type_name in required:
                    if item.get(name) is None:
                        raise BadValue(f"expected {_article(type_name)}, got "
                                       f"{'null' if name in item else 'nothing'} (every {block.name} block has "
                                       f"one)", f".{name}")
            except BadValue as e:
                raise e.under(f"[{i}]") from None
        return v
    return check_block


def _article(type_name: str) -> str:
    return {"string": "a string", "number": "a number", "bool": "a bool"}.get(type_name, f"a {type_name}")


def _field(check: Checker) -> tuple[frozenset[type], Checker]:
    return _AS_IS.get(check, frozenset({type(None)})), check


def _fields(schema: ResourceSchema | BlockType) -> Fields:
    out = {n: _field(type_checker(a.type)) for n, a in schema.attributes.items()}
    out.update({n: _field(_block_checker(b)) for n, b in schema.blocks.items()})
    return out


_BY_TYPE: dict[str, Fields] = {}


def resource_fields(schema: ResourceSchema) -> Fields:
    """The checkers of a resource type's attributes and blocks (built once per type)."""
    fields = _BY_TYPE.get(schema.type_name)
    if fields is None:
        fields = _BY_TYPE[schema.type_name] = _fields(schema)
        fields["id"] = _field(_string)
    return fields


def check_fields(fields: Fields, attrs: dict[str, Any], path: str = "") -> None:
    """Check (and convert as cty would) ``attrs`` in place; raises BadValue whose text starts with
    ``path`` and the attribute's path below it."""
    get = fields.get
    for name, value in attrs.items():
        spec = get(name)
        if spec is None or type(value) in spec[0]:
            continue
        try:
            fixed = spec[1](value)
        except BadValue as e:
            raise e.under(f"{path}.{name}") from None
        if fixed is not value:
            attrs[name] = fixed
