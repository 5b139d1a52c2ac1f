"""Expression evaluation over our IR, and the reference list of every expression.

An ``EvalError`` carries the position of the sub-expression at fault, so diagnostics point at
the exact call, operand or traversal. Unknown values propagate: any operator, function (unless
structural), template or traversal touching UNKNOWN yields UNKNOWN; an unknown condition makes
the whole conditional unknown.
"""

from __future__ import annotations

import base64
import hashlib
import math
import os
import re
from collections.abc import Callable
from typing import Any

from planner.config import ir, limits
from planner.config.functions import FUNCTIONS, SPECIAL, FuncError, arity_text, call_function, hcl_equal
from planner.config.inputs import NOT_REPEATABLE, EvaluationInputs
from planner.config.types import (
    ConversionError,
    SetValue,
    arith,
    format_number,
    make_set,
    normalize_number,
    to_string,
    type_of,
    unify_values,
)
from planner.values import UNKNOWN, contains_unknown

_ABSENT = object()  # "no such key", distinct from every value (None included)


class EvalError(Exception):
    def __init__(self, summary: str, detail: str, line: int, col: int, hint: str = ""):
        super().__init__(f"{summary}: {detail}")
        self.summary, self.detail, self.line, self.col, self.hint = summary, detail, line, col, hint


class EmptyLookup(list):
    """An empty result list of a data source, carrying why it is empty: an index into it says which
    lookup returned nothing, with which filters, and what the region offers instead."""

    __slots__ = ("note",)

    def __init__(self, note: str):
        super().__init__()
        self.note = note


class OpenObject(dict):
    """A resource/data object whose schema is unknown to us: missing attributes are UNKNOWN."""

    __slots__ = ()


class Scope:
    """What names mean while evaluating one expression.

    ``bindings`` are local names (for-expression variables, ``count``, ``each``, dynamic
    iterators, ``self``). ``root`` resolves the global roots (var, local, data, resource types).
    """

    __slots__ = ("bindings", "root")

    def __init__(self, root: Callable[[ir.Name], Any], bindings: dict[str, Any] | None = None):
        self.root = root
        self.bindings = bindings or {}

    def child(self, extra: dict[str, Any]) -> Scope:
        b = dict(self.bindings)
        b.update(extra)
        return Scope(self.root, b)


def _num_operand(v: Any, e: ir.Expr, op: str) -> int | float:
    if isinstance(v, bool) or v is None:
        raise EvalError("Invalid operand", f"Unsuitable value for the {op} operator: a number is required, "
                        f"but a {type_of(v)} was given.", e.line, e.col)
    if isinstance(v, (int, float)):
        return v
    if isinstance(v, str):
        try:
            from planner.config.types import parse_number
            return parse_number(v)
        except ConversionError:
            pass
    raise EvalError("Invalid operand", f"Unsuitable value for the {op} operator: a number is required, "
                    f"but a {type_of(v)} was given.", e.line, e.col)


def _bool_operand(v: Any, e: ir.Expr, op: str) -> bool:
    if isinstance(v, bool):
        return v
    if v == "true" or v == "false":
        return v == "true"
    raise EvalError("Invalid operand", f"Unsuitable value for the {op} operator: a bool is required, but a "
                    f"{type_of(v)} was given.", e.line, e.col)


def template_str(v: Any, e: Any) -> str:
    if isinstance(v, str):
        return v
    if v is None:
        raise EvalError("Invalid template interpolation value", "The expression result is null; cannot "
                        "include a null value in a string template.", e.line, e.col)
    try:
        return to_string(v)
    except ConversionError:
        raise EvalError("Invalid template interpolation value", f"Cannot include a {type_of(v)} value in a "
                        "string template; only strings, numbers and bools can be interpolated.",
                        e.line, e.col, hint="use jsonencode() or join() to turn it into a string") from None


def _iterate(coll: Any, e: ir.Expr) -> list[tuple[Any, Any]]:
    if isinstance(coll, dict):
        return [(k, coll[k]) for k in sorted(coll)]
    if isinstance(coll, SetValue):
        return [(v, v) for v in coll]
    if isinstance(coll, list):
        return list(enumerate(coll))
    raise EvalError("Iteration over non-iterable value", f"A value of type {type_of(coll)} cannot be used as "
                    "the collection in a for expression.", e.line, e.col)


