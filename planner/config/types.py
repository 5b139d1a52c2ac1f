"""HCL value types: type constraints of ``variable`` blocks and Terraform's automatic conversions.

Values are plain Python data. Two HCL distinctions Python lacks are carried by markers: a set is a
``SetValue`` (a sorted, de-duplicated list subclass, so ``for_each = toset(...)`` can be told
from a list), and an unknown value is ``planner.values.UNKNOWN``.
"""

from __future__ import annotations

import math
from decimal import Context, Decimal
from typing import Any

from planner.config import ir
from planner.values import LEAF_TYPES, UNKNOWN, contains_unknown

TypeSpec = tuple  # ("string",) ("list", T) ("object", {name: (T, optional, default)}) ...

ANY: TypeSpec = ("any",)
STRING: TypeSpec = ("string",)
NUMBER: TypeSpec = ("number",)
BOOL: TypeSpec = ("bool",)


class SetValue(list):
    """An HCL set: unique elements in a stable (sorted where comparable) order. ``elem``: the
    declared element type, when a type constraint or conversion gave one."""

    __slots__ = ("elem",)

    def __init__(self, items: Any = (), elem: TypeSpec | None = None):
        super().__init__(items)
        self.elem = elem


class ListValue(list):
    """An HCL list, as opposed to a tuple (a plain Python list): what a ``list(...)`` constraint,
    ``tolist`` or a list-returning function gives. Terraform records its type as
    ``["list", T]`` (``output -json``, the state) where a literal's is ``["tuple", [...]]``."""

    __slots__ = ("elem",)

    def __init__(self, items: Any = (), elem: TypeSpec | None = None):
        super().__init__(items)
        self.elem = elem


class MapValue(dict):
    """An HCL map, as opposed to an object (a plain dict): ``["map", T]`` rather than
    ``["object", {...}]``."""

    __slots__ = ("elem",)

    def __init__(self, items: Any = (), elem: TypeSpec | None = None):
        super().__init__(items)
        self.elem = elem


class ObjectValue(dict):
    """An object converted to an ``object({...})`` constraint: keeps the declared attribute types, so
    a null optional attribute still has its type (``"number"``, not ``"dynamic"``)."""

    __slots__ = ("attrs",)

    def __init__(self, items: Any = (), attrs: dict[str, TypeSpec] | None = None):
        super().__init__(items)
        self.attrs = attrs or {}


class ConversionError(Exception):
    """A value does not fit a type; ``str(e)`` is a sentence fit for a user."""


def make_set(items: list, elem: TypeSpec | None = None) -> SetValue:
    if any(v is UNKNOWN for v in items):
        return UNKNOWN  # type: ignore[return-value] - uniqueness cannot be decided yet
    uniq: list = []
    seen: set = set()
    for v in items:
        key = _hashable(v)
        if key not in seen:
            seen.add(key)
            uniq.append(v)
    try:
        uniq.sort(key=lambda x: (not isinstance(x, str), x))
    except TypeError:
        pass
    return SetValue(uniq, elem)


def _hashable(v: Any):
    if isinstance(v, dict):
        return ("d", tuple(sorted((k, _hashable(x)) for k, x in v.items())))
    if isinstance(v, list):
        return ("l", tuple(_hashable(x) for x in v))
    if isinstance(v, bool):
        return ("b", v)
    return v


def type_of(v: Any) -> str:
    """The HCL type name of a value, for messages."""
    if v is None:
        return "null"
    if v is UNKNOWN:
        return "unknown"
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, (int, float)):
        return "number"
    if isinstance(v, str):
        return "string"
    if isinstance(v, SetValue):
        return "set"
    if isinstance(v, list):
        return "tuple"
    if isinstance(v, dict):
        return "object"
    return type(v).__name__


def type_str(spec: TypeSpec) -> str:
    kind = spec[0]
    if kind in ("list", "set", "map"):
        return f"{kind}({type_str(spec[1])})"
    if kind == "tuple":
        return "tuple([" + ", ".join(type_str(t) for t in spec[1]) + "])"
    if kind == "object":
        return "object({" + ", ".join(f"{k}={type_str(v[0])}" for k, v in spec[1].items()) + "})"
    return kind


