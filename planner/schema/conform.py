"""Make one evaluated resource instance fit its schema, in place, and say what is wrong.

Terraform does the same in two places (core's type conversion, then the provider's
ValidateFunc/ConflictsWith/defaults); we do it in one pass so every finding of one instance is
reported together, each located at the attribute the user wrote.
"""

from __future__ import annotations

import copy
import re
from typing import TYPE_CHECKING, Any

from planner.diagnostics import Diagnostic, SourcePos
from planner.schema._checks import pos_for
from planner.schema.base import Attribute, BlockType
from planner.schema.registry import DEPRECATED_TYPES, TIMEOUTS, get_schema, type_names
from planner.values import UNKNOWN, contains_unknown

if TYPE_CHECKING:
    from planner.config.model import ResourceInstance

Path = tuple[str | int, ...]


def label(path: Path) -> str:
    """``("servers", 0, "weight")`` -> ``servers[0].weight``, the way users read it."""
    out = ""
    for p in path:
        if isinstance(p, int):
            out += f"[{p}]"
        else:
            out += f".{p}" if out else p
    return out


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance (insertions, deletions, substitutions), as Terraform's suggestions use."""
    if len(a) < len(b):
        a, b = b, a
    row = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        prev, row[0] = row[0], i
        for j, cb in enumerate(b, start=1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (ca != cb))
    return row[-1]


def suggest(word: str, candidates: list[str] | set[str]) -> str | None:
    """The closest candidate when it is a likely typo: Terraform suggests a name only when its
    edit distance is below 3 (``alicloud_slb_listner`` -> ``alicloud_slb_listener``), never an
    unrelated name merely sharing a prefix (``alicloud_nas_file_system``)."""
    best: tuple[int, str] | None = None
    for c in sorted(candidates):
        if abs(len(c) - len(word)) >= 3:
            continue
        d = edit_distance(word, c)
        if d < 3 and (best is None or d < best[0]):
            best = (d, c)
    return best[1] if best else None


def describe(v: Any) -> str:
    if isinstance(v, bool):
        return f"the bool {str(v).lower()}"
    if isinstance(v, (int, float)):
        return f"the number {v}"
    if isinstance(v, str):
        return f'the string "{v}"'
    if isinstance(v, dict):
        return "an object"
    if isinstance(v, (list, tuple, set)):
        return "a list"
    return "null" if v is None else type(v).__name__


# ------------------------------------------------------------------------------- conversion

def _fmt_number(v: int | float) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def convert(value: Any, type_name: str) -> tuple[Any, str | None]:
    """HCL's implicit conversions; returns (new value, error sentence or None)."""
    if value is UNKNOWN or value is None:
        return value, None
    if type_name == "string":
        if isinstance(value, bool):
            return ("true" if value else "false"), None
        if isinstance(value, (int, float)):
            return _fmt_number(value), None
        if isinstance(value, str):
            return value, None
        return value, f"a string is required, got {describe(value)}"
    if type_name == "number":
        # every number in these schemas is a provider TypeInt: whole numbers only
        if isinstance(value, bool):
            return value, f"a number is required, got {describe(value)}"
        if isinstance(value, int):
            return value, None
        if isinstance(value, float):
            if value.is_integer():
                return int(value), None
            return value, f"a whole number is required, got {value}"
        if isinstance(value, str):
            text = value.strip()
            try:
                return int(text), None
            except ValueError:
                pass
            try:
                f = float(text)
            except ValueError:
                return value, f"a number is required, got {describe(value)}"
            if f.is_integer():
                return int(f), None
            return value, f"a whole number is required, got {describe(value)}"
        return value, f"a number is required, got {describe(value)}"
    if type_name == "bool":
        if isinstance(value, bool):
            return value, None
        if isinstance(value, str) and value in ("true", "false"):
            return value == "true", None
        return value, f"a bool (true or false) is required, got {describe(value)}"
    for kind in ("list", "set"):
        if type_name.startswith(kind + "("):
            inner = type_name[len(kind) + 1:-1]
            if not isinstance(value, (list, tuple, set, frozenset)):
                return value, f"a {type_name} is required, got {describe(value)}"
            out = []
            for i, item in enumerate(value):
                nv, err = convert(item, inner)
                if err:
                    return value, f"element {i}: {err}"
                out.append(nv)
            if kind == "set":
                seen: list = []
                for item in out:
                    if item is UNKNOWN or item not in seen:
                        seen.append(item)
                out = seen
                if not any(i is UNKNOWN for i in out):
                    out = sorted(out, key=lambda x: (str(type(x)), x))
            return out, None
    if type_name.startswith("map("):
        inner = type_name[4:-1]
        if not isinstance(value, dict):
            return value, f"a {type_name} is required, got {describe(value)}"
        outm = {}
        for k, item in value.items():
            nv, err = convert(item, inner)
            if err:
                return value, f'element "{k}": {err}'
            outm[str(k)] = nv
        return outm, None
    return value, None