class Evaluator:
    """Stateless expression evaluator; ``base_dir`` anchors file()/templatefile()."""

    def __init__(self, base_dir: str = ".", budget: limits.Budget | None = None):
        self.base_dir = base_dir
        # iterations left for the whole run (shared with the evaluators of child modules)
        self.budget = budget if budget is not None else limits.Budget()
        self._template_depth = 0  # templatefile() calls being rendered (a template may not call it)
        # splat node -> (the list it last read, the result): 10,000 groups each reading
        # alicloud_instance.app[*].id of 10,000 instances would otherwise walk 10^8 elements
        self._splat_memo: dict[int, tuple[Any, list]] = {}
        # while one resource instance is evaluated: its scope, and each index key evaluated in exactly
        # that scope (id of the key node -> value); the instance's dependencies (``lb[each.key]``)
        # read them instead of evaluating every key a second time
        self.key_scope: Scope | None = None
        self.key_values: dict[int, Any] = {}
        self._compiled: dict[int, tuple[ir.Expr, Callable[[Scope], Any]]] = {}
        # while one block's instances are evaluated with scopes rooted at ``fold_root``: the values of
        # its binding-free traversals (``alicloud_instance.app``), which no instance of it can change
        self.fold: dict[int, Any] | None = None
        self.fold_root: Callable[[ir.Name], Any] | None = None
        # what the evaluation reads besides its files and variables (planner.config.inputs), when asked
        self.inputs: EvaluationInputs | None = None

    def compiled(self, e: ir.Expr) -> Callable[[Scope], Any]:
        """``e`` as a Python closure of the scope, built once per node and evaluator: the same answers
        and errors as ``ev(e, s)``, without walking the tree and dispatching on each node's type for
        every instance of a block (a 10,000-instance block evaluates each argument 10,000 times)."""
        hit = self._compiled.get(id(e))
        if hit is not None and hit[0] is e:
            return hit[1]
        try:
            fn = _compile(self, e)
        except RecursionError:  # a very deep expression: the tree walk reports its own limit
            def fn(s: Scope, e: ir.Expr = e) -> Any:
                return self.ev(e, s)
        self._compiled[id(e)] = (e, fn)  # the node is kept alive with it: its id stays its own
        return fn

    def ev(self, e: ir.Expr, s: Scope) -> Any:
        t = type(e)
        if t is ir.Lit:
            return e.value
        meth = _DISPATCH.get(t)
        if meth is None:
            raise EvalError("Unsupported expression", t.__name__, e.line, e.col)
        return meth(self, e, s)

    def _template(self, e: ir.Template, s: Scope) -> Any:
        out = self._parts(e.parts, s)
        return UNKNOWN if out is UNKNOWN else out

    def _parts(self, parts: list, s: Scope) -> Any:
        buf: list[str] = []
        unknown = False
        for p in parts:
            if isinstance(p, str):
                buf.append(p)
            elif isinstance(p, ir.TIf):
                c = self.ev(p.cond, s)
                if c is UNKNOWN:
                    unknown = True
                    continue
                sub = self._parts(p.then if _bool_operand(c, p.cond, "if directive") else p.else_, s)
                if sub is UNKNOWN:
                    unknown = True
                else:
                    buf.append(sub)
            elif isinstance(p, ir.TFor):
                coll = self.ev(p.coll, s)
                if coll is UNKNOWN:
                    unknown = True
                    continue
                pairs = _iterate(coll, p.coll)
                self._spend(len(pairs), p.coll)
                for k, v in pairs:
                    b = {p.value: v}
                    if p.key:
                        b[p.key] = k
                    sub = self._parts(p.body, s.child(b))
                    if sub is UNKNOWN:
                        unknown = True
                    else:
                        buf.append(sub)
            else:
                v = self.ev(p, s)
                if v is UNKNOWN or contains_unknown(v):
                    unknown = True
                else:
                    buf.append(template_str(v, p))
        if unknown:
            return UNKNOWN
        if len(buf) > 1 and sum(map(len, buf)) > limits.MAX_STRING_CHARS:
            at = parts[0] if parts and not isinstance(parts[0], str) else None
            raise _limit_error(limits.string_message(sum(map(len, buf))), at)
        return "".join(buf)

    def _name(self, e: ir.Name, s: Scope) -> Any:
        if e.name in s.bindings:
            return s.bindings[e.name]
        return s.root(e)

    def _getattr(self, e: ir.GetAttr, s: Scope) -> Any:
        obj = self.ev(e.obj, s)
        if type(obj) is dict:  # the common case (an object read by attribute): what get_attr answers
            v = obj.get(e.name, _ABSENT)
            if v is not _ABSENT:
                return v
        return get_attr(obj, e.name, e)

    def _index(self, e: ir.Index, s: Scope) -> Any:
        obj = self.ev(e.obj, s)
        key = self.ev(e.key, s)
        if s is self.key_scope:
            self.key_values[id(e.key)] = key
        # the common cases, answered as index_value answers them: a plain list by an in-range whole
        # number, a plain map by one of its keys
        t = type(obj)
        if t is list:
            if type(key) is int and 0 <= key < len(obj):
                return obj[key]
        elif t is dict and type(key) is str:
            v = obj.get(key, _ABSENT)
            if v is not _ABSENT:
                return v
        return index_value(obj, key, e)

    def _splat(self, e: ir.Splat, s: Scope) -> Any:
        obj = self.ev(e.obj, s)
        if obj is UNKNOWN:
            return UNKNOWN
        if obj is None:
            return []
        memo = isinstance(obj, list) and len(obj) >= 32 and all(kind == "attr" for kind, _ in e.ops)
        if memo:  # attribute-only ops do not depend on the scope: the same list gives the same result
            hit = self._splat_memo.get(id(e))
            if hit is not None and hit[0] is obj:
                return list(hit[1])
        items = list(obj) if isinstance(obj, list) else [obj]
        out = []
        for it in items:
            v = it
            for kind, arg in e.ops:
                if kind == "attr":
                    v = get_attr(v, arg, e)
                else:
                    v = index_value(v, self.ev(arg, s), e)
            out.append(v)
        if memo:
            self._splat_memo[id(e)] = (obj, out)  # one entry per node: memory stays bounded
            return list(out)
        return out

    def _call(self, e: ir.Call, s: Scope) -> Any:
        if e.name.startswith("core::"):  # Terraform's namespace for its own built-ins
            e = ir.Call(e.name[6:], e.args, e.expand, e.line, e.col)
        name = e.name
        if name in SPECIAL:
            return _checked_result(self._special(e, s), e)
        fn = FUNCTIONS.get(name)
        if fn is None:
            hint = ""
            if name.startswith("provider::"):
                hint = "provider-defined functions are not supported"
            else:
                from planner.schema.conform import suggest
                close = suggest(name, set(FUNCTIONS) | SPECIAL)
                if close:
                    raise EvalError("Call to unknown function", f'There is no function named "{name}". Did you '
                                    f'mean "{close}"?', e.line, e.col)
            raise EvalError("Call to unknown function", f'There is no function named "{name}".', e.line, e.col,
                            hint=hint or "see the list of supported functions in the README")
        return self._call_values(e, fn, [self.ev(a, s) for a in e.args])

    def _call_values(self, e: ir.Call, fn: Any, args: list, checked: frozenset[int] = frozenset()) -> Any:
        """A plain (not special) function applied to its evaluated arguments (shared with the compiled form).
        ``checked``: positions of arguments whose written-out size is known to be within the limits."""
        name = e.name
        if e.expand:
            if not args:
                raise EvalError("Invalid expanding argument", "The ... expansion needs an argument.",
                                e.line, e.col)
            last = args.pop()
            if last is UNKNOWN:
                return UNKNOWN
            if not isinstance(last, list):
                a = e.args[-1]
                raise EvalError("Invalid expanding argument value", f"The expanding argument (indicated by "
                                f"...) must be a list, set or tuple, not {type_of(last)}.", a.line, a.col)
            args.extend(last)
        if len(args) < fn.min_args:
            raise EvalError("Not enough function arguments", f'Function "{name}" expects {arity_text(name)}; '
                            f"{len(args)} given.", e.line, e.col)
        if fn.max_args is not None and len(args) > fn.max_args:
            raise EvalError("Too many function arguments", f'Function "{name}" expects {arity_text(name)}; '
                            f"{len(args)} given.", e.line, e.col)
        if name in NOT_REPEATABLE and self.inputs is not None:
            self.inputs.unrepeatable()
        why = _estimate(name, args) if name in _ESTIMATED else None
        if why is not None:
            raise _limit_error(f'the result of "{name}" is too large: {why}', e)
        if name in _DEEP_WALKERS:
            try:
                for i, a in enumerate(args):
                    if i not in checked:
                        limits.check_deep(a)
            except limits.LimitExceeded as x:
                raise _limit_error(f'an argument of "{name}" is too large: {x}', e) from None
        try:
            return _checked_result(call_function(name, args), e)
        except FuncError as fe:
            where = e.args[fe.arg] if fe.arg is not None and fe.arg < len(e.args) else e
            raise EvalError("Invalid function argument", f'Invalid value for argument of "{name}": {fe}.',
                            where.line, where.col) from None
        except (TypeError, ValueError, OverflowError, ZeroDivisionError) as x:
            raise EvalError("Error in function call", f'Call to function "{name}" failed: {x}.',
                            e.line, e.col) from None

    def _special(self, e: ir.Call, s: Scope) -> Any:
        """The functions that need the evaluator rather than values: try/can evaluate their arguments
        themselves, the file and template functions read files relative to the module."""
        name = e.name
        if name == "try":
            return self._call_try(e, s)
        if name == "can":
            return self._call_can(e, s)
        if name == "file":
            return self._call_file(e, s)
        if name in _FILE_DIGESTS or name in ("fileexists", "fileset"):
            return self._file_function(e, s)
        return self._call_template(e, s)

    def _call_try(self, e: ir.Call, s: Scope) -> Any:
        """try(a, b, ...): the first argument that evaluates without an error."""
        if not e.args:
            raise EvalError("Not enough function arguments", 'Function "try" expects at least one '
                            "argument.", e.line, e.col)
        last: EvalError | None = None
        for a in e.args:
            try:
                v = self.ev(a, s)
            except EvalError as x:
                last = x
                continue
            return v
        assert last is not None
        raise EvalError("No valid result for try()", f"All of the alternatives failed; the last one said: "
                        f"{last.detail}", e.line, e.col)

    def _call_can(self, e: ir.Call, s: Scope) -> Any:
        """can(x): whether x evaluates without an error (unknown while x is)."""
        if len(e.args) != 1:
            raise EvalError("Wrong number of function arguments", 'Function "can" expects exactly 1 '
                            "argument.", e.line, e.col)
        try:
            v = self.ev(e.args[0], s)
        except EvalError:
            return False
        return UNKNOWN if v is UNKNOWN else True

    def _call_file(self, e: ir.Call, s: Scope) -> Any:
        """file(path): the text of a file."""
        if len(e.args) != 1:
            raise EvalError("Wrong number of function arguments", 'Function "file" expects exactly 1 '
                            "argument.", e.line, e.col)
        path = self.ev(e.args[0], s)
        if path is UNKNOWN:
            return UNKNOWN
        return self._read_file(path, e)

    def _call_template(self, e: ir.Call, s: Scope) -> Any:
        """templatefile(path, vars) / templatestring(template, vars): a template rendered with only
        ``vars`` in scope."""
        name = e.name
        if self._template_depth and name == "templatefile":  # as Terraform: a template cannot include itself
            raise EvalError("Error in function call", 'Call to function "templatefile" failed: cannot '
                            "recursively call templatefile from inside templatefile call.", e.line, e.col,
                            hint="render the inner template in the configuration and pass it in as a variable")
        if len(e.args) != 2:
            raise EvalError("Wrong number of function arguments", 'Function "templatefile" expects exactly 2 '
                            "arguments.", e.line, e.col)
        path = self.ev(e.args[0], s)
        tvars = self.ev(e.args[1], s)
        if path is UNKNOWN or tvars is UNKNOWN:
            return UNKNOWN
        if not isinstance(tvars, dict):
            a = e.args[1]
            raise EvalError("Invalid function argument", f"{name}'s second argument must be an object of "
                            "template variables.", a.line, a.col)
        if name == "templatestring":
            if not isinstance(e.args[0], (ir.Name, ir.GetAttr, ir.Index)):
                a = e.args[0]
                raise EvalError("Invalid function argument", 'Invalid value for "template" parameter: invalid '
                                "template expression: templatestring is only for rendering templates retrieved "
                                "dynamically from elsewhere, and so does not support providing a literal template; "
                                "consider using a template string expression instead.", a.line, a.col)
            if not isinstance(path, str):
                a = e.args[0]
                raise EvalError("Invalid function argument", "templatestring's first argument must be a string.",
                                a.line, a.col)
            text, path = path, "string"
        else:
            text = self._read_file(path, e)
        from planner.config.hclparse import SyntaxProblem, build_template, scan_template
        try:
            tmpl = build_template(scan_template(text, 1, 1), 1, 1)
        except SyntaxProblem as p:
            raise EvalError("Invalid template file", f"{path}:{p.line}: {p.summary}: {p.detail}",
                            e.line, e.col) from None

        def no_globals(n: ir.Name) -> Any:
            raise EvalError("Invalid template variable", f'The template {path} refers to "{n.name}", which is '
                            "not among the variables passed to templatefile.", e.line, e.col)
        self._template_depth += 1
        try:
            v = self.ev(tmpl, Scope(no_globals, dict(tvars)))
        except EvalError as x:
            if x.line == e.line and x.col == e.col:
                raise
            raise EvalError(x.summary, f"in template {path} line {x.line}: {x.detail}", e.line, e.col) from None
        finally:
            self._template_depth -= 1
        return v if isinstance(v, str) or v is UNKNOWN else template_str(v, e)

    def _file_function(self, e: ir.Call, s: Scope) -> Any:
        """fileexists, fileset and the file digests: they read files, so they live beside file()."""
        name = e.name
        want = 2 if name == "fileset" else 1
        if len(e.args) != want:
            raise EvalError("Wrong number of function arguments", f'Function "{name}" expects exactly {want} '
                            f"argument{'s' if want > 1 else ''}.", e.line, e.col)
        args = [self.ev(a, s) for a in e.args]
        if any(a is UNKNOWN for a in args):
            return UNKNOWN
        for a, x in zip(args, e.args, strict=True):
            if not isinstance(a, str):
                raise EvalError("Invalid function argument", f'Invalid value for "path" parameter: a string is '
                                f"required, but a {type_of(a)} was given.", x.line, x.col)
        if name == "fileexists":
            full = self._resolve(args[0])
            if os.path.exists(full) and not os.path.isfile(full):
                raise EvalError("Invalid function argument", f'Call to function "fileexists" failed: "{args[0]}" '
                                "is not a regular file, but a directory.", e.line, e.col)
            found = os.path.isfile(full)
            if self.inputs is not None:
                self.inputs.file_exists(full, found)
            return found
        if name == "fileset":
            root = self._resolve(args[0])
            listed = _fileset(root, args[1], e)
            if self.inputs is not None:
                self.inputs.file_set(root, args[1], listed)
            return listed
        data = self._read_bytes(args[0], e)
        algo, b64 = _FILE_DIGESTS[name]
        if algo == "":
            return base64.b64encode(data).decode()
        d = hashlib.new(algo, data)
        return base64.b64encode(d.digest()).decode() if b64 else d.hexdigest()

    def _resolve(self, path: str) -> str:
        return path if os.path.isabs(path) else os.path.join(self.base_dir, path) \
            if not os.path.exists(path) else path

    def _read_file(self, path: Any, e: ir.Call) -> str:
        data = self._read_bytes(path, e)
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            raise EvalError("Invalid function argument", f'Contents of "{path}" are not valid UTF-8; use the '
                            "filebase64 function to obtain the Base64 encoded contents.", e.line, e.col) from None

    def _read_bytes(self, path: Any, e: ir.Call) -> bytes:
        if not isinstance(path, str):
            raise EvalError("Invalid function argument", "A file path must be a string.", e.line, e.col)
        full = self._resolve(path)
        _check_readable(path, full, e)
        try:
            with open(full, "rb") as f:
                data = f.read(MAX_FILE_BYTES + 1)
        except FileNotFoundError:
            raise EvalError("Invalid function argument", f'No file exists at "{path}".', e.line, e.col,
                            hint="paths are relative to the current directory; use path.module for files "
                                 "next to the configuration") from None
        except OSError as x:
            raise EvalError("Invalid function argument", f'Cannot read "{path}": {x.strerror or x}.', e.line,
                            e.col) from None
        if len(data) > MAX_FILE_BYTES:
            raise EvalError("Invalid function argument", f'"{path}" is larger than {MAX_FILE_BYTES // 2**20} MiB, '
                            "the most file() and templatefile() read.", e.line, e.col)
        if self.inputs is not None:
            self.inputs.read_file(full, data)
        return data

    def _tuple(self, e: ir.TupleExpr, s: Scope) -> Any:
        return [self.ev(x, s) for x in e.items]

    def _object(self, e: ir.ObjectExpr, s: Scope) -> Any:
        out: dict = {}
        for k, v in e.items:
            key = self.ev(k, s)
            if key is UNKNOWN:
                return UNKNOWN
            if key is None or isinstance(key, (list, dict)):
                raise EvalError("Invalid object key", f"An object key must be a string, not {type_of(key)}.",
                                k.line, k.col)
            out[template_str(key, k)] = self.ev(v, s)
        return out

    def _paren(self, e: ir.Paren, s: Scope) -> Any:
        return self.ev(e.inner, s)

    def _unary(self, e: ir.Unary, s: Scope) -> Any:
        v = self.ev(e.operand, s)
        if v is UNKNOWN:
            return UNKNOWN
        if e.op == "!":
            return not _bool_operand(v, e.operand, "!")
        return normalize_number(-_num_operand(v, e.operand, "-"))

    def _binary(self, e: ir.Binary, s: Scope) -> Any:
        op = e.op
        left = self.ev(e.left, s)
        if op in ("&&", "||"):
            # Terraform evaluates both sides; a known deciding side still needs the other to be valid
            return _logical_values(e, left, self.ev(e.right, s))
        return self._binary_values(e, left, self.ev(e.right, s))

    def _binary_values(self, e: ir.Binary, left: Any, right: Any) -> Any:
        """A non-logical binary operator applied to its evaluated operands (shared with the compiled form)."""
        op = e.op
        if type(left) is int and type(right) is int:  # whole numbers (count.index + 1): exact, as arith()
            if op == "+":
                return left + right
            if op == "-":
                return left - right
            if op == "*" and left.bit_length() + right.bit_length() <= limits.MAX_INT_BITS:
                return left * right
        if left is UNKNOWN or right is UNKNOWN:
            return UNKNOWN
        if op == "==":
            return hcl_equal(left, right)
        if op == "!=":
            return not hcl_equal(left, right)
        a, b = _num_operand(left, e.left, op), _num_operand(right, e.right, op)
        try:
            return self._arith(op, a, b, e)
        except (ValueError, ArithmeticError):  # inf - inf is decimal.InvalidOperation, not a crash
            raise EvalError("Invalid arithmetic", f"The result of {format_number(a)} {op} {format_number(b)} is "
                            "not a number.", e.line, e.col) from None

    def _arith(self, op: str, a: int | float, b: int | float, e: ir.Binary) -> Any:
        if op == "*" and isinstance(a, int) and isinstance(b, int) and \
                a.bit_length() + b.bit_length() > limits.MAX_INT_BITS:
            raise _limit_error(f"the product would have about {a.bit_length() + b.bit_length():,} bits; "
                               f"clbplan's limit is {limits.MAX_INT_BITS:,} bits", e)
        if op in ("+", "-", "*"):
            return arith(op, a, b)
        if op == "/":
            if b == 0:
                raise EvalError("Division by zero", "The right operand of / is zero.", e.right.line, e.right.col)
            return arith(op, a, b)
        if op == "%":
            if b == 0:
                return a  # Terraform's modulo by zero gives the left operand back
            if isinstance(a, int) and isinstance(b, int):
                return int(math.fmod(a, b)) if abs(a) < 2**53 and abs(b) < 2**53 else \
                    (abs(a) % abs(b)) * (1 if a >= 0 else -1)
            return normalize_number(math.fmod(a, b))
        if op == "<":
            return a < b
        if op == ">":
            return a > b
        if op == "<=":
            return a <= b
        if op == ">=":
            return a >= b
        raise EvalError("Unsupported operator", op, e.line, e.col)

    def _cond(self, e: ir.Cond, s: Scope) -> Any:
        c = self.ev(e.cond, s)
        if c is UNKNOWN:
            return UNKNOWN
        if c is None:
            raise EvalError("Null condition", "The condition value is null; conditions must be true or false.",
                            e.cond.line, e.cond.col)
        if not isinstance(c, bool) and c not in ("true", "false"):
            raise EvalError("Incorrect condition type", f"The condition expression must be of type bool, not "
                            f"{type_of(c)}.", e.cond.line, e.cond.col)
        chosen = _bool_operand(c, e.cond, "conditional")
        v = self.ev(e.then if chosen else e.else_, s)
        other_expr = e.else_ if chosen else e.then
        if v is UNKNOWN or not _cheap(other_expr):
            return v
        # Terraform gives both results one type: true ? 1 : "a" is the string "1"
        try:
            other = self.ev(other_expr, s)
        except EvalError:
            return v
        if other is UNKNOWN or contains_unknown(other):
            return v
        try:
            pair = unify_values([v, other] if chosen else [other, v])
        except ConversionError as x:
            raise EvalError("Inconsistent conditional result types", f"The true and false result expressions "
                            f"must have consistent types: {x}.", e.line, e.col) from None
        return pair[0] if chosen else pair[1]

    def _for(self, e: ir.ForExpr, s: Scope) -> Any:
        def walk(x: ir.Expr | None) -> Callable[[Scope], Any] | None:
            return None if x is None else (lambda inner: self.ev(x, inner))
        return _for_values(self, e, self.ev(e.coll, s), s, walk(e.cond), walk(e.key),
                           lambda inner: self.ev(e.value, inner))

    def _spend(self, n: int, e: Any) -> None:
        try:
            self.budget.spend(n)
        except limits.LimitExceeded as x:
            raise _limit_error(str(x), e) from None


