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

from planner.config.types import (
    BOOL,
    NUMBER,
    STRING,
    ConversionError,
    SetValue,
    convert,
    format_number,
    make_set,
    normalize_number,
    to_string,
    type_of,
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
            s = format(float(n), spec) if verb not in ("g", "G") or prec else repr(normalize_number(n))
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
        raise FuncError("offset is beyond the end of the string", 1)
    return text[off:] if ln < 0 else text[off:off + ln]


def _trim(s: Any, cutset: Any) -> str:
    return _str(s, 0).strip(_str(cutset, 1))


def _split(sep: Any, s: Any) -> list:
    sep_s, text = _str(sep, 0), _str(s, 1)
    if sep_s == "":
        return list(text)
    return text.split(sep_s)


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
    if i < 0:
        raise FuncError("cannot use element function with a negative index", 1)
    return items[i % len(items)]


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
    return sorted(_map(m))


def _values(m: Any) -> list:
    mp = _map(m)
    return [mp[k] for k in sorted(mp)]


def _toset(v: Any) -> Any:
    items = _list(v)
    if any(isinstance(x, (list, dict)) for x in items):
        return make_set(items)
    return make_set([convert(x, STRING) if not isinstance(x, str) and x is not None and x is not UNKNOWN
                     and any(isinstance(y, str) for y in items) else x for x in items])


def _tolist(v: Any) -> list:
    return list(_list(v))


def _tomap(v: Any) -> dict:
    return dict(_map(v))


def _conv(spec):
    def f(v: Any) -> Any:
        try:
            return convert(v, spec)
        except ConversionError as e:
            raise FuncError(str(e)) from None
    return f


def _contains(lst: Any, v: Any) -> bool:
    return any(hcl_equal(x, v) for x in _list(lst, 0))


def _coalesce(*args: Any) -> Any:
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
    for v in _list(lst):
        if not any(hcl_equal(v, o) for o in out):
            out.append(v)
    return out


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
    if (limit - start) / step > 1024:
        raise FuncError("more than 1024 values were generated; maximum is 1024")
    out = []
    v = start
    while (step > 0 and v < limit) or (step < 0 and v > limit):
        out.append(normalize_number(v))
        v += step
    return out


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
    return sorted(_str(v) for v in _list(lst))


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
    return normalize_number(sum(_num(v) for v in items))


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
    return json.dumps(v, separators=(",", ":"), sort_keys=True, ensure_ascii=False)


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


FUNCTIONS: dict[str, Func] = {
    "length": Func(_length, 1, 1, structural=True),
    "lookup": Func(_lookup, 2, 3, structural=True),
    "element": Func(_element, 2, 2, structural=True),
    "concat": Func(_concat, 0, None, structural=True),
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
    "ceil": Func(lambda n: math.ceil(_num(n)), 1, 1),
    "floor": Func(lambda n: math.floor(_num(n)), 1, 1),
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
}

# evaluated by the evaluator itself (lazy arguments, file access, templates)
SPECIAL = {"try", "can", "file", "templatefile"}


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