# ------------------------------------------------------------------------------- checking

class _Ctx:
    def __init__(self, inst: ResourceInstance):
        self.inst = inst
        self.diags: list[Diagnostic] = []

    def secret(self, a: Attribute, path: Path) -> bool:
        """Never echo a sensitive value (a private key, a password) into a diagnostic."""
        return a.sensitive or (bool(path) and path[0] in self.inst.sensitive)

    def pos(self, path: Path) -> SourcePos:
        return pos_for(self.inst, path)

    def error(self, summary: str, path: Path, hint: str = "", detail: str = "") -> None:
        self.diags.append(Diagnostic(f"{self.inst.address}: {summary}", self.pos(path), detail, hint, "error"))

    def warn(self, summary: str, path: Path, hint: str = "") -> None:
        self.diags.append(Diagnostic(f"{self.inst.address}: {summary}", self.pos(path), "", hint, "warning"))


def _range_text(ranges: tuple[tuple[int | float, int | float], ...]) -> str:
    if len(ranges) == 1 and ranges[0][0] != ranges[0][1]:
        return f"between {ranges[0][0]} and {ranges[0][1]}"
    parts = [f"{lo}" if lo == hi else f"{lo} to {hi}" for lo, hi in ranges]
    return " or ".join(parts)


def _validate_scalar(ctx: _Ctx, a: Attribute, v: Any, path: Path) -> None:
    if v is UNKNOWN or v is None:
        return
    bad = (a.one_of is not None and v not in a.one_of) or (
        a.ranges is not None and isinstance(v, (int, float)) and not isinstance(v, bool)
        and not any(lo <= v <= hi for lo, hi in a.ranges)) or (
        a.pattern is not None and isinstance(v, str) and not re.fullmatch(a.pattern, v))
    msg = a.check(v) if a.check is not None and not bad else None  # asked once, as below
    if not bad and not msg:  # the common case: no label or description is rendered for a valid value
        return
    name = label(path)
    shown = "a sensitive value" if ctx.secret(a, path) else describe(v)
    extra = f"; {a.description}" if a.description else ""
    if a.one_of is not None and v not in a.one_of:
        choices = ", ".join(f'"{c}"' if isinstance(c, str) else str(c) for c in a.one_of)
        ctx.error(f'Invalid value {shown} for "{name}"', path,
                  hint=f"{name} must be one of {choices}{extra}")
        return
    if a.ranges is not None and isinstance(v, (int, float)) and not isinstance(v, bool):
        if not any(lo <= v <= hi for lo, hi in a.ranges):
            ctx.error(f'Value {v if shown != "a sensitive value" else "(sensitive)"} for "{name}" is out of range',
                      path,
                      hint=f"{name} must be {_range_text(a.ranges)}{extra}")
            return
    if a.pattern is not None and isinstance(v, str) and not re.fullmatch(a.pattern, v):
        ctx.error(f'Invalid value {shown} for "{name}"', path,
                  hint=a.description or f"{name} must match the pattern {a.pattern}")
        return
    if a.check is not None:
        if msg:
            ctx.error(f'Invalid value {shown} for "{name}": {name} {msg}', path,
                      hint=a.description or f"change {name}: it {msg}")


