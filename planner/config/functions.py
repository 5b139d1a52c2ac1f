"""Terraform's built-in functions that CLB configurations use.

Each entry declares its arity so a wrong call is a located error before it runs, and whether it
can look inside collections holding unknown values ("structural": ``length``, ``concat``...) or
must return UNKNOWN as soon as any argument contains one (everything that reads values).
``try``/``can``/``templatefile`` need the evaluator and are handled there.
"""

from __future__ import annotations

import base64
import hashlib
import ipaddress
import itertools
import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from planner.config import limits
from planner.config.types import (
    BOOL,
    NUMBER,
    STRING,
    ConversionError,
    ListValue,
    MapValue,
    SetValue,
    arith,
    convert,
    format_number,
    make_set,
    normalize_number,
    to_string,
    type_of,
    unify_values,
)
from planner.values import UNKNOWN, contains_unknown


class FuncError(Exception):
    """A function rejected its arguments; the message says why, in the user's terms."""

    def __init__(self, message: str, arg: int | None = None):
        super().__init__(message)
        self.arg = arg


@dataclass(frozen=True)
class Func:
    impl: Callable[..., Any]
    min_args: int
    max_args: int | None  # None: variadic
    structural: bool = False  # tolerates unknowns nested inside collections


def _str(v: Any, i: int = 0) -> str:
    try:
        s = to_string(v)
    except ConversionError as e:
        raise FuncError(str(e), i) from None
    if s is None:
        raise FuncError("argument must not be null", i)
    return s


def _num(v: Any, i: int = 0) -> int | float:
    try:
        n = convert(v, NUMBER)
    except ConversionError as e:
        raise FuncError(str(e), i) from None
    if n is None:
        raise FuncError("argument must not be null", i)
    return n


def _int(v: Any, i: int = 0) -> int:
    n = _num(v, i)
    if isinstance(n, float) and not n.is_integer():
        raise FuncError(f"a whole number is required, but {format_number(n)} was given", i)
    return int(n)


def _list(v: Any, i: int = 0) -> list:
    if isinstance(v, list):
        return v
    raise FuncError(f"a list, set or tuple is required, but a {type_of(v)} was given", i)


def _map(v: Any, i: int = 0) -> dict:
    if isinstance(v, dict):
        return v
    raise FuncError(f"a map or object is required, but a {type_of(v)} was given", i)


def _bool(v: Any, i: int = 0) -> bool:
    try:
        b = convert(v, BOOL)
    except ConversionError as e:
        raise FuncError(str(e), i) from None
    if b is None:
        raise FuncError("argument must not be null", i)
    return b