def _logical_values(e: ir.Binary, left: Any, right: Any) -> Any:
    """``&&``/``||`` on both evaluated sides, shared by the tree walk and the compiled form."""
    op = e.op
    if left is UNKNOWN or right is UNKNOWN:
        lk = left if left is UNKNOWN else _bool_operand(left, e.left, op)
        rk = right if right is UNKNOWN else _bool_operand(right, e.right, op)
        if op == "&&" and (lk is False or rk is False):
            return False
        if op == "||" and (lk is True or rk is True):
            return True
        return UNKNOWN
    lb, rb = _bool_operand(left, e.left, op), _bool_operand(right, e.right, op)
    return (lb and rb) if op == "&&" else (lb or rb)


# ---- the compiled form -----------------------------------------------------------------------------
# Each closure mirrors the ``Evaluator`` method of its node type (same order of evaluation, same
# checks, same errors at the same positions); node types whose evaluation is rare or needs the
# evaluator's own recursion (splat, for, try/can/file/templatefile) call that method unchanged.

def _compile(ev: Evaluator, e: Any) -> Callable[[Scope], Any]:
    t = type(e)
    if t is ir.Lit:
        value = e.value

        def lit(s: Scope) -> Any:
            return value
        return lit
    if t is ir.Name:
        name = e.name

        def name_(s: Scope) -> Any:
            b = s.bindings
            if name in b:
                return b[name]
            return s.root(e)
        return name_
    if t is ir.GetAttr:
        if type(e.obj) is ir.Name or (type(e.obj) is ir.GetAttr and _attr_chain(e.obj)):
            return _compile_folded(ev, e)
        return _compile_getattr(ev, e)
    if t is ir.Index:
        return _compile_index(ev, e)
    if t is ir.Paren:
        return _compile(ev, e.inner)
    if t is ir.TupleExpr:
        items = [_compile(ev, x) for x in e.items]

        def tuple_(s: Scope) -> Any:
            return [f(s) for f in items]
        return tuple_
    if t is ir.ObjectExpr:
        return _compile_object(ev, e)
    if t is ir.Template and all(isinstance(p, (str, ir.Expr)) for p in e.parts):
        return _compile_template(ev, e)
    if t is ir.Binary:
        return _compile_binary(ev, e)
    if t is ir.Unary:
        return _compile_unary(ev, e)
    if t is ir.Cond:
        return _compile_cond(ev, e)
    if t is ir.ForExpr and (e.key is not None or not e.is_object):
        return _compile_for(ev, e)
    if t is ir.Call and not e.name.startswith("core::") and e.name not in SPECIAL and e.name in FUNCTIONS:
        fn = FUNCTIONS[e.name]
        args = [_compile(ev, a) for a in e.args]
        call_values = ev._call_values
        # arguments read once per block (folded traversals) are size-checked once per block too
        folded = [(i, ("size", id(a)), _attr_chain(a).name) for i, a in enumerate(e.args)  # type: ignore[union-attr]
                  if type(a) is ir.GetAttr and _attr_chain(a) is not None]
        if e.name in _DEEP_WALKERS and folded and not e.expand:
            def call_checked_once(s: Scope) -> Any:
                values = [f(s) for f in args]
                cache = ev.fold
                if cache is None or s.root is not ev.fold_root:
                    return call_values(e, fn, values)
                mine = [(i, key) for i, key, root in folded if root not in s.bindings]
                checked = frozenset(i for i, key in mine if cache.get(key) is values[i])
                out = call_values(e, fn, values, checked)
                for i, key in mine:  # every argument passed the checks: remember the objects checked
                    cache[key] = values[i]
                return out
            return call_checked_once

        def call(s: Scope) -> Any:
            return call_values(e, fn, [f(s) for f in args])
        return call
    meth = _DISPATCH.get(t)
    if meth is None:
        def unsupported(s: Scope) -> Any:
            raise EvalError("Unsupported expression", t.__name__, e.line, e.col)
        return unsupported

    def walk(s: Scope) -> Any:
        return meth(ev, e, s)
    return walk


