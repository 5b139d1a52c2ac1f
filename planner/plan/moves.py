"""``moved`` and ``removed`` blocks: refactoring applied to the prior state before the diff.

Terraform's rules (``internal/refactoring``), which these follow:

- A ``moved`` block's ``from``/``to`` are static addresses relative to the module that declares
  it: a resource (``terraform_data.a``), a resource instance (``terraform_data.a[0]``,
  ``terraform_data.a["k"]``), a module call (``module.a``) or a module instance (``module.a[0]``),
  possibly under module instance steps (``module.m.terraform_data.a``). When one end names an
  instance key and the other does not, the bare one means the instance with no key; when neither
  does, the statement moves every instance, keeping its key.
- A statement in a child module applies to every instance of that module found in the state.
  Statements chain (``a -> b`` and ``b -> c`` move ``a`` to ``c``).
- A statement whose ``from`` has nothing in the state does nothing (the block stays in the
  configuration as a record of the refactoring).
- Implied moves: a resource that gained ``count`` takes its un-keyed object as ``[0]``; one that lost
  ``count`` takes ``[0]`` as its un-keyed object (never for ``for_each`` keys).
- A moved object is planned at its new address only: a no-op or an update, never delete + create.
- ``removed { from = ... lifecycle { destroy = false } }`` forgets the objects (Terraform's
  ``forget`` action): they leave the state, the cloud keeps them.

Where clbplan is stricter than Terraform, to be safer: a move onto an address that already holds
an object is an error naming the block (Terraform only warns and then plans to destroy the object
that could not move).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from planner.addresses import Key, ModulePath, ResourceAddress, module_text
from planner.config import ir
from planner.diagnostics import Diagnostic, DiagnosticsError, SourcePos

WHOLE = object()  # "every instance" in an endpoint (the block named no key and neither did the other end)

# Terraform allows these cross-type moves (the provider upgrades the object); none otherwise
CROSS_TYPE_ALLOWED = {("null_resource", "terraform_data")}


@dataclass(frozen=True)
class Endpoint:
    """One end of a ``moved``/``removed`` block, relative to the module that declares it."""

    modules: tuple[tuple[str, Any], ...]  # (call name, key | None | WHOLE)
    resource: tuple[str, str, str] | None = None  # (mode, type, name) or None for a module endpoint
    key: Any = None  # the resource's key (Key or WHOLE)

    @property
    def is_module(self) -> bool:
        return self.resource is None

    def text(self) -> str:
        def k(key: Any) -> str:
            return "" if key is None or key is WHOLE else f"[{json.dumps(key)}]"

        mods = ".".join(f"module.{n}{k(key)}" for n, key in self.modules)
        if self.resource is None:
            return mods
        mode, t, n = self.resource
        res = f"{'data.' if mode == 'data' else ''}{t}.{n}{k(self.key)}"
        return f"{mods}.{res}" if mods else res


@dataclass
class MoveStatement:
    """A ``moved`` block (or an implied move) declared in the module at static path ``module``."""

    module: tuple[str, ...]
    src: Endpoint
    dst: Endpoint
    pos: SourcePos | None
    implied: bool = False

    def text(self, prefix: ModulePath = ()) -> str:
        return f"{_abs(prefix, self.src)} to {_abs(prefix, self.dst)}"


@dataclass
class RemoveStatement:
    """A ``removed`` block: ``destroy`` False forgets the objects, True (default) destroys them."""

    module: tuple[str, ...]
    target: Endpoint
    destroy: bool
    pos: SourcePos | None


@dataclass
class MoveResult:
    """The prior state re-addressed, and what the plan shows about it."""

    state: Any
    previous: dict[ResourceAddress, ResourceAddress] = field(default_factory=dict)  # new -> old
    forget: set[ResourceAddress] = field(default_factory=set)
    targets: set[ResourceAddress] = field(default_factory=set)  # addresses objects were moved to


def _abs(prefix: ModulePath, e: Endpoint) -> str:
    p = module_text(prefix)
    return f"{p}.{e.text()}" if p else e.text()


# ---------------------------------------------------------------------------------------------
# reading the blocks

class _Bad(Exception):
    pass


def _steps(e: ir.Expr) -> list[tuple[str, Any]]:
    """A static traversal as ("attr", name) / ("index", key) steps; anything else is not an address."""
    out: list[tuple[str, Any]] = []
    while True:
        if isinstance(e, ir.Name):
            out.append(("attr", e.name))
            break
        if isinstance(e, ir.GetAttr):
            out.append(("attr", e.name))
            e = e.obj
        elif isinstance(e, ir.Index):
            k = e.key
            if isinstance(k, ir.Template) and all(isinstance(p, str) for p in k.parts):
                out.append(("index", "".join(k.parts)))
            elif isinstance(k, ir.Lit) and isinstance(k.value, (int, str)) and not isinstance(k.value, bool):
                v = k.value
                out.append(("index", int(v) if isinstance(v, float) else v))
            else:
                raise _Bad("an instance key must be a literal number or string")
            e = e.obj
        else:
            raise _Bad("expected a static address such as terraform_data.a, module.m or module.m.terraform_data.a[0]")
    out.reverse()
    return out


def parse_endpoint(e: ir.Expr) -> Endpoint:
    """``module.a[0].terraform_data.b["k"]`` -> Endpoint; raises _Bad with what is wrong."""
    steps = _steps(e)
    mods: list[tuple[str, Any]] = []
    i = 0
    while i < len(steps) and steps[i] == ("attr", "module"):
        if i + 1 >= len(steps) or steps[i + 1][0] != "attr":
            raise _Bad("module must be followed by a module call name")
        name = steps[i + 1][1]
        i += 2
        key: Any = None
        if i < len(steps) and steps[i][0] == "index":
            key = steps[i][1]
            i += 1
        mods.append((name, key))
    rest = steps[i:]
    if not rest:
        if not mods:
            raise _Bad("expected an address")
        return Endpoint(tuple(mods))
    mode = "managed"
    if rest[0] == ("attr", "data"):
        raise _Bad("data resources cannot be moved or removed: they hold no object of their own")
    if len(rest) < 2 or rest[0][0] != "attr" or rest[1][0] != "attr":
        raise _Bad("expected RESOURCE_TYPE.NAME after the module steps")
    key = None
    if len(rest) == 3 and rest[2][0] == "index":
        key = rest[2][1]
    elif len(rest) != 2:
        raise _Bad("a resource address ends after its name and optional instance key")
    return Endpoint(tuple(mods), (mode, rest[0][1], rest[1][1]), key)


def _unify(src: Endpoint, dst: Endpoint) -> tuple[Endpoint, Endpoint]:
    """Neither end keyed at its last step: both mean every instance (WHOLE). Else the bare end means
    the instance with no key (Terraform's UnifyMoveEndpoints)."""
    def last_key(e: Endpoint) -> Any:
        return e.modules[-1][1] if e.is_module else e.key

    if last_key(src) is None and last_key(dst) is None:
        def whole(e: Endpoint) -> Endpoint:
            if e.is_module:
                return Endpoint((*e.modules[:-1], (e.modules[-1][0], WHOLE)))
            return Endpoint(e.modules, e.resource, WHOLE)
        return whole(src), whole(dst)
    return src, dst


def _walk(module: Any) -> Iterable[Any]:
    yield module
    for child in getattr(module, "children", {}).values():
        yield from _walk(child)


def _pos(b: ir.Block, a: ir.Attr | None = None) -> SourcePos:
    return SourcePos(b.filename, a.line if a is not None else b.line, a.col if a is not None else b.col)


def _resolve_module(module: Any, steps: Iterable[str]) -> Any | None:
    for name in steps:
        module = getattr(module, "children", {}).get(name)
        if module is None:
            return None
    return module


def _declared_at(module: Any, e: Endpoint) -> SourcePos | None:
    """Where the configuration still declares ``e`` as a whole resource or module call, else None."""
    if e.is_module:
        parent = _resolve_module(module, [n for n, _k in e.modules[:-1]])
        b = getattr(parent, "calls", {}).get(e.modules[-1][0]) if parent is not None else None
    else:
        owner = _resolve_module(module, [n for n, _k in e.modules])
        mode, t, n = e.resource  # type: ignore[misc]
        b = getattr(owner, "resources", {}).get((t, n)) if owner is not None else None
    return _pos(b) if b is not None else None


def read_statements(root: Any) -> tuple[list[MoveStatement], list[RemoveStatement]]:
    """Every ``moved``/``removed`` block of the module tree, checked; bad blocks are one located error each."""
    moves: list[MoveStatement] = []
    removes: list[RemoveStatement] = []
    problems: list[Diagnostic] = []
    for module in _walk(root):
        path = tuple(getattr(module, "path", ()))
        for b in getattr(module, "moved", []):
            move = _read_moved(module, path, b, problems)
            if move is not None:
                moves.append(move)
        for b in getattr(module, "removed", []):
            remove = _read_removed(module, path, b, problems)
            if remove is not None:
                removes.append(remove)
    if problems:
        raise DiagnosticsError(problems)
    return moves, removes


def _read_moved(module: Any, path: tuple[str, ...], b: Any, problems: list[Diagnostic]) -> MoveStatement | None:
    """One ``moved`` block as a statement, or None with its problems appended."""
    ends = {}
    for name in ("from", "to"):
        a = b.body.attr(name)
        if a is None:
            problems.append(Diagnostic(f'Missing required argument "{name}" in moved block', _pos(b),
                                       hint='a moved block needs both from = OLD_ADDRESS and to = NEW_ADDRESS'))
            continue
        try:
            ends[name] = parse_endpoint(a.expr)
        except _Bad as x:
            problems.append(Diagnostic(f'Invalid address in moved block "{name}"', _pos(b, a), detail=str(x),
                                       hint="write the address without quotes, e.g. from = terraform_data.old"))
    if len(ends) != 2:
        return None
    src, dst = _unify(ends["from"], ends["to"])
    at = _pos(b, b.body.attr("from"))
    problem = _invalid_move(module, src, dst, at)
    if problem is not None:
        problems.append(problem)
        return None
    return MoveStatement(path, src, dst, at)


def _invalid_move(module: Any, src: Endpoint, dst: Endpoint, at: SourcePos) -> Diagnostic | None:
    """Why a move from ``src`` to ``dst`` (both parsed) cannot be, or None when it can."""
    if src.is_module != dst.is_module:
        return Diagnostic(
            "Invalid moved block", at,
            detail=f"This statement declares a move from {src.text()} to {dst.text()}: one is a module "
                   "and the other a resource.",
            hint="move a module to a module (module.old -> module.new) or a resource to a resource")
    if not src.is_module and src.resource[1] != dst.resource[1] \
            and (src.resource[1], dst.resource[1]) not in CROSS_TYPE_ALLOWED:  # type: ignore[index]
        return Diagnostic(
            "Resource type mismatch", at,
            detail=f"This statement declares a move from {src.text()} to {dst.text()}, which is a "
                   "resource of a different type.",
            hint="a moved block keeps the resource type; to change type, remove the old resource "
                 "(removed block or `clbplan state rm`) and import the object under the new type")
    if src == dst or (src.text() == dst.text()):
        return Diagnostic("Redundant moved block", at,
                          detail=f"This statement moves {src.text()} to itself.",
                          hint="delete the block, or correct its from/to")
    whole_src = src.is_module and src.modules[-1][1] is WHOLE or (not src.is_module and src.key is WHOLE)
    if whole_src:
        still = _declared_at(module, src)
        if still is not None:
            return Diagnostic(
                "Moved object still exists", at,
                detail=f"This statement declares a move from {src.text()}, but that "
                       f"{'module call' if src.is_module else 'resource'} is still declared at {still}.",
                hint="change your configuration so that this address is declared only once: delete or "
                     "rename the old block")
    return None


def _read_removed(module: Any, path: tuple[str, ...], b: Any, problems: list[Diagnostic]
                  ) -> RemoveStatement | None:
    """One ``removed`` block as a statement (for the whole resource or module call), or None with its
    problems appended."""
    a = b.body.attr("from")
    if a is None:
        problems.append(Diagnostic('Missing required argument "from" in removed block', _pos(b),
                                   hint="removed { from = terraform_data.old  lifecycle { destroy = false } }"))
        return None
    try:
        e = parse_endpoint(a.expr)
    except _Bad as x:
        problems.append(Diagnostic('Invalid address in removed block "from"', _pos(b, a), detail=str(x),
                                   hint="write the address without quotes, e.g. from = terraform_data.old"))
        return None
    last = e.modules[-1][1] if e.is_module else e.key
    if last is not None or any(k is not None for _n, k in e.modules):
        problems.append(Diagnostic(
            "Resource instance keys not allowed", _pos(b, a),
            detail="A removed block names a whole resource or module call: every instance is removed.",
            hint=f"write from = {Endpoint(tuple((n, None) for n, _k in e.modules), e.resource).text()}"))
        return None
    still = _declared_at(module, e)
    if still is not None:
        kind = "module" if e.is_module else "resource"
        problems.append(Diagnostic(
            f"Removed {kind} still exists", _pos(b, a),
            detail=f"This statement declares that {e.text()} was removed, but it is still declared at "
                   f"{still}.",
            hint="delete the old block from the configuration, or delete this removed block"))
        return None
    destroy = _removed_destroy(b, problems)
    whole = (Endpoint((*e.modules[:-1], (e.modules[-1][0], WHOLE))) if e.is_module
             else Endpoint(e.modules, e.resource, WHOLE))
    return RemoveStatement(path, whole, destroy, _pos(b, a))


def _removed_destroy(b: Any, problems: list[Diagnostic]) -> bool:
    """A removed block's ``lifecycle { destroy = ... }`` (true when absent); a non-literal is a problem."""
    destroy = True
    for lc in b.body.blocks_of("lifecycle"):
        d = lc.body.attr("destroy")
        if d is None:
            continue
        if isinstance(d.expr, ir.Lit) and isinstance(d.expr.value, bool):
            destroy = d.expr.value
        else:
            problems.append(Diagnostic('Invalid "destroy" value', _pos(lc, d),
                                       detail="destroy must be the literal true or false",
                                       hint="lifecycle { destroy = false }"))
    return destroy


# ---------------------------------------------------------------------------------------------
# matching and applying

def _key_match(pattern: Any, key: Key) -> bool:
    return pattern is WHOLE or pattern == key


def _rel(module_path: tuple[str, ...], addr: ResourceAddress) -> tuple[ModulePath, ModulePath] | None:
    """(prefix instance path, the rest) when ``addr`` lives under an instance of the static module path."""
    n = len(module_path)
    if len(addr.module) < n or tuple(name for name, _k in addr.module[:n]) != module_path:
        return None
    return addr.module[:n], addr.module[n:]


def _apply_one(s: MoveStatement, addr: ResourceAddress) -> ResourceAddress | None:
    """Where statement ``s`` moves ``addr``, or None when it does not apply."""
    split = _rel(s.module, addr)
    if split is None:
        return None
    prefix, rest = split
    src, dst = s.src, s.dst
    if src.is_module:
        n = len(src.modules)
        if len(rest) < n or tuple(rest[: n - 1]) != src.modules[:-1]:
            return None
        name, key = rest[n - 1]
        if name != src.modules[-1][0] or not _key_match(src.modules[-1][1], key):
            return None
        last_name, last_key = dst.modules[-1]
        new_mod = (*prefix, *dst.modules[:-1], (last_name, key if last_key is WHOLE else last_key), *rest[n:])
        return ResourceAddress(addr.type, addr.name, addr.key, addr.mode, tuple(new_mod))
    if tuple(rest) != src.modules or (addr.mode, addr.type, addr.name) != src.resource \
            or not _key_match(src.key, addr.key):
        return None
    mode, t, n2 = dst.resource  # type: ignore[misc]
    key = addr.key if dst.key is WHOLE else dst.key
    return ResourceAddress(t, n2, key, mode, (*prefix, *dst.modules))


def _removed_match(r: RemoveStatement, addr: ResourceAddress) -> bool:
    split = _rel(r.module, addr)
    if split is None:
        return False
    _prefix, rest = split
    e = r.target
    if e.is_module:
        n = len(e.modules)
        return len(rest) >= n and tuple(nm for nm, _k in rest[:n]) == tuple(nm for nm, _k in e.modules)
    return tuple(nm for nm, _k in rest) == tuple(nm for nm, _k in e.modules) \
        and (addr.mode, addr.type, addr.name) == e.resource


def _implied(root: Any, addr: ResourceAddress, taken: set[ResourceAddress]) -> ResourceAddress | None:
    """Terraform's implied moves between an un-keyed object and ``[0]`` when ``count`` was added or removed."""
    if addr.mode != "managed" or addr.key not in (None, 0):
        return None
    owner = _resolve_module(root, [n for n, _k in addr.module])
    b = getattr(owner, "resources", {}).get((addr.type, addr.name)) if owner is not None else None
    if b is None:
        return None
    has_count = b.body.attr("count") is not None
    has_each = b.body.attr("for_each") is not None
    if addr.key is None and has_count:
        new = addr.with_key(0)
    elif addr.key == 0 and not has_count and not has_each:
        new = addr.with_key(None)
    else:
        return None
    return None if new in taken else new


def apply_moves(state: Any, root: Any) -> MoveResult:
    """The prior state with every ``moved`` block (and implied move) applied, and the objects
    ``removed { lifecycle { destroy = false } }`` forgets. The input state is not changed."""

    moves, removes = read_statements(root)
    if not state.resources:
        return MoveResult(state)
    if not moves:
        if not removes and not any(_implied(root, a, state.resources.keys()) is not None
                                   for a in state.resources if a.key is None or a.key == 0):
            # every object stays where it is (the common plan): the same objects in a new state, without
            # working out each one's target (0.9 s at 10,000 LBs, then 0.5 s sorted by address text)
            same = state.without_resources()
            same.resources = dict(state.resources)
            return MoveResult(same)
        # no moved block: no target can be taken twice, and the order below is the address text's
        owners: dict[ResourceAddress, ResourceAddress] = {a: a for a in sorted(state.resources, key=str)}
    else:
        owners = _explicit_moves(state, moves)
    return _moved_state(state, root, owners, removes)


def _explicit_moves(state: Any, moves: list[MoveStatement]) -> dict[ResourceAddress, ResourceAddress]:
    """new -> old for every object of ``state`` after the ``moved`` blocks; raises DiagnosticsError
    when two objects would end at one address."""
    final: dict[ResourceAddress, ResourceAddress] = {}  # old -> new
    via: dict[ResourceAddress, MoveStatement] = {}
    for addr in state.resources:
        cur, used = addr, set()
        if addr.mode == "managed":
            while True:
                for i, s in enumerate(moves):
                    if i in used:
                        continue
                    nxt = _apply_one(s, cur)
                    if nxt is not None:
                        used.add(i)
                        via[addr] = s
                        cur = nxt
                        break
                else:
                    break
        final[addr] = cur
    problems: list[Diagnostic] = []
    owners: dict[ResourceAddress, ResourceAddress] = {}
    for old, new in sorted(final.items(), key=lambda kv: (kv[0] != kv[1], str(kv[0]))):
        other = owners.get(new)
        if other is not None:
            s = via.get(old) or via.get(other)
            problems.append(Diagnostic(
                "Moved object target already exists", s.pos if s else None,
                detail=f"This statement moves {old} to {new}, but {new} already holds an object in the state "
                       f"({other if other != new else 'the object already there'}). clbplan does not destroy "
                       "either object to make room.",
                hint=f"decide which object {new} should be: `clbplan state rm {new}` (it stays in the cloud) or "
                     f"`clbplan state mv` one of them elsewhere, then plan again"))
            continue
        owners[new] = old
    if problems:
        raise DiagnosticsError(problems)
    return owners


def _moved_state(state: Any, root: Any, owners: dict[ResourceAddress, ResourceAddress],
                 removes: list) -> MoveResult:
    """The state with each object at its new address (``owners``: new -> old), implied moves applied,
    and the objects ``removed`` blocks forget."""
    from planner.state.model import ResourceState

    taken = set(owners)
    for new, old in list(owners.items()):
        if old != new:
            continue  # explicitly moved objects are not moved again implicitly
        nxt = _implied(root, new, taken)
        if nxt is not None:
            taken.discard(new)
            taken.add(nxt)
            del owners[new]
            owners[nxt] = old
    moved = state.without_resources()
    result = MoveResult(moved)
    renamed = {old: new for new, old in owners.items()}
    moving = any(new != old for new, old in owners.items())  # not in a plan without moved blocks
    for new, old in owners.items():
        rs = state.resources[old]
        if not moving:
            pass  # every dependency stays where it is
        elif new != old:
            result.previous[new] = old
            result.targets.add(new)
            rs = ResourceState(new, rs.id, rs.attributes, rs.provider,
                               [_rename_dep(d, renamed) for d in rs.dependencies], set(rs.sensitive))
        elif any(_rename_dep(d, renamed) != d for d in rs.dependencies):
            rs = ResourceState(old, rs.id, rs.attributes, rs.provider,
                               [_rename_dep(d, renamed) for d in rs.dependencies], set(rs.sensitive))
        moved.resources[new] = rs
    if removes:
        for addr in moved.resources:
            if any(not r.destroy and _removed_match(r, addr) for r in removes):
                result.forget.add(addr)
    return result


def _rename_dep(dep: ResourceAddress, renamed: dict[ResourceAddress, ResourceAddress]) -> ResourceAddress:
    """A recorded dependency follows its object (an unkeyed dependency follows its resource)."""
    if dep in renamed:
        return renamed[dep]
    for old, new in renamed.items():
        if old.resource == dep and dep.key is None:
            return new.resource
    return dep


def check_instance_moves(root: Any, config: Any) -> None:
    """After evaluation: a ``moved`` block whose ``from`` instance is still in the configuration is an
    error (the whole-resource case is caught statically in ``read_statements``)."""
    moves, _ = read_statements(root)
    problems = []
    for s in moves:
        if s.src.is_module or s.src.key is WHOLE:
            continue
        for addr in config.resources:
            split = _rel(s.module, addr)
            if split is None:
                continue
            _prefix, rest = split
            if tuple(rest) == s.src.modules and (addr.mode, addr.type, addr.name) == s.src.resource \
                    and addr.key == s.src.key:
                problems.append(Diagnostic(
                    "Moved object still exists", s.pos,
                    detail=f"This statement declares a move from {addr}, but that resource instance is still "
                           "declared in the configuration.",
                    hint="change count/for_each so the old instance key is no longer declared, or delete this "
                         "moved block"))
                break
    if problems:
        raise DiagnosticsError(problems)