def format_number(v: int | float) -> str:
    """A number as Terraform prints it: whole numbers in full (1e20 is 100000000000000000000),
    fractions in their shortest form, never an exponent."""
    if isinstance(v, float):
        if math.isfinite(v) and v.is_integer():
            return str(_float_to_int(v))
        if not math.isfinite(v):
            return repr(v)
        text = format(Decimal(repr(v)), "f")
        return text
    return str(v)


def _float_to_int(v: float) -> int:
    # int(Decimal(repr(v))): the shortest decimal of the float, as Terraform's big floats keep it
    # (pow(2, 70) is 1180591620717411300000 there, not 1180591620717411303424)
    return int(v) if abs(v) < 2**53 else int(Decimal(repr(v)))


def normalize_number(v: int | float) -> int | float:
    if isinstance(v, float) and math.isfinite(v) and v.is_integer():
        return _float_to_int(v)
    return v


_DEC = Context(prec=80)


class Fraction(float):
    """A float that remembers the decimal it approximates (2/3 keeps 80 digits), so a chain of
    arithmetic rounds once, as Terraform's big floats do: 2 / 3 * 3 is 2, not 1.9999999999999998."""

    __slots__ = ("exact",)

    def __new__(cls, exact: Decimal) -> Fraction:
        obj = super().__new__(cls, float(exact))
        obj.exact = exact
        return obj

    def __reduce__(self):  # copies and pickles are plain floats
        return (float, (float(self),))


def arith(op: str, a: int | float, b: int | float) -> int | float:
    """``a op b`` with decimal rather than binary rounding, so 0.1 + 0.2 is 0.3 as in Terraform (whose
    numbers are 512-bit big floats). Whole numbers stay exact Python integers."""
    if isinstance(a, int) and isinstance(b, int) and op != "/":
        return a + b if op == "+" else a - b if op == "-" else a * b
    x, y = _to_dec(a), _to_dec(b)
    r = _DEC.add(x, y) if op == "+" else _DEC.subtract(x, y) if op == "-" else \
        _DEC.multiply(x, y) if op == "*" else _DEC.divide(x, y)
    return decimal_number(r)


def decimal_number(r: Decimal) -> int | float:
    """A computed decimal as a clbplan number: an int when whole (also when it is within rounding
    of a whole number, as 2/3*3 is), a float remembering its decimal otherwise."""
    if r == r.to_integral_value():
        return int(r)
    f = float(r)
    if not math.isfinite(f):
        return f
    rounded = r.quantize(Decimal(1), context=_DEC) if abs(r) < Decimal(2) ** 53 else None
    if rounded is not None and abs(r - rounded) < Decimal("1e-60"):
        return int(rounded)
    return Fraction(r)


def _to_dec(v: int | float) -> Decimal:
    if isinstance(v, Fraction):
        return v.exact
    return Decimal(v) if isinstance(v, int) else Decimal(repr(v))


def parse_number(s: str) -> int | float:
    t = s.strip()
    try:
        return int(t)
    except ValueError:
        pass
    if "e" in t.lower() and "x" not in t.lower() and t.lower().lstrip("+-")[:1].isdigit() or t[:1] == ".":
        try:  # 1e400 is a number in Terraform, far beyond a float
            d = Decimal(t)
            if d.is_finite() and d == d.to_integral_value():
                return int(d)
        except ArithmeticError:
            pass
    try:
        f = float(t)
        if math.isfinite(f) and "." not in t and ("e" in t or "E" in t) and f.is_integer():
            return int(Decimal(t))  # 1e30 is exactly 10^30
    except (ValueError, ArithmeticError):
        raise ConversionError(f'a number is required; cannot convert "{s}" to a number') from None
    if not math.isfinite(f) or t.lower() in ("nan", "inf", "-inf", "infinity"):
        raise ConversionError(f'a number is required; cannot convert "{s}" to a number')
    return normalize_number(f)