def _attr_chain(e: Any) -> ir.Name | None:
    """The root name of ``name.a.b...`` (attribute steps only), else None."""
    while type(e) is ir.GetAttr:
        e = e.obj
    return e if type(e) is ir.Name else None


def _compile_folded(ev: Evaluator, e: ir.GetAttr) -> Callable[[Scope], Any]:
    """``name.a.b`` with no instance binding in it (``alicloud_instance.app``, ``local.x``): while a
    block's instances are evaluated (``Evaluator.fold`` set), the same object for every instance,
    read once per block; any other time (and when an instance binds the root name) read as written.
    An error is never kept: every instance reports its own."""
    walk = _compile_getattr(ev, e)
    root = _attr_chain(e)
    assert root is not None
    name = root.name
    key = id(e)

    def folded(s: Scope) -> Any:
        cache = ev.fold
        if cache is None or s.root is not ev.fold_root or name in s.bindings:
            return walk(s)
        v = cache.get(key, _ABSENT)
        if v is _ABSENT:
            v = cache[key] = walk(s)
        return v
    return folded


def _compile_getattr(ev: Evaluator, e: ir.GetAttr) -> Callable[[Scope], Any]:
    obj_f = _compile(ev, e.obj)
    name = e.name

    def getattr_(s: Scope) -> Any:
        obj = obj_f(s)
        if type(obj) is dict:
            v = obj.get(name, _ABSENT)
            if v is not _ABSENT:
                return v
        return get_attr(obj, name, e)
    return getattr_