def _validate(ctx: _Ctx, a: Attribute, v: Any, path: Path) -> None:
    if isinstance(v, list):
        for item in v:
            _validate_scalar(ctx, a, item, path)
    elif isinstance(v, dict):
        for item in v.values():
            _validate_scalar(ctx, a, item, path)
    else:
        _validate_scalar(ctx, a, v, path)


def _settable(attrs: dict[str, Attribute], blocks: dict[str, BlockType]) -> set[str]:
    names = {n for n, a in attrs.items()
             if not a.removed and (a.optional or a.required) and not a.alias_of}
    return names | set(blocks)


def _plain(attrs: dict[str, Attribute]) -> list[tuple[str, Attribute]]:
    """The arguments step 3 of ``_conform_object`` checks (settable, not removed, not an alias),
    worked out once per schema object, not once per instance: schemas never change in a run."""
    hit = _PLAIN.get(id(attrs))
    if hit is None or hit[0] is not attrs:
        hit = _PLAIN[id(attrs)] = (attrs, [(n, a) for n, a in attrs.items()
                                           if not a.removed and not a.alias_of and (a.optional or a.required)],
                                   [(n, a) for n, a in attrs.items() if a.alias_of])
    return hit[1]


def _aliases(attrs: dict[str, Attribute]) -> list[tuple[str, Attribute]]:
    _plain(attrs)
    return _PLAIN[id(attrs)][2]


_PLAIN: dict[int, tuple[dict, list, list]] = {}
_IMMUTABLE = frozenset((str, int, float, bool))
# a value of exactly this Python type already has the schema type: convert() would return it as it is
_ALREADY = {"string": str, "number": int, "bool": bool}


class _Facts:
    """What conforming one object of a schema (a resource's arguments or a nested block) needs of
    it, worked out once per schema object: each plain argument with the Python type its values
    already have and whether it has a rule to check; the settable names; the names that conflict."""

    __slots__ = ("attrs", "blocks", "args", "settable", "conflicting", "aliases")

    def __init__(self, attrs: dict[str, Attribute], blocks: dict[str, BlockType]):
        self.attrs, self.blocks = attrs, blocks
        self.args = [(n, a, _ALREADY.get(a.type), a.one_of is not None or a.ranges is not None
                      or a.pattern is not None or a.check is not None) for n, a in _plain(attrs)]
        self.settable = frozenset(n for n, a in attrs.items() if not a.removed and (a.optional or a.required)) \
            | frozenset(blocks)
        self.conflicting = frozenset(n for n, a in attrs.items() if a.conflicts_with)
        self.aliases = bool(_aliases(attrs))


_FACTS: dict[int, _Facts] = {}


def _facts(attrs: dict[str, Attribute], blocks: dict[str, BlockType]) -> _Facts:
    hit = _FACTS.get(id(attrs))
    if hit is None or hit.attrs is not attrs or hit.blocks is not blocks:
        hit = _FACTS[id(attrs)] = _Facts(attrs, blocks)
    return hit


def _conform_object(ctx: _Ctx, attrs: dict[str, Attribute], blocks: dict[str, BlockType],
                    values: dict[str, Any], path: Path, where: str) -> None:
    """Conform ``values`` (one object: a resource's arguments or one nested block) to its schema, in
    place, in the order Terraform reports problems: aliases, unknown names, arguments, conflicts,
    then nested blocks (each conformed by a recursive call)."""
    facts = _facts(attrs, blocks)
    if facts.aliases:
        _rename_aliases(ctx, attrs, values, path)
    if not facts.settable.issuperset(values):
        _drop_unsettable(ctx, attrs, blocks, values, path, where)
    written = _conform_arguments(ctx, attrs, values, path, where, facts.args)
    if not written.isdisjoint(facts.conflicting):
        _check_conflicts(ctx, attrs, written, path)
    if blocks:
        _conform_blocks(ctx, blocks, values, path, where)