def hcl_equal(a: Any, b: Any) -> bool:
    """Type-strict equality (``1 == "1"`` and ``true == 1`` are false in HCL)."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    if type(a) is not type(b) and not (isinstance(a, list) and isinstance(b, list)):
        return False
    if isinstance(a, list):
        return len(a) == len(b) and all(hcl_equal(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(hcl_equal(a[k], b[k]) for k in a)
    return a == b


# ---- strings --------------------------------------------------------------------------------------

_VERB = re.compile(r"%(\[(\d+)\])?([-+ 0#]*)(\d+)?(?:\.(\d+))?([a-zA-Z%])")


def _format(fmt: Any, *args: Any) -> str:
    fmt_s = _str(fmt)
    out: list[str] = []
    pos = 0
    argi = 0
    for m in _VERB.finditer(fmt_s):
        out.append(fmt_s[pos:m.start()])
        pos = m.end()
        verb = m.group(6)
        if verb == "%":
            out.append("%")
            continue
        if m.group(2):
            argi = int(m.group(2)) - 1
        if argi >= len(args):
            raise FuncError(f"not enough arguments for format string {fmt_s!r}")
        v = args[argi]
        argi += 1
        flags, width, prec = m.group(3) or "", m.group(4) or "", m.group(5)
        if verb in ("s", "v"):
            if verb == "v" and isinstance(v, (list, dict)):
                s = json.dumps(v, separators=(",", ":"), sort_keys=True)
            else:
                s = "null" if v is None and verb == "v" else _str(v, argi)
            if prec is not None:
                s = s[:int(prec)]
        elif verb == "q":
            s = json.dumps(_str(v, argi), ensure_ascii=False)
        elif verb == "d":
            s = str(_int(v, argi))
            if "+" in flags and not s.startswith("-"):
                s = "+" + s
        elif verb in ("f", "e", "g", "F", "E", "G"):
            n = _num(v, argi)
            spec = f"{'+' if '+' in flags else ''}.{prec if prec is not None else 6}{verb}"
            # the decimal Terraform holds, not the binary float: %.20f of 0.1 is 0.10000000000000000000
            s = format(_decimal_of(n), spec) if verb not in ("g", "G") or prec else repr(normalize_number(n))
            s = re.sub(r"([eE][+-])(\d)$", r"\g<1>0\2", s)  # Go writes at least two exponent digits
        elif verb == "t":
            s = "true" if _bool(v, argi) else "false"
        elif verb in ("x", "X", "o", "b"):
            n = _int(v, argi)
            s = format(n, verb)
        else:
            raise FuncError(f"unsupported format verb %{verb}")
        if width:
            w = int(width)
            if "-" in flags:
                s = s.ljust(w)
            elif "0" in flags and verb in "dfeg":
                s = s.rjust(w, "0")
            else:
                s = s.rjust(w)
        out.append(s)
    out.append(fmt_s[pos:])
    return "".join(out)


def _decimal_of(n: int | float):
    from decimal import Decimal
    if isinstance(n, int):
        return Decimal(n)
    return getattr(n, "exact", None) or Decimal(repr(n))


def _formatlist(fmt: Any, *args: Any) -> list:
    lengths = {len(a) for a in args if isinstance(a, list)}
    if len(lengths) > 1:
        raise FuncError("all list arguments must have the same length")
    n = lengths.pop() if lengths else 1
    return [_format(fmt, *[a[i] if isinstance(a, list) else a for a in args]) for i in range(n)]


def _replace(s: Any, sub: Any, repl: Any) -> str:
    s, sub, repl = _str(s, 0), _str(sub, 1), _str(repl, 2)
    if len(sub) >= 2 and sub.startswith("/") and sub.endswith("/"):
        try:
            rx = re.compile(sub[1:-1])
        except re.error as e:
            raise FuncError(f"invalid regular expression {sub[1:-1]!r}: {e}", 1) from None
        py_repl = re.sub(r"\$\{(\w+)\}|\$(\d+)", lambda m: f"\\g<{m.group(1) or m.group(2)}>",
                         repl.replace("\\", "\\\\"))
        return rx.sub(py_repl, s)
    return s.replace(sub, repl)


def _title(s: Any) -> str:
    return re.sub(r"(^|[^\w'])(\w)", lambda m: m.group(1) + m.group(2).upper(), _str(s))


def _substr(s: Any, offset: Any, length: Any) -> str:
    text, off, ln = _str(s, 0), _int(offset, 1), _int(length, 2)
    if off < 0:
        off = max(len(text) + off, 0)
    if off > len(text):
        return ""
    return text[off:] if ln < 0 else text[off:off + ln]


def _trim(s: Any, cutset: Any) -> str:
    return _str(s, 0).strip(_str(cutset, 1))


def _split(sep: Any, s: Any) -> list:
    sep_s, text = _str(sep, 0), _str(s, 1)
    if sep_s == "":
        return ListValue(text, STRING)
    return ListValue(text.split(sep_s), STRING)


def _join(sep: Any, *lists: Any) -> str:
    items: list[str] = []
    for i, lst in enumerate(lists, start=1):
        for v in _list(lst, i):
            if v is None:
                raise FuncError("element of the list is null; join cannot use null values", i)
            items.append(_str(v, i))
    return _str(sep, 0).join(items)


# ---- collections ----------------------------------------------------------------------------------

def _length(v: Any) -> int:
    if isinstance(v, (list, dict)):
        return len(v)
    if isinstance(v, str):
        return len(v)
    raise FuncError(f"length() needs a string, list, set, map or object, but a {type_of(v)} was given")


def _lookup(m: Any, key: Any, *default: Any) -> Any:
    mp, k = _map(m, 0), _str(key, 1)
    if k in mp:
        return mp[k]
    if default:
        return default[0]
    raise FuncError(f'the map has no element for the key "{k}"', 1)


def _element(lst: Any, idx: Any) -> Any:
    items, i = _list(lst, 0), _int(idx, 1)
    if not items:
        raise FuncError("cannot use element function with an empty list", 0)
    at = int(math.fmod(i, len(items)))  # Go's remainder: element(["a"], -1) is "a", element(l3, -1) fails
    if at < 0:
        raise FuncError("cannot use element function with a negative index", 1)
    return items[at]


def _concat(*lists: Any) -> list:
    out: list = []
    for i, lst in enumerate(lists):
        out.extend(_list(lst, i))
    return out


def _merge(*maps: Any) -> dict:
    out: dict = {}
    for i, m in enumerate(maps):
        if m is None:
            continue
        out.update(_map(m, i))
    return out


def _keys(m: Any) -> list:
    return ListValue(sorted(_map(m)), STRING)


def _values(m: Any) -> list:
    mp = _map(m)
    items = [mp[k] for k in sorted(mp)]
    # values of a map are a list (of its element type); of an object, a tuple (as in Terraform)
    return ListValue(items, mp.elem) if isinstance(mp, MapValue) else items


def _unified(items: list, what: str) -> list:
    try:
        return unify_values(items)
    except ConversionError as e:
        raise FuncError(f"{what} must have a consistent type: {e}") from None


def _toset(v: Any) -> Any:
    return make_set(_unified(list(_list(v)), "all elements of a set"))


def _tolist(v: Any) -> list:
    items = list(_list(v))
    return ListValue(items if isinstance(v, SetValue) else _unified(items, "all elements of a list"),
                     getattr(v, "elem", None))


def _tomap(v: Any) -> dict:
    mp = _map(v)
    keys = list(mp)
    return MapValue(zip(keys, _unified([mp[k] for k in keys], "all values of a map"), strict=True),
                    getattr(mp, "elem", None))


def _conv(spec):
    def f(v: Any) -> Any:
        try:
            return convert(v, spec)
        except ConversionError as e:
            raise FuncError(str(e)) from None
    return f


def _contains(lst: Any, v: Any) -> bool:
    items = _list(lst, 0)
    if type(v) is str:
        # a string equals only an equal string under hcl_equal (no value type is a str subclass), so
        # the list's own C-speed membership test answers the same: `contains(local.changed, each.key)`
        # ran 2M hcl_equal calls in the 10,000-LB 1% plan
        return v in items
    return any(hcl_equal(x, v) for x in items)


def _coalesce(*args: Any) -> Any:
    try:  # the arguments share one type: coalesce(1, "a") is "1"
        args = tuple(unify_values(list(args)))
    except ConversionError:
        raise FuncError("all arguments must have the same type") from None
    for v in args:
        if v is not None and v != "":
            return v
    raise FuncError("no non-null, non-empty-string arguments")


def _coalescelist(*args: Any) -> Any:
    for i, v in enumerate(args):
        if _list(v, i):
            return v
    raise FuncError("no non-empty list arguments")


def _compact(lst: Any) -> list:
    return [_str(v) for v in _list(lst) if v is not None and v != ""]


def _distinct(lst: Any) -> list:
    out: list = []
    for v in _unified(list(_list(lst)), "all elements of a list"):
        if not any(hcl_equal(v, o) for o in out):
            out.append(v)
    return ListValue(out, getattr(lst, "elem", None))


def _flatten(lst: Any) -> list:
    out: list = []
    for v in _list(lst):
        if isinstance(v, list):
            out.extend(_flatten(v))
        else:
            out.append(v)
    return out


def _range(*args: Any) -> list:
    nums = [_num(a, i) for i, a in enumerate(args)]
    if len(nums) == 1:
        start, limit, step = 0, nums[0], 1
    elif len(nums) == 2:
        start, limit, step = nums[0], nums[1], (1 if nums[1] >= nums[0] else -1)
    else:
        start, limit, step = nums
    if step == 0:
        raise FuncError("step must not be zero", 2)
    if (start < limit and step < 0) or (start > limit and step > 0):
        raise FuncError("step must be " + ("positive" if start < limit else "negative") + " when start is "
                        + ("less" if start < limit else "greater") + " than limit", 2)
    if (limit - start) / step > 1024:
        raise FuncError("more than 1024 values were generated; maximum is 1024")
    out = []
    v = start
    while (step > 0 and v < limit) or (step < 0 and v > limit):
        out.append(normalize_number(v))
        v = arith("+", v, step)  # decimal steps: range(0, 1, 0.1) ends at 0.9, as in Terraform
    return ListValue(out, NUMBER)


def _minmax(fn):
    def f(*args: Any) -> Any:
        if not args:
            raise FuncError("at least one argument is required")
        return fn(_num(a, i) for i, a in enumerate(args))
    return f


def _slice(lst: Any, start: Any, end: Any) -> list:
    items, s, e = _list(lst, 0), _int(start, 1), _int(end, 2)
    if s < 0 or e > len(items) or s > e:
        raise FuncError(f"invalid slice indexes {s}..{e} for a list of {len(items)} elements")
    return items[s:e]


def _sort(lst: Any) -> list:
    return ListValue(sorted(_str(v) for v in _list(lst)), STRING)


def _one(lst: Any) -> Any:
    items = _list(lst)
    if len(items) > 1:
        raise FuncError(f"must be a list, set, or tuple value with either zero or one elements; this one has "
                        f"{len(items)}")
    return items[0] if items else None


def _sum(lst: Any) -> Any:
    items = _list(lst)
    if not items:
        raise FuncError("cannot sum an empty list")
    total: int | float = 0
    for v in items:
        total = arith("+", total, _num(v))
    return total


def _index(lst: Any, v: Any) -> int:
    for i, x in enumerate(_list(lst, 0)):
        if hcl_equal(x, v):
            return i
    raise FuncError("item not found", 1)


def _zipmap(ks: Any, vs: Any) -> dict:
    keys, vals = _list(ks, 0), _list(vs, 1)
    if len(keys) != len(vals):
        raise FuncError(f"number of keys ({len(keys)}) does not match number of values ({len(vals)})")
    return {_str(k): v for k, v in zip(keys, vals, strict=True)}


def _setproduct(*sets: Any) -> list:
    return [list(t) for t in itertools.product(*[_list(s, i) for i, s in enumerate(sets)])]


# ---- encoding, numbers, network ------------------------------------------------------------------

def _jsonencode(v: Any) -> str:
    """JSON as Terraform (Go's encoder) writes it: sorted keys, no spaces, numbers without exponents,
    and <, >, &, U+2028, U+2029 escaped."""
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        if isinstance(v, float) and not math.isfinite(v):
            raise FuncError("cannot encode an infinite number as JSON")
        return format_number(v)
    if isinstance(v, str):
        text = json.dumps(v, ensure_ascii=False)
        for ch, esc in _GO_JSON_ESCAPES:
            text = text.replace(ch, esc)
        return text
    if isinstance(v, list):
        return "[" + ",".join(_jsonencode(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ",".join(_jsonencode(k) + ":" + _jsonencode(v[k]) for k in sorted(v)) + "}"
    raise FuncError(f"cannot encode a {type_of(v)} as JSON")


_GO_JSON_ESCAPES = (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("\u2028", "\\u2028"),
                    ("\u2029", "\\u2029"))


def _jsondecode(s: Any) -> Any:
    try:
        return _normalize_json(json.loads(_str(s)))
    except json.JSONDecodeError as e:
        raise FuncError(f"invalid JSON: {e.msg} at line {e.lineno}, column {e.colno}") from None


def _normalize_json(v: Any) -> Any:
    if isinstance(v, float):
        return normalize_number(v)
    if isinstance(v, list):
        return [_normalize_json(x) for x in v]
    if isinstance(v, dict):
        return {k: _normalize_json(x) for k, x in v.items()}
    return v


def _b64decode(s: Any) -> str:
    try:
        return base64.b64decode(_str(s), validate=True).decode("utf-8")
    except (ValueError, UnicodeDecodeError):
        raise FuncError("the string is not valid base64-encoded UTF-8") from None


def _network(prefix: Any):
    try:
        return ipaddress.ip_network(_str(prefix, 0), strict=False)
    except ValueError:
        raise FuncError(f'invalid CIDR expression "{prefix}"', 0) from None


def _cidrsubnet(prefix: Any, newbits: Any, netnum: Any) -> str:
    net = _network(prefix)
    nb, num = _int(newbits, 1), _int(netnum, 2)
    new_len = net.prefixlen + nb
    if nb < 0 or new_len > net.max_prefixlen:
        raise FuncError(f"insufficient address space to extend prefix of {net.prefixlen} by {nb}", 1)
    if num < 0 or num >= 2 ** nb:
        raise FuncError(f"prefix extension of {nb} does not accommodate a subnet numbered {num}", 2)
    base = int(net.network_address) + (num << (net.max_prefixlen - new_len))
    return f"{ipaddress.ip_address(base)}/{new_len}" if net.version == 4 else \
        str(ipaddress.ip_network((base, new_len)))


def _cidrhost(prefix: Any, hostnum: Any) -> str:
    net = _network(prefix)
    n = _int(hostnum, 1)
    size = net.num_addresses
    if n < 0:
        n += size
    if n < 0 or n >= size:
        raise FuncError(f"host number {hostnum} is out of range for the prefix {prefix}", 1)
    return str(ipaddress.ip_address(int(net.network_address) + n))


def _unknown_at_plan(*_args: Any) -> Any:
    return UNKNOWN  # uuid()/timestamp() differ on every run: known only after apply


# ---- the rest of Terraform's built-ins: strings, sets, numbers, encodings, dates, crypto --------

def _unify_primitives(items: list) -> list:
    """Terraform unifies a collection's element type: mixed strings, numbers and bools become strings."""
    prims = [x for x in items if x is not None and not isinstance(x, (list, dict))]
    kinds = {type_of(x) for x in prims}
    if len(kinds) > 1 and len(prims) == len([x for x in items if x is not None]):
        if "string" not in kinds:
            raise FuncError("all elements must be of the same type")
        return [to_string(x) for x in items]
    return items


def _sets(args: tuple, name: str) -> list[list]:
    if not args:
        raise FuncError(f"{name} needs at least one set")
    lists = [_list(a, i) for i, a in enumerate(args)]
    flat = _unify_primitives([x for lst in lists for x in lst])
    out, pos = [], 0
    for lst in lists:
        out.append(flat[pos:pos + len(lst)])
        pos += len(lst)
    return out


def _setunion(*args: Any) -> Any:
    return make_set([x for lst in _sets(args, "setunion") for x in lst])


def _setintersection(*args: Any) -> Any:
    lists = _sets(args, "setintersection")
    return make_set([x for x in lists[0] if all(any(hcl_equal(x, y) for y in o) for o in lists[1:])])


def _setsubtract(a: Any, b: Any) -> Any:
    left, right = _sets((a, b), "setsubtract")
    return make_set([x for x in left if not any(hcl_equal(x, y) for y in right)])


def _chunklist(lst: Any, size: Any) -> list:
    items, n = _list(lst, 0), _int(size, 1)
    if n < 0:
        raise FuncError("the size argument must be positive", 1)
    if n == 0:
        return [list(items)]
    return [list(items[i:i + n]) for i in range(0, len(items), n)]


def _matchkeys(values: Any, keys: Any, search: Any) -> list:
    vals, ks, ss = _list(values, 0), _list(keys, 1), _list(search, 2)
    if len(vals) != len(ks):
        raise FuncError("length of keys and values should be equal")
    return [v for v, k in zip(vals, ks, strict=True) if any(hcl_equal(k, s) for s in ss)]


def _transpose(m: Any) -> dict:
    out: dict[str, list] = {}
    mp = _map(m)
    for k in sorted(mp):
        for v in _list(mp[k]):
            out.setdefault(_str(v), []).append(k)
    return {k: out[k] for k in sorted(out)}


def _indent(n: Any, s: Any) -> str:
    pad = " " * _int(n, 0)
    return _str(s, 1).replace("\n", "\n" + pad)


def _chomp(s: Any) -> str:
    return re.sub(r"(\r\n|\n|\r)+\Z", "", _str(s))


def _strrev(s: Any) -> str:
    import unicodedata
    clusters: list[str] = []
    for ch in _str(s):  # keep combining marks with their base character, as Terraform's graphemes do
        if clusters and unicodedata.combining(ch):
            clusters[-1] += ch
        else:
            clusters.append(ch)
    return "".join(reversed(clusters))


def _go_regex(pattern: str, i: int) -> re.Pattern:
    py = re.sub(r"\(\?P<", "(?P<", pattern)
    py = re.sub(r"\\z", r"\\Z", py)
    try:
        return re.compile(py)
    except re.error as e:
        raise FuncError(f"invalid regular expression pattern: {e}", i) from None


def _match_value(rx: re.Pattern, m: re.Match) -> Any:
    if rx.groupindex:
        return {name: m.group(name) for name in rx.groupindex}
    if rx.groups:
        return list(m.groups())
    return m.group(0)


def _regex(pattern: Any, s: Any) -> Any:
    rx = _go_regex(_str(pattern, 0), 0)
    if rx.groupindex and len(rx.groupindex) != rx.groups:
        raise FuncError("invalid regular expression pattern: cannot mix both named and unnamed capture groups", 0)
    m = rx.search(_str(s, 1))
    if m is None:
        raise FuncError("pattern did not match any part of the given string", 1)
    return _match_value(rx, m)


def _regexall(pattern: Any, s: Any) -> list:
    rx = _go_regex(_str(pattern, 0), 0)
    if rx.groupindex and len(rx.groupindex) != rx.groups:
        raise FuncError("invalid regular expression pattern: cannot mix both named and unnamed capture groups", 0)
    return [_match_value(rx, m) for m in rx.finditer(_str(s, 1))]


def _parseint(s: Any, base: Any) -> int:
    text, b = _str(s, 0), _int(base, 1)
    if not 2 <= b <= 62:
        raise FuncError("base must be a whole number between 2 and 62 inclusive", 1)
    digits = text[1:] if text[:1] in "+-" else text
    if not digits:
        raise FuncError(f"cannot parse {json.dumps(text)} as a base {b} integer", 0)
    n = 0
    for ch in digits:
        if ch.isdigit():
            d = ord(ch) - 48
        elif "a" <= ch <= "z":
            d = ord(ch) - 87
        elif "A" <= ch <= "Z":
            d = ord(ch) - 55 if b <= 36 else ord(ch) - 29
        else:
            d = 99
        if d >= b:
            raise FuncError(f"cannot parse {json.dumps(text)} as a base {b} integer", 0)
        n = n * b + d
    return -n if text.startswith("-") else n


def _log(n: Any, base: Any) -> Any:
    x, b = _num(n, 0), _num(base, 1)
    try:
        return normalize_number(math.log(x) / math.log(b))
    except (ValueError, ZeroDivisionError):
        if x == 0:
            return -math.inf
        raise FuncError("the logarithm is not defined for these arguments") from None


def _pow(a: Any, b: Any) -> Any:
    x, y = _num(a, 0), _num(b, 1)
    try:
        return normalize_number(math.pow(x, y))
    except (ValueError, OverflowError):
        raise FuncError("the result is not a finite number") from None


def _round(n: Any, mode: str) -> int:
    from decimal import Decimal
    x = _num(n)
    if isinstance(x, int):
        return x
    if not math.isfinite(x):
        raise FuncError("the number is infinite")
    return int(Decimal(repr(x)).to_integral_value(rounding=mode))  # the decimal Terraform holds, not the float


def _signum(n: Any) -> int:
    x = _int(n)
    return (x > 0) - (x < 0)


def _cidrnetmask(prefix: Any) -> str:
    net = _network(prefix)
    if net.version != 4:
        raise FuncError("only IPv4 networks are supported", 0)
    return str(net.netmask)


def _cidrsubnets(prefix: Any, *newbits: Any) -> list:
    net = _network(prefix)
    out: list[str] = []
    nxt = int(net.network_address)
    end = int(net.broadcast_address)
    for i, nb in enumerate(newbits, start=1):
        bits = _int(nb, i)
        plen = net.prefixlen + bits
        if bits < 1 or plen > net.max_prefixlen:
            raise FuncError(f"would extend prefix to {plen} bits, which is too long for an IPv{net.version} "
                            "address", i)
        size = 1 << (net.max_prefixlen - plen)
        start = -(-nxt // size) * size  # align to the subnet size
        if start + size - 1 > end:
            raise FuncError(f"not enough remaining address space for a subnet with a prefix of {plen} bits "
                            f"after {out[-1] if out else net}", i)
        out.append(str(ipaddress.ip_network((start, plen))))
        nxt = start + size
    return out


def _csvdecode(s: Any) -> list:
    import csv
    import io
    rows = list(csv.reader(io.StringIO(_str(s), newline=""), strict=True))
    if not rows:
        raise FuncError("missing header line")
    header, out = rows[0], []
    for n, row in enumerate(rows[1:], start=2):
        if len(row) != len(header):
            raise FuncError(f"record on line {n}: wrong number of fields")
        out.append(dict(zip(header, row, strict=True)))
    return out


def _yamlencode(v: Any) -> str:
    from planner.config import yamlfmt
    return yamlfmt.encode(v)


def _yamldecode(s: Any) -> Any:
    import yaml
    try:
        docs = list(yaml.safe_load_all(_str(s)))
    except yaml.YAMLError as e:
        raise FuncError(f"on line {getattr(getattr(e, 'problem_mark', None), 'line', -1) + 1}: "
                        f"{getattr(e, 'problem', None) or e}") from None
    if not docs:
        raise FuncError("the input is empty: it contains no YAML document")
    if len(docs) > 1:
        raise FuncError("the input contains more than one YAML document")
    n, c = limits.logical_size(docs[0])  # aliases share nodes: "billion laughs" is small until written out
    if n > limits.MAX_ITEMS or c > limits.MAX_STRING_CHARS:
        raise FuncError("the document's aliases expand to more than " + (
            f"{limits.MAX_ITEMS:,} elements" if n > limits.MAX_ITEMS else f"{limits.MAX_STRING_CHARS:,} characters")
            + ", clbplan's limit for one value (see docs/limits.md)")
    return _normalize_json(_yaml_plain(docs[0] if docs else None))


def _yaml_plain(v: Any) -> Any:
    import datetime
    if isinstance(v, dict):
        return {to_string(k) if not isinstance(k, str) else k: _yaml_plain(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_yaml_plain(x) for x in v]
    if isinstance(v, (datetime.date, datetime.datetime, bytes)):
        return str(v)
    return v


def _urlencode(s: Any) -> str:
    from urllib.parse import quote_plus
    return quote_plus(_str(s), safe="-_.~")


def _textencodebase64(s: Any, enc: Any) -> str:
    text, name = _str(s, 0), _str(enc, 1)
    try:
        return base64.b64encode(text.encode(_codec(name))).decode()
    except LookupError:
        raise FuncError(f'"{name}" is not a supported IANA encoding name or alias', 1) from None
    except UnicodeEncodeError:
        raise FuncError(f"the given string contains characters that cannot be represented in {name}", 0) from None


def _textdecodebase64(s: Any, enc: Any) -> str:
    text, name = _str(s, 0), _str(enc, 1)
    try:
        raw = base64.b64decode(text, validate=True)
    except ValueError:
        raise FuncError("the given value is not valid base64", 0) from None
    try:
        return raw.decode(_codec(name))
    except LookupError:
        raise FuncError(f'"{name}" is not a supported IANA encoding name or alias', 1) from None
    except UnicodeDecodeError:
        raise FuncError(f"the given string contains characters that are not valid in {name}", 0) from None


def _codec(name: str) -> str:
    import codecs
    return codecs.lookup(name.lower().replace("_", "-")).name


def _b64gzip(s: Any) -> str:
    import gzip
    return base64.b64encode(gzip.compress(_str(s).encode(), mtime=0)).decode()


def _bcrypt(s: Any, *cost: Any) -> str:
    import bcrypt
    rounds = _int(cost[0], 1) if cost else 10
    if not 4 <= rounds <= 31:
        raise FuncError("bcrypt cost must be between 4 and 31", 1)
    return bcrypt.hashpw(_str(s, 0).encode(), bcrypt.gensalt(rounds, prefix=b"2a")).decode()


def _rsadecrypt(ct: Any, key: Any) -> str:
    from cryptography.hazmat.primitives.asymmetric import padding
    from cryptography.hazmat.primitives.serialization import load_pem_private_key
    try:
        raw = base64.b64decode(_str(ct, 0), validate=True)
    except ValueError:
        raise FuncError("failed to decode input: not valid base64", 0) from None
    try:
        pk = load_pem_private_key(_str(key, 1).encode(), password=None)
    except (ValueError, TypeError):
        raise FuncError("invalid private key: the value is not a PEM-encoded private key", 1) from None
    try:
        return pk.decrypt(raw, padding.PKCS1v15()).decode()  # type: ignore[union-attr]
    except (ValueError, TypeError, AttributeError):
        raise FuncError("failed to decrypt: the ciphertext does not match the key") from None


def _uuidv5(ns: Any, name: Any) -> str:
    import uuid
    known = {"dns": uuid.NAMESPACE_DNS, "url": uuid.NAMESPACE_URL, "oid": uuid.NAMESPACE_OID,
             "x500": uuid.NAMESPACE_X500}
    n = _str(ns, 0)
    try:
        space = known[n] if n in known else uuid.UUID(n)
    except ValueError:
        raise FuncError(f'uuidv5() doesn\'t support namespace "{n}"', 0) from None
    return str(uuid.uuid5(space, _str(name, 1)))


def _plantimestamp() -> str:
    import datetime
    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# RFC 3339 as Terraform accepts it: a date, "T", a time, optional fraction, "Z" or an offset
_RFC3339 = re.compile(r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})$")


def _parse_ts(v: Any, i: int):
    import datetime
    s = _str(v, i)
    m = _RFC3339.match(s)
    if not m:
        raise FuncError(f'not a valid RFC3339 timestamp: cannot use "{s}" as year', i)
    y, mo, d, h, mi, sec, frac, zone = m.groups()
    tz = datetime.UTC if zone == "Z" else datetime.timezone(
        (1 if zone[0] == "+" else -1) * datetime.timedelta(hours=int(zone[1:3]), minutes=int(zone[4:6])))
    try:
        ts = datetime.datetime(int(y), int(mo), int(d), int(h), int(mi), int(sec), tzinfo=tz)
    except ValueError as e:
        raise FuncError(f'not a valid RFC3339 timestamp: "{s}": {e}', i) from None
    nanos = int((frac or ".0")[1:].ljust(9, "0")[:9])
    return ts, nanos


def _rfc3339(ts, nanos: int) -> str:
    base = ts.strftime("%Y-%m-%dT%H:%M:%S")  # whole seconds: Terraform formats with Go's time.RFC3339
    off = ts.utcoffset()
    if not off:
        return base + "Z"
    mins = int(off.total_seconds()) // 60
    sign = "+" if mins >= 0 else "-"
    return f"{base}{sign}{abs(mins) // 60:02d}:{abs(mins) % 60:02d}"


_DURATION_UNIT = {"ns": 1, "us": 10**3, "µs": 10**3, "μs": 10**3, "ms": 10**6, "s": 10**9, "m": 60 * 10**9,
                  "h": 3600 * 10**9}


def _parse_duration(s: str, i: int) -> int:
    """A Go duration ("1h30m", "-2.5s", "300ms") in nanoseconds."""
    from decimal import Decimal
    m = re.fullmatch(r"([+-]?)((?:\d*\.?\d+(?:ns|us|µs|μs|ms|s|m|h))+|0)", s)
    if not m:
        raise FuncError(f'time: invalid duration "{s}"', i)
    total = Decimal(0)
    for num, unit in re.findall(r"(\d*\.?\d+)(ns|us|µs|μs|ms|s|m|h)", m.group(2)):
        total += Decimal(num) * _DURATION_UNIT[unit]
    return -int(total) if m.group(1) == "-" else int(total)


def _timeadd(ts: Any, dur: Any) -> str:
    import datetime
    t, nanos = _parse_ts(ts, 0)
    total = nanos + _parse_duration(_str(dur, 1), 1)
    secs, rest = divmod(total, 10**9)
    return _rfc3339(t + datetime.timedelta(seconds=secs), rest)


def _timecmp(a: Any, b: Any) -> int:
    (ta, na), (tb, nb) = _parse_ts(a, 0), _parse_ts(b, 1)
    ka, kb = (ta.timestamp(), na), (tb.timestamp(), nb)
    return (ka > kb) - (ka < kb)


_DATE_TOKEN = re.compile(r"'(?:[^']|'')*'|YYYY|YY|MMMM|MMM|MM|M|DD|D|EEEE|EEE|hh|h|HH|H|AA|aa|mm|m|ss|s|"
                         r"ZZZZZ|ZZZZ|ZZZ|Z|[A-Za-z]+|[^A-Za-z']+")


def _formatdate(spec: Any, ts: Any) -> str:
    fmt = _str(spec, 0)
    t, _nanos = _parse_ts(ts, 1)
    off = int(t.utcoffset().total_seconds()) // 60  # type: ignore[union-attr]
    sign = "+" if off >= 0 else "-"
    hh, mm = abs(off) // 60, abs(off) % 60
    out: list[str] = []
    for tok in _DATE_TOKEN.findall(fmt):
        if tok.startswith("'"):
            if not tok.endswith("'") or len(tok) < 2:
                raise FuncError("unterminated literal '", 0)
            out.append(tok[1:-1].replace("''", "'") if tok != "''" else "'")
            continue
        h12 = t.hour % 12 or 12
        val = {
            "YYYY": f"{t.year:04d}", "YY": f"{t.year % 100:02d}", "MMMM": t.strftime("%B"),
            "MMM": t.strftime("%b"), "MM": f"{t.month:02d}", "M": str(t.month), "DD": f"{t.day:02d}",
            "D": str(t.day), "EEEE": t.strftime("%A"), "EEE": t.strftime("%a"), "hh": f"{t.hour:02d}",
            "h": str(t.hour), "HH": f"{h12:02d}", "H": str(h12), "AA": "AM" if t.hour < 12 else "PM",
            "aa": "am" if t.hour < 12 else "pm", "mm": f"{t.minute:02d}", "m": str(t.minute),
            "ss": f"{t.second:02d}", "s": str(t.second),
            "ZZZZZ": "Z" if off == 0 else f"{sign}{hh:02d}:{mm:02d}",
            "ZZZZ": f"{sign}{hh:02d}{mm:02d}", "ZZZ": "UTC" if off == 0 else f"{sign}{hh:02d}{mm:02d}",
            "Z": "Z" if off == 0 else f"{sign}{hh:02d}{mm:02d}",
        }.get(tok)
        if val is None:
            if tok[0].isalpha():
                raise FuncError(f'invalid date format verb "{tok}": unsupported format verb', 0)
            val = tok
        out.append(val)
    return "".join(out)


def _hash(algo: str, b64: bool = False) -> Callable[[Any], str]:
    def f(s: Any) -> str:
        d = hashlib.new(algo, _str(s).encode())
        return base64.b64encode(d.digest()).decode() if b64 else d.hexdigest()
    return f


def _go_clean(p: str) -> str:
    """Go's filepath.Clean for slash paths, which dirname/basename apply."""
    import posixpath
    return posixpath.normpath(p) if p else "."


def _dirname(p: Any) -> str:
    path = _str(p)
    i = path.rfind("/")
    return _go_clean(path[:i + 1] if i >= 0 else "")


def _basename(p: Any) -> str:
    path = _str(p).rstrip("/")
    if not path:
        return "/" if _str(p) else "."
    return path[path.rfind("/") + 1:]


def _pathexpand(p: Any) -> str:
    import os
    path = _str(p)
    if path == "~" or path.startswith("~/"):
        return os.path.expanduser("~") + path[1:]
    return path


def _abspath(p: Any) -> str:
    import os
    return os.path.abspath(_str(p))


FUNCTIONS: dict[str, Func] = {
    "length": Func(_length, 1, 1, structural=True),
    "lookup": Func(_lookup, 2, 3, structural=True),
    "element": Func(_element, 2, 2, structural=True),
    "concat": Func(_concat, 1, None, structural=True),
    "merge": Func(_merge, 0, None, structural=True),
    "keys": Func(_keys, 1, 1, structural=True),
    "values": Func(_values, 1, 1, structural=True),
    "toset": Func(_toset, 1, 1),
    "tolist": Func(_tolist, 1, 1, structural=True),
    "tomap": Func(_tomap, 1, 1, structural=True),
    "tostring": Func(_conv(STRING), 1, 1),
    "tonumber": Func(_conv(NUMBER), 1, 1),
    "tobool": Func(_conv(BOOL), 1, 1),
    "format": Func(_format, 1, None),
    "formatlist": Func(_formatlist, 1, None),
    "join": Func(_join, 2, None),
    "split": Func(_split, 2, 2),
    "replace": Func(_replace, 3, 3),
    "lower": Func(lambda s: _str(s).lower(), 1, 1),
    "upper": Func(lambda s: _str(s).upper(), 1, 1),
    "title": Func(_title, 1, 1),
    "trimspace": Func(lambda s: _str(s).strip(), 1, 1),
    "trim": Func(_trim, 2, 2),
    "trimprefix": Func(lambda s, p: _str(s).removeprefix(_str(p, 1)), 2, 2),
    "trimsuffix": Func(lambda s, p: _str(s).removesuffix(_str(p, 1)), 2, 2),
    "substr": Func(_substr, 3, 3),
    "contains": Func(_contains, 2, 2),
    "coalesce": Func(_coalesce, 1, None),
    "coalescelist": Func(_coalescelist, 1, None, structural=True),
    "compact": Func(_compact, 1, 1),
    "distinct": Func(_distinct, 1, 1),
    "flatten": Func(_flatten, 1, 1, structural=True),
    "range": Func(_range, 1, 3),
    "min": Func(_minmax(lambda it: normalize_number(min(it))), 1, None),
    "max": Func(_minmax(lambda it: normalize_number(max(it))), 1, None),
    "abs": Func(lambda n: abs(_num(n)), 1, 1),
    "ceil": Func(lambda n: _round(n, "ROUND_CEILING"), 1, 1),
    "floor": Func(lambda n: _round(n, "ROUND_FLOOR"), 1, 1),
    "jsonencode": Func(_jsonencode, 1, 1),
    "jsondecode": Func(_jsondecode, 1, 1),
    "cidrsubnet": Func(_cidrsubnet, 3, 3),
    "cidrhost": Func(_cidrhost, 2, 2),
    "zipmap": Func(_zipmap, 2, 2, structural=True),
    "sensitive": Func(lambda v: v, 1, 1, structural=True),
    "nonsensitive": Func(lambda v: v, 1, 1, structural=True),
    "slice": Func(_slice, 3, 3, structural=True),
    "reverse": Func(lambda v: list(reversed(_list(v))), 1, 1, structural=True),
    "sort": Func(_sort, 1, 1),
    "startswith": Func(lambda s, p: _str(s).startswith(_str(p, 1)), 2, 2),
    "endswith": Func(lambda s, p: _str(s).endswith(_str(p, 1)), 2, 2),
    "one": Func(_one, 1, 1, structural=True),
    "alltrue": Func(lambda lst: all(_bool(v) for v in _list(lst)), 1, 1),
    "anytrue": Func(lambda lst: any(_bool(v) for v in _list(lst)), 1, 1),
    "sum": Func(_sum, 1, 1),
    "setproduct": Func(_setproduct, 1, None),
    "index": Func(_index, 2, 2),
    "base64encode": Func(lambda s: base64.b64encode(_str(s).encode()).decode(), 1, 1),
    "base64decode": Func(_b64decode, 1, 1),
    "md5": Func(lambda s: hashlib.md5(_str(s).encode()).hexdigest(), 1, 1),
    "sha256": Func(lambda s: hashlib.sha256(_str(s).encode()).hexdigest(), 1, 1),
    "uuid": Func(_unknown_at_plan, 0, 0),
    "timestamp": Func(_unknown_at_plan, 0, 0),
    "setunion": Func(_setunion, 1, None),
    "setintersection": Func(_setintersection, 1, None),
    "setsubtract": Func(_setsubtract, 2, 2),
    "chunklist": Func(_chunklist, 2, 2, structural=True),
    "matchkeys": Func(_matchkeys, 3, 3),
    "transpose": Func(_transpose, 1, 1),
    "indent": Func(_indent, 2, 2),
    "chomp": Func(_chomp, 1, 1),
    "strrev": Func(_strrev, 1, 1),
    "strcontains": Func(lambda s, sub: _str(sub, 1) in _str(s, 0), 2, 2),
    "regex": Func(_regex, 2, 2),
    "regexall": Func(_regexall, 2, 2),
    "parseint": Func(_parseint, 2, 2),
    "log": Func(_log, 2, 2),
    "pow": Func(_pow, 2, 2),
    "signum": Func(_signum, 1, 1),
    "cidrnetmask": Func(_cidrnetmask, 1, 1),
    "cidrsubnets": Func(_cidrsubnets, 1, None),
    "csvdecode": Func(_csvdecode, 1, 1),
    "yamlencode": Func(_yamlencode, 1, 1),
    "yamldecode": Func(_yamldecode, 1, 1),
    "urlencode": Func(_urlencode, 1, 1),
    "textencodebase64": Func(_textencodebase64, 2, 2),
    "textdecodebase64": Func(_textdecodebase64, 2, 2),
    "base64gzip": Func(_b64gzip, 1, 1),
    "base64sha256": Func(_hash("sha256", True), 1, 1),
    "base64sha512": Func(_hash("sha512", True), 1, 1),
    "sha1": Func(_hash("sha1"), 1, 1),
    "sha512": Func(_hash("sha512"), 1, 1),
    "bcrypt": Func(_bcrypt, 1, 2),
    "rsadecrypt": Func(_rsadecrypt, 2, 2),
    "uuidv5": Func(_uuidv5, 2, 2),
    "plantimestamp": Func(_plantimestamp, 0, 0),
    "timeadd": Func(_timeadd, 2, 2),
    "timecmp": Func(_timecmp, 2, 2),
    "formatdate": Func(_formatdate, 2, 2),
    "issensitive": Func(lambda v: False, 1, 1, structural=True),
    "ephemeralasnull": Func(lambda v: v, 1, 1, structural=True),
    "dirname": Func(_dirname, 1, 1),
    "basename": Func(_basename, 1, 1),
    "pathexpand": Func(_pathexpand, 1, 1),
    "abspath": Func(_abspath, 1, 1),
}

# evaluated by the evaluator itself (lazy arguments, file access, templates)
SPECIAL = {"try", "can", "file", "templatefile", "templatestring", "fileexists", "fileset", "filebase64",
           "filemd5", "filesha1", "filesha256", "filesha512", "filebase64sha256", "filebase64sha512"}


def call_function(name: str, args: list) -> Any:
    """Run a (non-special) function on evaluated arguments; unknowns handled per ``structural``."""
    fn = FUNCTIONS[name]
    if fn.structural:
        if any(a is UNKNOWN for a in args):
            return UNKNOWN
    elif any(contains_unknown(a) for a in args):
        return UNKNOWN
    result = fn.impl(*args)
    if isinstance(result, SetValue):
        return result
    return result


def arity_text(name: str) -> str:
    fn = FUNCTIONS[name]
    if fn.max_args is None:
        return f"at least {fn.min_args} argument(s)"
    if fn.min_args == fn.max_args:
        return f"exactly {fn.min_args} argument(s)"
    return f"{fn.min_args} to {fn.max_args} arguments"