def _compile_index(ev: Evaluator, e: ir.Index) -> Callable[[Scope], Any]:
    obj_f, key_f = _compile(ev, e.obj), _compile(ev, e.key)
    key_id = id(e.key)

    def index(s: Scope) -> Any:
        obj = obj_f(s)
        key = key_f(s)
        if s is ev.key_scope:
            ev.key_values[key_id] = key
        t = type(obj)
        if t is list:
            if type(key) is int and 0 <= key < len(obj):
                return obj[key]
        elif t is dict and type(key) is str:
            v = obj.get(key, _ABSENT)
            if v is not _ABSENT:
                return v
        return index_value(obj, key, e)
    return index


def _compile_object(ev: Evaluator, e: ir.ObjectExpr) -> Callable[[Scope], Any]:
    items = [(k, _compile(ev, k), _compile(ev, v)) for k, v in e.items]

    def object_(s: Scope) -> Any:
        out: dict = {}
        for k, kf, vf in items:
            key = kf(s)
            if key is UNKNOWN:
                return UNKNOWN
            if key is None or isinstance(key, (list, dict)):
                raise EvalError("Invalid object key", f"An object key must be a string, not {type_of(key)}.",
                                k.line, k.col)
            out[template_str(key, k)] = vf(s)
        return out
    return object_


def _compile_template(ev: Evaluator, e: ir.Template) -> Callable[[Scope], Any]:
    parts = e.parts
    steps = [(p, None) if isinstance(p, str) else (p, _compile(ev, p)) for p in parts]
    at = parts[0] if parts and not isinstance(parts[0], str) else None

    def template(s: Scope) -> Any:
        buf: list[str] = []
        unknown = False
        for p, f in steps:
            if f is None:
                buf.append(p)
                continue
            v = f(s)
            if type(v) is str:
                buf.append(v)
            elif v is UNKNOWN or contains_unknown(v):
                unknown = True
            else:
                buf.append(template_str(v, p))
        if unknown:
            return UNKNOWN
        if len(buf) > 1 and sum(map(len, buf)) > limits.MAX_STRING_CHARS:
            raise _limit_error(limits.string_message(sum(map(len, buf))), at)
        return "".join(buf)
    return template


def _compile_binary(ev: Evaluator, e: ir.Binary) -> Callable[[Scope], Any]:
    left_f, right_f = _compile(ev, e.left), _compile(ev, e.right)
    op = e.op
    if op in ("&&", "||"):
        def logical(s: Scope) -> Any:
            return _logical_values(e, left_f(s), right_f(s))
        return logical
    values = ev._binary_values
    if op in ("+", "-"):
        plus = op == "+"

        def additive(s: Scope) -> Any:
            left = left_f(s)
            right = right_f(s)
            if type(left) is int and type(right) is int:  # as _binary_values: exact whole numbers
                return left + right if plus else left - right
            return values(e, left, right)
        return additive
    if op == "*":
        max_bits = limits.MAX_INT_BITS

        def multiply(s: Scope) -> Any:
            left = left_f(s)
            right = right_f(s)
            if type(left) is int and type(right) is int and left.bit_length() + right.bit_length() <= max_bits:
                return left * right  # as _binary_values: exact whole numbers within the limit
            return values(e, left, right)
        return multiply

    def binary(s: Scope) -> Any:
        return values(e, left_f(s), right_f(s))
    return binary


def _compile_for(ev: Evaluator, e: ir.ForExpr) -> Callable[[Scope], Any]:
    coll_f, value_f = _compile(ev, e.coll), _compile(ev, e.value)
    key_f = _compile(ev, e.key) if e.key is not None else None
    cond_f = _compile(ev, e.cond) if e.cond is not None else None

    def for_(s: Scope) -> Any:
        return _for_values(ev, e, coll_f(s), s, cond_f, key_f, value_f)
    return for_


def _for_values(ev: Evaluator, e: ir.ForExpr, coll: Any, s: Scope, cond_f: Callable[[Scope], Any] | None,
                key_f: Callable[[Scope], Any] | None, value_f: Callable[[Scope], Any]) -> Any:
    """A for expression over its evaluated collection, shared by the tree walk and the compiled form
    (they differ only in how the filter, key and value are evaluated in each item's scope)."""
    if coll is UNKNOWN:
        return UNKNOWN
    if coll is None:
        raise EvalError("Iteration over null value", "A null value cannot be used as the collection in a "
                        "for expression.", e.coll.line, e.coll.col)
    pairs = _iterate(coll, e.coll)
    ev._spend(len(pairs), e)
    val_var, key_var, is_object, group = e.val_var, e.key_var, e.is_object, e.group
    out_list: list = []
    out_obj: dict = {}
    for k, v in pairs:
        b = {val_var: v}
        if key_var:
            b[key_var] = k
        inner = s.child(b)
        if cond_f is not None:
            c = cond_f(inner)
            if c is UNKNOWN:
                return UNKNOWN
            if not _bool_operand(c, e.cond, "for filter"):
                continue
        if is_object:
            key = key_f(inner)  # type: ignore[misc]
            if key is UNKNOWN:
                return UNKNOWN
            key = template_str(key, e.key)
            val = value_f(inner)
            if group:
                out_obj.setdefault(key, []).append(val)
            elif key in out_obj:
                raise EvalError("Duplicate object key", f'Two different items produced the key "{key}" in '
                                "this for expression.", e.key.line, e.key.col,
                                hint="add ... after the value expression to group values by key")
            else:
                out_obj[key] = val
        else:
            out_list.append(value_f(inner))
    return out_obj if is_object else out_list


def _compile_unary(ev: Evaluator, e: ir.Unary) -> Callable[[Scope], Any]:
    operand_f = _compile(ev, e.operand)
    negate = e.op == "!"

    def unary(s: Scope) -> Any:
        v = operand_f(s)
        if v is UNKNOWN:
            return UNKNOWN
        if negate:
            return not _bool_operand(v, e.operand, "!")
        return normalize_number(-_num_operand(v, e.operand, "-"))
    return unary