def _rename_aliases(ctx: _Ctx, attrs: dict[str, Attribute], values: dict[str, Any], path: Path) -> None:
    """Deprecated aliases -> canonical names (positions follow, so errors point at what was written)."""
    for name, a in _aliases(attrs):
        if values.get(name) is None:
            continue
        canon = a.alias_of
        if values.get(canon) is not None:
            ctx.error(f'"{label(path + (name,))}" and "{canon}" are both set', path + (name,),
                      hint=f'remove "{name}": it is {"a deprecated" if a.deprecated else "another"} '
                           f'spelling of "{canon}"')
            values.pop(name)
            continue
        values[canon] = values.pop(name)
        old = path + (name,)
        if old in ctx.inst.positions and path + (canon,) not in ctx.inst.positions:
            ctx.inst.positions[path + (canon,)] = ctx.inst.positions[old]
        if a.deprecated:  # a second current spelling (both names of one provider schema) is no warning
            ctx.warn(f'Argument "{label(old)}" is deprecated', old, hint=f'rename it to "{canon}"')


def _drop_unsettable(ctx: _Ctx, attrs: dict[str, Attribute], blocks: dict[str, BlockType],
                     values: dict[str, Any], path: Path, where: str) -> None:
    """Unknown, removed and read-only arguments: reported and dropped, so later steps see only settable ones."""
    for key in list(values):
        if key in blocks:
            continue
        a = attrs.get(key)
        if a is not None and not a.removed and (a.optional or a.required):
            continue  # a settable argument: the common case
        p = path + (key,)
        if a is None:
            settable = _settable(attrs, blocks)
            s = suggest(key, settable)
            hint = f'did you mean "{s}"?' if s else f"{where} accepts: {', '.join(sorted(settable))}"
            ctx.error(f'Unsupported argument "{label(p)}" in {where}', p, hint=hint)
            values.pop(key)
        elif a.removed:
            ctx.error(f'Argument "{label(p)}" was removed from {where}', p, hint=a.removed)
            values.pop(key)
        elif not (a.optional or a.required):
            if values[key] is not None:
                ctx.error(f'"{label(p)}" is read-only in {where}', p,
                          hint=f"{key} is computed by the cloud; remove it from the configuration")
            values.pop(key)


def _conform_arguments(ctx: _Ctx, attrs: dict[str, Attribute], values: dict[str, Any], path: Path,
                       where: str, args: list[tuple] | None = None) -> set[str]:
    """Each argument: required, default, type, value. Returns the names the configuration set."""
    written: set[str] = set()
    for name, a, already, rules in (args if args is not None else _facts(attrs, {}).args):
        v = values.get(name)
        if v is None:
            if a.required:
                p = path + (name,)
                ctx.error(f'Missing required argument "{label(p)}" in {where}', path,
                          hint=f'add {name} = ...{"; " + a.description if a.description else ""}')
            elif a.default is not None:
                d = a.default  # most defaults are scalars: a copy is only needed for a list or map
                values[name] = d if type(d) in _IMMUTABLE else copy.deepcopy(d)
            continue
        written.add(name)
        if v is UNKNOWN:
            continue
        if type(v) is already:
            nv = v  # what convert() answers for a value that already has the type
        else:
            nv, err = convert(v, a.type)
            if err:
                p = path + (name,)
                if ctx.secret(a, p):
                    err = f"a {a.type} is required"
                ctx.error(f'Inappropriate value for "{label(p)}": {err}', p,
                          hint=_type_hint(a))
                continue
            values[name] = nv
        if rules:
            _validate(ctx, a, nv, path + (name,))  # (an argument with no rule has nothing to check)
        if a.deprecated:
            p = path + (name,)
            ctx.warn(f'Argument "{label(p)}" is deprecated', p, hint=a.deprecated)
    return written


def _check_conflicts(ctx: _Ctx, attrs: dict[str, Attribute], written: set[str], path: Path) -> None:
    """Arguments set together that may not be, each pair reported once."""
    reported: set[frozenset[str]] = set()
    for name in sorted(n for n in written if attrs[n].conflicts_with):  # (most arguments conflict with none)
        for other in attrs[name].conflicts_with:
            if other in written and frozenset((name, other)) not in reported:
                reported.add(frozenset((name, other)))
                ctx.error(f'"{label(path + (name,))}" conflicts with "{other}"', path + (other,),
                          hint=f"set only one of {name} and {other}")