def to_string(v: Any) -> Any:
    if v is None or v is UNKNOWN or isinstance(v, str):
        return v
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return format_number(v)
    raise ConversionError(f"a string is required, but a {type_of(v)} was given")


def _kind(v: Any) -> str:
    if isinstance(v, SetValue):
        return "set"
    if isinstance(v, list):
        return "sequence"
    if isinstance(v, dict):
        return "mapping"
    return type_of(v)


def unify_values(values: list) -> list:
    """Give ``values`` one type as Terraform does for conditional results and collection elements:
    strings win over numbers and bools (which become their string form), objects and tuples unify
    attribute by attribute. Raises ConversionError when no common type exists."""
    known = [v for v in values if v is not None and v is not UNKNOWN]
    if len(known) < 2 and not any(isinstance(v, (list, dict)) for v in known):
        return list(values)
    kinds = {_kind(v) for v in known}
    prims = kinds & {"string", "number", "bool"}
    if prims and prims != kinds:
        raise ConversionError(f"a {sorted(prims)[0]} and a {sorted(kinds - prims)[0].replace('sequence', 'list')} "
                              "have no common type")
    if prims:
        if len(prims) == 1:
            return list(values)
        if "string" not in prims:
            raise ConversionError("a number and a bool have no common type")
        return [to_string(v) if v is not None and v is not UNKNOWN else v for v in values]
    if kinds == {"mapping"}:
        keysets = {tuple(sorted(v)) for v in known}
        if len(keysets) == 1:
            names = list(known[0])
            cols = [unify_values([v[k] if isinstance(v, dict) else None for v in values]) for k in names]
            return [{k: cols[j][i] for j, k in enumerate(names)} if isinstance(v, dict) else v
                    for i, v in enumerate(values)]
        flat = unify_values([x for v in known for x in v.values()])
        it = iter(flat)
        return [{k: next(it) for k in v} if isinstance(v, dict) else v for v in values]
    if kinds <= {"sequence", "set"}:
        lengths = {len(v) for v in known}
        if kinds == {"sequence"} and len(lengths) == 1:
            n = lengths.pop()
            cols = [unify_values([v[i] if isinstance(v, list) else None for v in values]) for i in range(n)]
            # a tuple unified with a list is a list; tuples of one length stay tuples (cty's unify)
            seq = ListValue if any(isinstance(v, ListValue) for v in known) else list
            return [seq([cols[j][i] for j in range(n)]) if isinstance(v, list) else v for i, v in enumerate(values)]
        flat = unify_values([x for v in known for x in v])
        it = iter(flat)
        out = []
        for v in values:
            if isinstance(v, list):
                items = [next(it) for _ in v]
                # sequences of different lengths (or with a set) have a common type only as lists
                out.append(make_set(items) if isinstance(v, SetValue) else ListValue(items))
            else:
                out.append(v)
        return out
    raise ConversionError("a list and a map have no common type")