def _compile_cond(ev: Evaluator, e: ir.Cond) -> Callable[[Scope], Any]:
    cond_f, then_f, else_f = _compile(ev, e.cond), _compile(ev, e.then), _compile(ev, e.else_)
    then_cheap, else_cheap = _cheap(e.then), _cheap(e.else_)

    def cond(s: Scope) -> Any:
        c = cond_f(s)
        if c is UNKNOWN:
            return UNKNOWN
        if c is None:
            raise EvalError("Null condition", "The condition value is null; conditions must be true or false.",
                            e.cond.line, e.cond.col)
        if not isinstance(c, bool) and c not in ("true", "false"):
            raise EvalError("Incorrect condition type", f"The condition expression must be of type bool, not "
                            f"{type_of(c)}.", e.cond.line, e.cond.col)
        chosen = _bool_operand(c, e.cond, "conditional")
        v = (then_f if chosen else else_f)(s)
        if v is UNKNOWN or not (else_cheap if chosen else then_cheap):
            return v
        try:
            other = (else_f if chosen else then_f)(s)
        except EvalError:
            return v
        if other is UNKNOWN or contains_unknown(other):
            return v
        try:
            pair = unify_values([v, other] if chosen else [other, v])
        except ConversionError as x:
            raise EvalError("Inconsistent conditional result types", f"The true and false result expressions "
                            f"must have consistent types: {x}.", e.line, e.col) from None
        return pair[0] if chosen else pair[1]
    return cond


# functions that walk their arguments all the way down (encoders, flattening, type conversion,
# comparison): a value shared many times over ([local.a, local.a] doubled 40 times) is cheap to hold
# but would take 2^40 steps to walk, so its written-out size is checked first
_DEEP_WALKERS = frozenset({
    "flatten", "jsonencode", "yamlencode", "tolist", "toset", "tomap", "distinct", "setunion",
    "setintersection", "setsubtract", "contains", "index", "transpose", "format", "formatlist", "matchkeys",
})


_ESTIMATED = frozenset({"setproduct", "format", "formatlist", "replace", "indent", "join"})


def _estimate(name: str, args: list) -> str | None:
    """Why the result of functions that can multiply their input (setproduct, format widths, replace,
    indent, join's separator) would pass a limit, before building it; None when it would not."""
    if name == "setproduct":
        n = 1
        for a in args:
            n *= len(a) if isinstance(a, (list, SetValue)) else 1
        return limits.items_message(n) if n > limits.MAX_ITEMS else None
    if name in ("format", "formatlist") and args and isinstance(args[0], str):
        widths = [int(w) for w in re.findall(r"%[-+# 0]*(?:\[\d+\])?(\d+)", args[0])]
        widths += [int(w) for w in re.findall(r"%[-+# 0]*(?:\[\d+\])?\d*\.(\d+)", args[0])]
        if widths and max(widths) > limits.MAX_STRING_CHARS:
            return limits.string_message(f"at least {max(widths):,}")
        return None
    if name == "replace" and len(args) == 3 and all(isinstance(a, str) for a in args):
        text, sub, repl = args
        if len(repl) <= len(sub) or not text:
            return None
        if len(sub) >= 2 and sub.startswith("/") and sub.endswith("/"):
            n = (len(text) + 1) * len(repl) * (len(text) if "$" in repl else 1) + len(text)
        else:
            n = len(text) + (text.count(sub) if sub else len(text) + 1) * len(repl)
        return limits.string_message(n) if n > limits.MAX_STRING_CHARS else None
    if name == "indent" and len(args) == 2 and isinstance(args[1], str) and isinstance(args[0], (int, float)):
        n = len(args[1]) + max(0, int(args[0])) * args[1].count("\n")
        return limits.string_message(n) if n > limits.MAX_STRING_CHARS else None
    if name == "join" and len(args) >= 2 and isinstance(args[0], str):
        n = len(args[0]) * sum(len(a) for a in args[1:] if isinstance(a, (list, SetValue)))
        return limits.string_message(f"more than {n:,}") if n > limits.MAX_STRING_CHARS else None
    return None


def _limit_error(message: str, e: Any) -> EvalError:
    line, col = (getattr(e, "line", 0) or 0, getattr(e, "col", 0) or 0) if e is not None else (0, 0)
    return EvalError("Configuration limit exceeded", message[:1].upper() + message[1:] + ".", line, col,
                     hint=limits.HINT)


def _checked_result(v: Any, e: Any) -> Any:
    """A function's result within the size limits (O(1): inputs were checked, so only the top level
    can have grown past them)."""
    try:
        limits.check_shallow(v)
        limits.check_int(v)
    except limits.LimitExceeded as x:
        raise _limit_error(f'the result of "{e.name}" is too large: {x}', e) from None
    return v


MAX_FILE_BYTES = 16 * 2**20  # file()/templatefile(): no configuration file is this big
# kernel and device trees: /proc/self/environ holds the cloud keys, /dev/zero never ends
_FORBIDDEN_TREES = ("/proc", "/sys", "/dev")


def _check_readable(path: str, full: str, e: ir.Call) -> None:
    """Refuse what no configuration reads: the process's environment, kernel and devices (also
    through a symlink committed to the checkout), and anything that is not a regular file."""
    real = os.path.realpath(full)
    for tree in _FORBIDDEN_TREES:
        if real == tree or real.startswith(tree + "/"):
            raise EvalError("Invalid function argument",
                            f'Refusing to read "{path}": it resolves to {real}, under {tree}, which holds the '
                            "process's environment, kernel state or devices, never configuration (its content "
                            "would end up in plans and their reviews).", e.line, e.col,
                            hint="read a file of the configuration instead, e.g. \"${path.module}/...\"")
    if os.path.exists(real) and not os.path.isfile(real):
        raise EvalError("Invalid function argument", f'"{path}" is not a regular file.', e.line, e.col)


# file digest functions: name -> (hashlib algorithm or "" for plain base64, base64 digest?)
_FILE_DIGESTS = {"filebase64": ("", False), "filemd5": ("md5", False), "filesha1": ("sha1", False),
                 "filesha256": ("sha256", False), "filesha512": ("sha512", False),
                 "filebase64sha256": ("sha256", True), "filebase64sha512": ("sha512", True)}


def _glob_regex(pattern: str) -> re.Pattern:
    """A fileset() pattern (``*``, ``**``, ``?``, ``[...]``, ``{a,b}``) as a regular expression."""
    out, i = [], 0
    while i < len(pattern):
        c = pattern[i]
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
            continue
        if pattern.startswith("**", i):
            out.append(".*")
            i += 2
            continue
        if c == "*":
            out.append("[^/]*")
        elif c == "?":
            out.append("[^/]")
        elif c == "[":
            j = pattern.find("]", i + 1)
            if j < 0:
                raise ValueError("unterminated [ in pattern")
            body = pattern[i + 1:j]
            out.append("[" + ("^" + body[1:] if body.startswith(("!", "^")) else body) + "]")
            i = j
        elif c == "{":
            j = pattern.find("}", i + 1)
            if j < 0:
                raise ValueError("unterminated { in pattern")
            out.append("(?:" + "|".join(re.escape(x) for x in pattern[i + 1:j].split(",")) + ")")
            i = j
        elif c == "\\" and i + 1 < len(pattern):
            i += 1
            out.append(re.escape(pattern[i]))
        else:
            out.append(re.escape(c))
        i += 1
    return re.compile("".join(out) + r"\Z")