def _conform_blocks(ctx: _Ctx, blocks: dict[str, BlockType], values: dict[str, Any], path: Path,
                    where: str) -> None:
    """Nested blocks: required ones present, counts within bounds, each item conformed."""
    for bname, bt in blocks.items():
        p = path + (bname,)
        v = values.get(bname)
        if v is None:
            if bt.min_items:
                ctx.error(f'Missing required block "{label(p)}" in {where}', path,
                          hint=f"add at least {bt.min_items} {bname} {{ ... }} block(s)")
            if not bt.computed:
                values[bname] = []
            continue
        if v is UNKNOWN:
            continue
        if isinstance(v, dict):
            v = [v]
            values[bname] = v
        if not isinstance(v, list):
            ctx.error(f'"{label(p)}" must be written as a block', p,
                      hint=f"write {bname} {{ ... }} (got {describe(v)})")
            continue
        if not any(item is UNKNOWN for item in v):
            n = len(v)
            if n < bt.min_items or (bt.max_items is not None and n > bt.max_items):
                want = (f"exactly {bt.min_items}" if bt.min_items == bt.max_items
                        else f"at most {bt.max_items}" if n > (bt.max_items or n)
                        else f"at least {bt.min_items}")
                ctx.error(f'{where} has {n} "{bname}" blocks; {want} allowed',
                          p + (bt.max_items,) if bt.max_items is not None and n > bt.max_items else p,
                          hint=f"write {want} {bname} {{ ... }} block(s)")
        inner = f'block "{bname}"'
        for i, item in enumerate(v):
            if item is UNKNOWN:
                continue
            if not isinstance(item, dict):
                ctx.error(f'"{label(p + (i,))}" must be a block', p + (i,), hint=f"write {bname} {{ ... }}")
                continue
            _conform_object(ctx, bt.attributes, bt.blocks, item, p + (i,), inner)


DURATION = re.compile(r"(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+")


def _timeouts(ctx: _Ctx, ops: tuple[str, ...], value: Any) -> None:
    """Accept the provider's ``timeouts {}`` block, check it, and take it out of the attributes.

    clbplan waits and retries by its own per-error policy, so the block has no effect; it is
    accepted so existing configurations load, and removed so it never shows up as a diff.
    """
    blocks = value if isinstance(value, list) else [value]
    for i, blk in enumerate(blocks):
        if not isinstance(blk, dict):
            continue
        for key, v in blk.items():
            p: Path = ("timeouts", i, key)
            if key not in ops:
                ctx.error(f'Unsupported argument "timeouts.{key}"', p,
                          hint=f"this resource's timeouts block accepts: {', '.join(ops)}")
            elif isinstance(v, str) and not DURATION.fullmatch(v):
                ctx.error(f'Invalid duration "{v}" for "timeouts.{key}"', p,
                          hint='write a duration such as "5m", "90s" or "1h30m"')
    ctx.warn("timeouts has no effect in clbplan", ("timeouts", 0),
             hint="clbplan waits for each operation and retries by error code on its own; you may remove it")


def _type_hint(a: Attribute) -> str:
    if a.type == "number":
        return f"write a whole number for {a.name}, for example {a.name} = 80 (quotes are optional)"
    if a.type == "bool":
        return f"write {a.name} = true or {a.name} = false"
    if a.type == "string":
        return f'write {a.name} = "..." (numbers and bools are converted to strings automatically)'
    return f"{a.name} takes a {a.type}, for example {a.name} = [\"a\", \"b\"]" if a.type.startswith(
        ("list", "set")) else f"{a.name} takes a {a.type}"