def convert(v: Any, spec: TypeSpec, path: str = "") -> Any:
    """Convert ``v`` to ``spec`` the way Terraform does for variables and function arguments."""
    kind = spec[0]
    if v is None or v is UNKNOWN or kind == "any":
        return v
    where = f" at {path}" if path else ""
    if kind == "string":
        try:
            return to_string(v)
        except ConversionError as e:
            raise ConversionError(f"{e}{where}") from None
    if kind == "number":
        if isinstance(v, bool):
            raise ConversionError(f"a number is required, but a bool was given{where}")
        if isinstance(v, (int, float)):
            return v
        if isinstance(v, str):
            try:
                return parse_number(v)
            except ConversionError as e:
                raise ConversionError(f"{e}{where}") from None
        raise ConversionError(f"a number is required, but a {type_of(v)} was given{where}")
    if kind == "bool":
        if isinstance(v, bool):
            return v
        if isinstance(v, str) and v in ("true", "false"):
            return v == "true"
        raise ConversionError(f"a bool is required, but a {type_of(v)} {_show(v)} was given{where}")
    if kind in ("list", "set"):
        if not isinstance(v, list):
            raise ConversionError(f"a {kind} of {type_str(spec[1])} is required, but a {type_of(v)} was "
                                  f"given{where}")
        items = [convert(x, spec[1], f"{path}[{i}]") for i, x in enumerate(v)]
        return make_set(items, spec[1]) if kind == "set" else ListValue(items, spec[1])
    if kind == "map":
        if not isinstance(v, dict):
            raise ConversionError(f"a map of {type_str(spec[1])} is required, but a {type_of(v)} was "
                                  f"given{where}")
        return MapValue({k: convert(x, spec[1], f"{path}[{k!r}]" if path else f"[{k!r}]")
                         for k, x in v.items()}, spec[1])
    if kind == "tuple":
        if not isinstance(v, list) or len(v) != len(spec[1]):
            raise ConversionError(f"a tuple of {len(spec[1])} elements is required{where}")
        return [convert(x, t, f"{path}[{i}]") for i, (x, t) in enumerate(zip(v, spec[1], strict=True))]
    if kind == "object":
        if not isinstance(v, dict):
            raise ConversionError(f"an object is required, but a {type_of(v)} was given{where}")
        out: dict = {}
        for name, (t, optional, default) in spec[1].items():
            sub = f"{path}.{name}" if path else name
            if name not in v or v[name] is None:
                if not optional and name not in v:
                    raise ConversionError(f'attribute "{name}" is required{where}')
                out[name] = convert(default, t, sub) if default is not None else None
            else:
                out[name] = convert(v[name], t, sub)
        return ObjectValue(out, {name: t for name, (t, _optional, _default) in spec[1].items()})
    raise ConversionError(f"unsupported type {kind}")


def _show(v: Any) -> str:
    if isinstance(v, str):
        return f'"{v}"'
    return ""


class TypeExprError(Exception):
    def __init__(self, message: str, line: int, col: int):
        super().__init__(message)
        self.line, self.col = line, col


def parse_type(expr: ir.Expr, allow_optional: bool = False, eval_default=None) -> TypeSpec:
    """A ``type = ...`` expression (never evaluated: ``string`` is a keyword here, not a reference)."""
    if isinstance(expr, ir.Name):
        if expr.name in ("string", "number", "bool", "any"):
            return (expr.name,)
        if expr.name in ("list", "set", "map"):
            return (expr.name, ANY)
        raise TypeExprError(f'The keyword "{expr.name}" is not a valid type constraint.', expr.line, expr.col)
    if isinstance(expr, ir.Lit) and isinstance(expr.value, str):  # legacy quoted types
        legacy = {"string": STRING, "list": ("list", STRING), "map": ("map", STRING)}
        if expr.value in legacy:
            return legacy[expr.value]
    if isinstance(expr, ir.Call):
        n, args = expr.name, expr.args
        if n in ("list", "set", "map") and len(args) == 1:
            return (n, parse_type(args[0], False, eval_default))
        if n == "tuple" and len(args) == 1 and isinstance(args[0], ir.TupleExpr):
            return ("tuple", [parse_type(a, False, eval_default) for a in args[0].items])
        if n == "object" and len(args) == 1 and isinstance(args[0], ir.ObjectExpr):
            attrs: dict = {}
            for k, vexpr in args[0].items:
                if not isinstance(k, ir.Lit):
                    raise TypeExprError("Object type attribute names must be plain names.", k.line, k.col)
                optional, default = False, None
                if isinstance(vexpr, ir.Call) and vexpr.name == "optional":
                    if not 1 <= len(vexpr.args) <= 2:
                        raise TypeExprError("optional() takes a type and an optional default value.",
                                            vexpr.line, vexpr.col)
                    optional = True
                    if len(vexpr.args) == 2 and eval_default is not None:
                        default = eval_default(vexpr.args[1])
                    t = parse_type(vexpr.args[0], False, eval_default)
                else:
                    t = parse_type(vexpr, False, eval_default)
                attrs[str(k.value)] = (t, optional, default)
            return ("object", attrs)
        if n == "optional":
            raise TypeExprError("optional() is only allowed on attributes of an object type.",
                                expr.line, expr.col)
    raise TypeExprError("A type constraint is expected here, e.g. string, number, bool, list(string), "
                        "map(number), object({...}) or any.", expr.line, expr.col)