def _fileset(root: str, pattern: str, e: ir.Call) -> Any:
    try:
        rx = _glob_regex(pattern)
    except (ValueError, re.error) as x:
        raise EvalError("Invalid function argument", f'Call to function "fileset" failed: failed to glob pattern '
                        f'"{pattern}": {x}.', e.line, e.col) from None
    found = []
    for dirpath, _dirs, files in os.walk(root):
        for f in files:
            rel = os.path.relpath(os.path.join(dirpath, f), root).replace(os.sep, "/")
            if rx.match(rel):
                found.append(rel)
    return make_set(found)


def _cheap(e: Any) -> bool:
    """Whether the branch not taken may be evaluated to learn its type: a literal, a collection of
    literals or a template of literals (anything that reads names, calls or files is left alone)."""
    t = type(e)
    if t is ir.Lit:
        return True
    if t is ir.TupleExpr:
        return all(_cheap(x) for x in e.items)
    if t is ir.ObjectExpr:
        return all(_cheap(k) and _cheap(v) for k, v in e.items)
    if t is ir.Template:
        return all(isinstance(p, str) or (isinstance(p, ir.Expr) and _cheap(p)) for p in e.parts)
    if t is ir.Paren:
        return _cheap(e.inner)
    if t is ir.Unary:
        return _cheap(e.operand)
    if t is ir.Name:
        return True
    if t is ir.GetAttr:
        return _cheap(e.obj)
    if t is ir.Index:
        return _cheap(e.obj) and _cheap(e.key)
    if t is ir.Binary:
        return _cheap(e.left) and _cheap(e.right)
    return False


_DISPATCH: dict[type, Callable] = {
    ir.Template: Evaluator._template,
    ir.Name: Evaluator._name,
    ir.GetAttr: Evaluator._getattr,
    ir.Index: Evaluator._index,
    ir.Splat: Evaluator._splat,
    ir.Call: Evaluator._call,
    ir.TupleExpr: Evaluator._tuple,
    ir.ObjectExpr: Evaluator._object,
    ir.Paren: Evaluator._paren,
    ir.Unary: Evaluator._unary,
    ir.Binary: Evaluator._binary,
    ir.Cond: Evaluator._cond,
    ir.ForExpr: Evaluator._for,
}


def get_attr(obj: Any, name: str, e: Any) -> Any:
    if obj is UNKNOWN:
        return UNKNOWN
    if isinstance(obj, dict):
        if name in obj:
            return obj[name]
        if isinstance(obj, OpenObject):
            return UNKNOWN
        raise EvalError("Unsupported attribute", f'This object does not have an attribute named "{name}".',
                        e.line, e.col)
    if isinstance(obj, list):
        if name.isdigit():  # legacy a.0
            return index_value(obj, int(name), e)
        raise EvalError("Unsupported attribute", f'Cannot read attribute "{name}" of a {type_of(obj)}; it '
                        "has several elements.", e.line, e.col,
                        hint="use [N] to pick one element, or [*] to read the attribute of every element")
    if obj is None:
        raise EvalError("Attempt to get attribute from null value", f'Cannot read "{name}" of null.',
                        e.line, e.col)
    raise EvalError("Unsupported attribute", f'Cannot read attribute "{name}" of a {type_of(obj)} value.',
                    e.line, e.col)


def index_value(obj: Any, key: Any, e: Any) -> Any:
    if obj is UNKNOWN or key is UNKNOWN:
        return UNKNOWN
    if obj is None:
        raise EvalError("Attempt to index null value", "This value is null, so it has no elements.",
                        e.line, e.col)
    if isinstance(obj, dict):
        if isinstance(key, (list, dict)) or key is None:
            raise EvalError("Invalid index", f"A map key must be a string, not {type_of(key)}.", e.line, e.col)
        k = key if isinstance(key, str) else to_string(key)
        if k in obj:
            return obj[k]
        if isinstance(obj, OpenObject):
            return UNKNOWN
        raise EvalError("Invalid index", f'The given key "{k}" does not identify an element in this collection '
                        "value.", e.line, e.col)
    if isinstance(obj, SetValue):
        raise EvalError("Invalid index", "Elements of a set are identified only by their value and don't have "
                        "any separate index or key to select with.", e.line, e.col,
                        hint="convert it with tolist() first")
    if isinstance(obj, list):
        if isinstance(key, str):
            try:
                from planner.config.types import parse_number
                key = parse_number(key)
            except ConversionError:
                raise EvalError("Invalid index", f'A list index must be a number, not "{key}".',
                                e.line, e.col) from None
        if isinstance(key, bool) or not isinstance(key, (int, float)) or (isinstance(key, float)
                                                                          and not key.is_integer()):
            raise EvalError("Invalid index", f"A list index must be a whole number, not {type_of(key)}.",
                            e.line, e.col)
        i = int(key)
        if i < 0 or i >= len(obj):
            if isinstance(obj, EmptyLookup):
                raise EvalError("Invalid index", f"The given index {i} is out of range: the collection has "
                                f"0 element(s): {obj.note}", e.line, e.col,
                                hint="change the data source's filters to match what the region offers, or "
                                     "choose another region; `clbplan emulator seed` adds your own images and "
                                     "instance types to the emulator")
            raise EvalError("Invalid index", f"The given index {i} is out of range: the collection has "
                            f"{len(obj)} element(s).", e.line, e.col)
        return obj[i]
    if isinstance(obj, str):
        raise EvalError("Invalid index", "A string cannot be indexed; use substr().", e.line, e.col)
    raise EvalError("Invalid index", f"A {type_of(obj)} value cannot be indexed.", e.line, e.col)


# ---- references -----------------------------------------------------------------------------------

Ref = tuple  # ("var", n) ("local", n) ("resource", type, name, key) ("data", type, name, key) ("count",)...

NON_RESOURCE_ROOTS = {"var", "local", "data", "count", "each", "path", "terraform", "self", "module"}


def _unroll(e: ir.Expr) -> tuple[ir.Expr, list]:
    steps: list = []
    while True:
        if isinstance(e, ir.GetAttr):
            steps.append(("attr", e.name, e))
            e = e.obj
        elif isinstance(e, ir.Index):
            steps.append(("index", e.key, e))
            e = e.obj
        elif isinstance(e, ir.Splat):
            steps.append(("splat", None, e))
            e = e.obj
        else:
            break
    steps.reverse()
    return e, steps


def references(e: Any, bound: frozenset[str] = frozenset()) -> list[tuple[Ref, int, int]]:
    """Every global reference in ``e`` with its position: the dependency graph is built from these."""
    out: list[tuple[Ref, int, int]] = []
    _refs(e, bound, out)
    return out