# alicloud type-name prefixes -> the service they belong to, for the out-of-scope message
_SERVICES: tuple[tuple[str, str], ...] = (
    ("alicloud_db_", "ApsaraDB RDS"), ("alicloud_rds_", "ApsaraDB RDS"), ("alicloud_oss_", "OSS"),
    ("alicloud_nas_", "NAS"), ("alicloud_alidns_", "Alibaba Cloud DNS"), ("alicloud_dns", "Alibaba Cloud DNS"),
    ("alicloud_ecs_command", "ECS Cloud Assistant commands"), ("alicloud_ecs_invocation", "ECS Cloud Assistant commands"),
    ("alicloud_kms_", "KMS"), ("alicloud_ram_", "RAM"), ("alicloud_cs_", "Container Service for Kubernetes (ACK)"),
    ("alicloud_kvstore_", "Tair (Redis)"), ("alicloud_polardb_", "PolarDB"), ("alicloud_mongodb_", "ApsaraDB for MongoDB"),
    ("alicloud_alb_", "Application Load Balancer (ALB)"), ("alicloud_nlb_", "Network Load Balancer (NLB)"),
    ("alicloud_cdn_", "CDN"), ("alicloud_log_", "Simple Log Service"), ("alicloud_cms_", "CloudMonitor"),
    ("alicloud_fc_", "Function Compute"), ("alicloud_ess_", "Auto Scaling"), ("alicloud_nat_gateway", "NAT Gateway"),
    ("alicloud_snat_", "NAT Gateway"), ("alicloud_forward_", "NAT Gateway"), ("alicloud_cen_", "Cloud Enterprise Network"),
)

SCOPE = ("clbplan manages Classic Load Balancer (CLB) and the network and compute objects around it "
         "(VPCs, vSwitches, security groups and their rules, ECS instances, ENIs, EIPs, key pairs)")


def outside_scope(type_name: str, kind: str, pos: SourcePos | None) -> Diagnostic:
    """One diagnostic for an alicloud type clbplan does not manage. Every block of that type
    gets an identical diagnostic with the same ``once`` key, so a configuration with ten
    database blocks hears about it once, at the first."""
    service = next((name for prefix, name in _SERVICES if type_name.startswith(prefix)), "")
    what = f"{type_name} ({service})" if service else type_name
    noun = "data source" if kind == "data source" else "resource type"
    ref = "data" if kind == "data source" else "resource"
    return Diagnostic(
        f'{noun} "{type_name}" is outside what clbplan manages', pos,
        f"{SCOPE}; {what} is outside that.",
        f'keep the {ref} "{type_name}" blocks in a separate Terraform configuration and read what '
        f'this one needs from its outputs with a data "terraform_remote_state" block',
        "error", once=f"outside-scope:{kind}:{type_name}")


def conform(instance: ResourceInstance) -> list[Diagnostic]:
    """Check one evaluated instance against its schema; convert and fill defaults in place.

    Unknown values are left alone: they are fine at plan time and checked by the cloud later.
    Instance checks (cross-attribute rules) run only when the instance is otherwise valid, so
    they can rely on converted types.
    """
    mode = instance.address.mode
    schema = get_schema(instance.type, mode)
    kind = "data source" if mode == "data" else "resource type"
    if schema is None:
        prefix = instance.type.split("_", 1)[0] + "_"  # a suggestion stays within the same provider
        s = suggest(instance.type, {t for t in type_names(mode) if t.startswith(prefix)})
        if s is None and instance.type.startswith("alicloud_"):
            return [outside_scope(instance.type, kind, instance.pos)]
        hint = f'did you mean "{s}"?' if s else (
            f"clbplan supports the alicloud {kind}s: " + ", ".join(sorted(type_names(mode))))
        return [Diagnostic(f'{instance.address}: unsupported {kind} "{instance.type}"', instance.pos, "",
                           hint, "error")]
    ctx = _Ctx(instance)
    canonical = DEPRECATED_TYPES.get(instance.type, "") if mode == "managed" else ""
    if canonical:
        ctx.diags.append(Diagnostic(f'{instance.address}: resource type "{instance.type}" is deprecated',
                                    instance.pos, "",
                                    f'rename it to "{canonical}" (same arguments)', "warning"))
    where = f'{"data " if mode == "data" else ""}"{instance.type}"'
    if mode == "managed" and instance.type in TIMEOUTS and "timeouts" in instance.attributes:
        _timeouts(ctx, TIMEOUTS[instance.type], instance.attributes.pop("timeouts"))
    _conform_object(ctx, schema.attributes, schema.blocks, instance.attributes, (), where)
    if not any(d.severity == "error" for d in ctx.diags):
        for check in schema.instance_checks:
            ctx.diags.extend(check(instance.attributes, instance))
    return ctx.diags


__all__ = ["conform", "convert", "label", "suggest", "edit_distance", "outside_scope", "contains_unknown"]
