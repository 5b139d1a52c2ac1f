"""Terraform's ``expressions`` objects for the JSON plan's ``configuration`` (jsonconfig/expression.go).

Tools such as checkov's connection checks and OPA policies do not evaluate HCL: they read, for each
argument, either ``{"constant_value": v}`` (the expression has no references and no function call)
or ``{"references": [...]}``, every reference listed with each significant prefix, longest first
(``alicloud_slb_load_balancer.lb.id``, then ``alicloud_slb_load_balancer.lb``; an indexed resource
also without its key). Nested blocks become arrays of such objects (every block of the alicloud and
utility schemas nests as a list or set); ``dynamic`` blocks and meta-arguments are left out, as
Terraform leaves them out.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from planner.config import ir

_NO_VALUE = object()
#: resource/module arguments Terraform does not list under ``expressions``
META = {"count", "for_each", "provider", "providers", "depends_on", "lifecycle", "provisioner", "connection",
        "dynamic", "source", "version"}
#: provider arguments whose constant value is a credential: listed without the value
SECRET_PROVIDER_ARGS = {"access_key", "secret_key", "security_token", "password", "token"}


def _num(v: Any) -> Any:
    if isinstance(v, Decimal):
        return int(v) if v == v.to_integral_value() else float(v)
    return v


def constant_value(e: Any) -> Any:
    """The value of an expression with no references and no calls, or ``_NO_VALUE``."""
    t = type(e)
    if t is ir.Lit:
        return _num(e.value)
    if t is ir.Template:
        return "".join(e.parts) if all(isinstance(p, str) for p in e.parts) else _NO_VALUE
    if t is ir.Paren:
        return constant_value(e.inner)
    if t is ir.TupleExpr:
        items = [constant_value(i) for i in e.items]
        return _NO_VALUE if any(i is _NO_VALUE for i in items) else items
    if t is ir.ObjectExpr:
        out = {}
        for k, v in e.items:
            key, value = constant_value(k), constant_value(v)
            if key is _NO_VALUE or value is _NO_VALUE or not isinstance(key, str | int | float | bool):
                return _NO_VALUE
            out[key if isinstance(key, str) else json.dumps(key)] = value
        return out
    if t is ir.Unary:
        v = constant_value(e.operand)
        if e.op == "-" and isinstance(v, int | float) and not isinstance(v, bool):
            return -v
        if e.op == "!" and isinstance(v, bool):
            return not v
    return _NO_VALUE


def _key_text(key: Any) -> str | None:
    """``["k"]`` / ``[0]`` for a static index key; None for a dynamic one (the traversal stops there)."""
    v = constant_value(key)
    if isinstance(v, bool) or v is _NO_VALUE:
        return None
    if isinstance(v, str):
        return "[" + json.dumps(v, ensure_ascii=False) + "]"
    if isinstance(v, int | float):
        return f"[{int(v) if float(v).is_integer() else v}]"
    return None


def _join(root: str, steps: list[str]) -> str:
    return root + "".join(s if s.startswith("[") else "." + s for s in steps)


def _traversal_refs(root: str, steps: list[str]) -> list[str]:
    """One reference as Terraform lists it (addrs.ParseRef's subject plus the remaining steps): the
    full traversal, each shorter prefix down to the subject, then the subject without its instance
    key (an indexed resource or module call) or, for a module output, the call."""
    def keyed(i: int) -> bool:
        return len(steps) > i and steps[i].startswith("[")

    extra: str | None = None
    if root in ("var", "local", "each", "count", "path", "terraform"):
        n = 1
    elif root == "self":
        n = 0
    elif root == "data":
        n = 3 if keyed(2) else 2
        if n == 3:
            extra = _join(root, steps[:2])
    elif root == "module":
        n = 2 if keyed(1) else 1
        if n == 2:
            extra = _join(root, steps[:1])
        if len(steps) > n and not keyed(n):
            extra = _join(root, steps[:n])  # an output: then its call (with its key)
            n += 1
    else:
        n = 2 if keyed(1) else 1
        if n == 2:
            extra = _join(root, steps[:1])
    if len(steps) < n:
        return [_join(root, steps)]
    out = [_join(root, steps[:k]) for k in range(len(steps), n, -1)]
    out.append(_join(root, steps[:n]))
    if extra:
        out.append(extra)
    return out


def references(e: Any, bound: frozenset[str] = frozenset()) -> list[str]:
    """Terraform's ``references`` list for one expression, in the order hclsyntax walks it."""
    out: list[str] = []
    _walk(e, bound, out)
    return out


def _walk(e: Any, bound: frozenset[str], out: list[str]) -> None:
    t = type(e)
    if e is None or t is ir.Lit or isinstance(e, str):
        return
    if t in (ir.Name, ir.GetAttr, ir.Index, ir.Splat):
        _walk_traversal(e, bound, out)
    elif t is ir.Template:
        _walk_parts(e.parts, bound, out)
    elif t is ir.Call:
        for a in e.args:
            _walk(a, bound, out)
    elif t is ir.TupleExpr:
        for a in e.items:
            _walk(a, bound, out)
    elif t is ir.ObjectExpr:
        for k, v in e.items:
            if not isinstance(k, ir.Name):  # a bare key is a name, not a reference
                _walk(k, bound, out)
            _walk(v, bound, out)
    elif t is ir.Paren:
        _walk(e.inner, bound, out)
    elif t is ir.Unary:
        _walk(e.operand, bound, out)
    elif t is ir.Binary:
        _walk(e.left, bound, out)
        _walk(e.right, bound, out)
    elif t is ir.Cond:
        _walk(e.cond, bound, out)
        _walk(e.then, bound, out)
        _walk(e.else_, bound, out)
    elif t is ir.ForExpr:
        _walk(e.coll, bound, out)
        inner = bound | {n for n in (e.key_var, e.val_var) if n}
        for part in (e.key, e.value, e.cond):
            _walk(part, inner, out)


def _walk_parts(parts: list, bound: frozenset[str], out: list[str]) -> None:
    for p in parts:
        if isinstance(p, str):
            continue
        if isinstance(p, ir.TIf):
            _walk(p.cond, bound, out)
            _walk_parts(p.then, bound, out)
            _walk_parts(p.else_, bound, out)
        elif isinstance(p, ir.TFor):
            _walk(p.coll, bound, out)
            _walk_parts(p.body, bound | {n for n in (p.key, p.value) if n}, out)
        else:
            _walk(getattr(p, "expr", p), bound, out)


def _walk_traversal(e: Any, bound: frozenset[str], out: list[str]) -> None:
    # unroll to the root; a splat or a dynamic index ends the static traversal
    chain: list[tuple[str, Any]] = []
    node = e
    while True:
        if isinstance(node, ir.GetAttr):
            chain.append(("attr", node.name))
            node = node.obj
        elif isinstance(node, ir.Index):
            chain.append(("index", node.key))
            node = node.obj
        elif isinstance(node, ir.Splat):
            chain.append(("splat", node))
            node = node.obj
        else:
            break
    chain.reverse()
    if not isinstance(node, ir.Name):
        _walk(node, bound, out)
        for kind, arg in chain:
            _walk_step(kind, arg, bound, out)
        return
    steps: list[str] = []
    rest = chain
    for i, (kind, arg) in enumerate(chain):
        text = arg if kind == "attr" else _key_text(arg) if kind == "index" else None
        if text is None:
            rest = chain[i:]
            break
        steps.append(text)
    else:
        rest = []
    if node.name not in bound:
        out.extend(_traversal_refs(node.name, steps))
    for kind, arg in rest:
        _walk_step(kind, arg, bound, out)


def _walk_step(kind: str, arg: Any, bound: frozenset[str], out: list[str]) -> None:
    if kind == "index":
        _walk(arg, bound, out)
    elif kind == "splat":
        for okind, oarg in arg.ops:
            if okind == "index":
                _walk(oarg, bound, out)


def expression_json(e: Any, *, secret: bool = False) -> dict:
    """``{"constant_value": v}``, ``{"references": [...]}`` or ``{}`` (a call with no references)."""
    out: dict[str, Any] = {}
    value = constant_value(e)
    if value is not _NO_VALUE and not secret:
        out["constant_value"] = value
    refs = references(e)
    if refs:
        out["references"] = refs
    return out


def body_expressions(body: ir.Body, schema_block: Any = None, *, secret_args: set[str] = frozenset()) -> dict:
    """Terraform's ``expressions`` object of one block body: arguments, then nested blocks as lists."""
    attrs = getattr(schema_block, "attributes", None)
    blocks = getattr(schema_block, "blocks", None)
    out: dict[str, Any] = {}
    for a in body.attributes:
        if a.name in META or (attrs is not None and a.name not in attrs and not (blocks and a.name in blocks)):
            continue
        out[a.name] = expression_json(a.expr, secret=a.name in secret_args)
    for b in body.blocks:
        if b.type in META:
            continue
        if blocks is not None and b.type not in blocks:
            continue
        sub = blocks.get(b.type) if blocks else None
        out.setdefault(b.type, []).append(body_expressions(b.body, sub))
    return out