def _refs(e: Any, bound: frozenset[str], out: list) -> None:
    t = type(e)
    if t is ir.Lit or e is None or isinstance(e, str):
        return
    if t in (ir.GetAttr, ir.Index, ir.Splat, ir.Name):
        root, steps = _unroll(e)
        for kind, arg, node in steps:
            if kind == "index":
                _refs(arg, bound, out)
            elif kind == "splat":
                for okind, oarg in node.ops:
                    if okind == "index":
                        _refs(oarg, bound, out)
        if not isinstance(root, ir.Name):
            _refs(root, bound, out)
            return
        name = root.name
        if name in bound:
            return
        names = [s[1] if s[0] == "attr" else s for s in steps]
        line, col = root.line, root.col
        if name in ("var", "local"):
            if names and isinstance(names[0], str):
                out.append(((name, names[0]), line, col))
            else:
                out.append(((name, None), line, col))
        elif name == "data":
            if len(names) >= 2 and isinstance(names[0], str) and isinstance(names[1], str):
                out.append((("data", names[0], names[1], _static_key(steps, 2)), line, col))
            else:
                out.append((("data", None, None, None), line, col))
        elif name == "module":  # ("module", call, output): either may be None (module.x, module.x[0])
            call = names[0] if names and isinstance(names[0], str) else None
            rest = names[1:] if call else []
            if rest and not isinstance(rest[0], str):
                rest = rest[1:]  # module.x[0].out: skip the instance key
            out.append((("module", call, rest[0] if rest and isinstance(rest[0], str) else None), line, col))
        elif name in ("count", "each", "path", "terraform", "self"):
            out.append(((name,), line, col))
        else:
            if names and isinstance(names[0], str):
                key = _static_key(steps, 1)
                if key is None:
                    key = _key_expr(steps, 1, bound)
                out.append((("resource", name, names[0], key), line, col))
            else:
                out.append((("resource", name, None, None), line, col))
        return
    if t is ir.Template:
        _refs_parts(e.parts, bound, out)
    elif t is ir.Call:
        for a in e.args:
            _refs(a, bound, out)
    elif t is ir.TupleExpr:
        for a in e.items:
            _refs(a, bound, out)
    elif t is ir.ObjectExpr:
        for k, v in e.items:
            _refs(k, bound, out)
            _refs(v, bound, out)
    elif t is ir.Paren:
        _refs(e.inner, bound, out)
    elif t is ir.Unary:
        _refs(e.operand, bound, out)
    elif t is ir.Binary:
        _refs(e.left, bound, out)
        _refs(e.right, bound, out)
    elif t is ir.Cond:
        _refs(e.cond, bound, out)
        _refs(e.then, bound, out)
        _refs(e.else_, bound, out)
    elif t is ir.ForExpr:
        _refs(e.coll, bound, out)
        inner = bound | {e.val_var} | ({e.key_var} if e.key_var else set())
        for x in (e.key, e.value, e.cond):
            if x is not None:
                _refs(x, inner, out)


def resource_attribute_refs(e: Any, bound: frozenset[str] = frozenset()) -> list[tuple[str, str, str | None]]:
    """(type, name, attribute) of every managed-resource reference in ``e``; attribute is None when
    the whole object is used. What the output check needs to know a schema-sensitive attribute
    (or an object holding one) is exported."""
    out: list[tuple[str, str, str | None]] = []

    def parts(ps: list, b: frozenset[str]) -> None:
        for p in ps:
            if isinstance(p, str):
                continue
            if isinstance(p, ir.TIf):
                walk(p.cond, b)
                parts(p.then, b)
                parts(p.else_, b)
            elif isinstance(p, ir.TFor):
                walk(p.coll, b)
                parts(p.body, b | {p.value} | ({p.key} if p.key else set()))
            else:
                walk(p, b)

    def walk(x: Any, b: frozenset[str]) -> None:
        t = type(x)
        if x is None or isinstance(x, str) or t is ir.Lit:
            return
        if t in (ir.GetAttr, ir.Index, ir.Splat, ir.Name):
            root, steps = _unroll(x)
            for kind, arg, node in steps:
                if kind == "index":
                    walk(arg, b)
                elif kind == "splat":
                    for okind, oarg in node.ops:
                        if okind == "index":
                            walk(oarg, b)
            if not isinstance(root, ir.Name):
                walk(root, b)
                return
            if root.name in b or root.name in NON_RESOURCE_ROOTS or not steps or steps[0][0] != "attr":
                return
            attr = None
            for kind, arg, node in steps[1:]:
                if kind == "attr":
                    attr = arg
                    break
                if kind == "splat":
                    attr = next((oarg for okind, oarg in node.ops if okind == "attr"), None)
                    break
            out.append((root.name, steps[0][1], attr))
            return
        if t is ir.Template:
            parts(x.parts, b)
        elif t is ir.Call:
            for a in x.args:
                walk(a, b)
        elif t is ir.TupleExpr:
            for a in x.items:
                walk(a, b)
        elif t is ir.ObjectExpr:
            for k, v in x.items:
                walk(k, b)
                walk(v, b)
        elif t is ir.Paren:
            walk(x.inner, b)
        elif t is ir.Unary:
            walk(x.operand, b)
        elif t is ir.Binary:
            walk(x.left, b)
            walk(x.right, b)
        elif t is ir.Cond:
            walk(x.cond, b)
            walk(x.then, b)
            walk(x.else_, b)
        elif t is ir.ForExpr:
            walk(x.coll, b)
            inner = b | {x.val_var} | ({x.key_var} if x.key_var else set())
            for y in (x.key, x.value, x.cond):
                if y is not None:
                    walk(y, inner)

    walk(e, bound)
    return out


def _refs_parts(parts: list, bound: frozenset[str], out: list) -> None:
    for p in parts:
        if isinstance(p, str):
            continue
        if isinstance(p, ir.TIf):
            _refs(p.cond, bound, out)
            _refs_parts(p.then, bound, out)
            _refs_parts(p.else_, bound, out)
        elif isinstance(p, ir.TFor):
            _refs(p.coll, bound, out)
            inner = bound | {p.value} | ({p.key} if p.key else set())
            _refs_parts(p.body, inner, out)
        else:
            _refs(p, bound, out)


def _static_key(steps: list, at: int) -> Any:
    """The instance key right after TYPE.NAME when it is a literal (``a.b[0]``, ``a.b["k"]``, ``a.b.0``)."""
    if len(steps) > at:
        kind, arg, _node = steps[at]
        if kind == "index" and isinstance(arg, ir.Lit) and isinstance(arg.value, (int, str)) \
                and not isinstance(arg.value, bool):
            return arg.value
        if kind == "attr" and isinstance(arg, str) and arg.isdigit():
            return int(arg)
    return None


class KeyExpr:
    """An instance key written as an expression (``lb[each.key]``, ``app[count.index % 3]``).

    The reference list cannot know its value; the evaluator resolves it once per instance, so that
    instance depends on the one instance it names and not on all of them (a 10,000-LB plan would
    otherwise carry 10,000 x 10,000 dependency edges). Compared by identity.
    """

    __slots__ = ("expr",)

    def __init__(self, expr: Any):
        self.expr = expr

    def __repr__(self) -> str:
        return "KeyExpr(...)"


def _key_expr(steps: list, at: int, bound: frozenset[str]) -> KeyExpr | None:
    """The index expression right after TYPE.NAME, unless it uses a name bound inside the expression
    (a ``for`` iterator): that one has no value outside it."""
    if len(steps) > at and steps[at][0] == "index" and not isinstance(steps[at][1], ir.Lit):
        arg = steps[at][1]
        if len(references(arg)) == len(references(arg, bound)):
            return KeyExpr(arg)
    return None


def calls_in(e: Any) -> set[str]:
    """Names of functions called anywhere in ``e`` (for sensitivity marks)."""
    found: set[str] = set()
    stack = [e]
    while stack:
        x = stack.pop()
        if isinstance(x, ir.Call):
            found.add(x.name)
        if isinstance(x, (ir.Expr, ir.TIf, ir.TFor)):
            for cls in type(x).__mro__:
                for sl in getattr(cls, "__slots__", ()):
                    if sl in ("line", "col"):
                        continue
                    v = getattr(x, sl, None)
                    if isinstance(v, list):
                        for it in v:
                            if isinstance(it, tuple):
                                stack.extend(it)
                            else:
                                stack.append(it)
                    elif isinstance(v, tuple):
                        stack.extend(v)
                    else:
                        stack.append(v)
    return found


__all__ = ["Evaluator", "EvalError", "Scope", "OpenObject", "references", "format_number", "calls_in"]


def fileset_now(root: str, pattern: str) -> Any:
    """``fileset`` outside an evaluation: an answer recorded by one run, asked again by the next
    (``planner.config.inputs.files_changed``)."""
    return _fileset(root, pattern, ir.Call("fileset", [], False, 0, 0))