def needs_hcl_parse(spec: TypeSpec) -> bool:
    """``-var`` and ``TF_VAR_`` values of complex types are HCL expressions; others are raw strings."""
    return spec[0] not in ("string", "number", "bool", "any")


def strip_sets(v: Any) -> Any:
    """SetValue -> plain sorted list, recursively, for the configuration handed to other stages."""
    if isinstance(v, list):
        return [x if type(x) in LEAF_TYPES else strip_sets(x) for x in v]
    if isinstance(v, dict):
        return {k: x if type(x) in LEAF_TYPES else strip_sets(x) for k, x in v.items()}
    return v


def cty_type(value: Any, spec: TypeSpec | None = None) -> Any:
    """The cty type JSON Terraform records for a value (``output -json``, state outputs,
    ``terraform_data``): the declared type where a constraint or conversion gave one (``["list",
    "string"]``, ``["map", "number"]``, ``["set", "string"]``, an object's attribute types), else
    the type inferred from the value (a literal list is a tuple, a literal map an object, null is
    dynamic). Object attributes in name order, as cty writes them."""
    if spec is not None and spec[0] != "any":
        return _declared(spec, value)
    if value is None or value is UNKNOWN:
        return "dynamic"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float, Decimal)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, SetValue):
        return ["set", _element_type(list(value), value.elem)]
    if isinstance(value, ListValue):
        return ["list", _element_type(list(value), value.elem)]
    if isinstance(value, MapValue):
        return ["map", _element_type(list(value.values()), value.elem)]
    if isinstance(value, (list, tuple)):
        return ["tuple", [cty_type(v) for v in value]]
    if isinstance(value, (set, frozenset)):
        return ["tuple", [cty_type(v) for v in sorted(value, key=str)]]
    if isinstance(value, dict):
        attrs = value.attrs if isinstance(value, ObjectValue) else {}
        return ["object", {str(k): cty_type(value[k], attrs.get(k)) for k in sorted(value, key=str)}]
    return "dynamic"


def _element_type(items: list, elem: TypeSpec | None) -> Any:
    """A collection's element type: the declared one, else the one its (unified) elements share."""
    if elem is not None and elem[0] != "any":
        return _declared(elem, items[0] if items else None)
    types = [cty_type(v) for v in items if v is not None]
    return types[0] if types and all(t == types[0] for t in types) else "dynamic"


def _declared(spec: TypeSpec, value: Any) -> Any:
    kind = spec[0]
    if kind in ("string", "number", "bool"):
        return kind
    if kind == "any":
        return cty_type(value)
    if kind in ("list", "set"):
        items = list(value) if isinstance(value, list) else []
        return [kind, _element_type(items, spec[1])]
    if kind == "map":
        items = list(value.values()) if isinstance(value, dict) else []
        return ["map", _element_type(items, spec[1])]
    if kind == "tuple":
        items = list(value) if isinstance(value, list) and len(value) == len(spec[1]) else [None] * len(spec[1])
        return ["tuple", [_declared(t, v) for t, v in zip(spec[1], items, strict=True)]]
    if kind == "object":
        obj = value if isinstance(value, dict) else {}
        return ["object", {name: _declared(t, obj.get(name)) for name, (t, _o, _d) in sorted(spec[1].items())}]
    return "dynamic"


__all__ = ["SetValue", "ListValue", "MapValue", "ObjectValue", "cty_type", "ConversionError",
           "convert", "unify_values", "parse_type", "type_of", "make_set", "contains_unknown"]
