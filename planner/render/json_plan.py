"""Terraform's JSON plan representation (``plan -json``, ``show -json FILE``).

Field for field where it applies (format_version 1.2 of ``terraform show -json``), so tools that
read Terraform plans (tfcmt, conftest/OPA, infracost-style scripts) read ours. Two deliberate
differences, both for safety:

- sensitive values are never written: the value becomes ``"(sensitive value)"`` and the matching
  ``*_sensitive`` flag is true (Terraform writes them in clear text);
- values known only after apply are left out of ``after`` (as Terraform does) and flagged in
  ``after_unknown``.

Everything Terraform has no field for (the ordered operations with the reason for each edge, the
shadow verification, the API-call estimate, partial-plan flags) is under the top-level key
``"clbplan"``.

Group nodes in ``clbplan.edges``: when many operations wait for *every* write of a counted resource
(a splat like ``alicloud_instance.app[*].id``), the graph holds one join node instead of one edge per
(member, dependent) pair. Its id is ``group:<resource address>:<kind>`` (``writes``, or
``before-delete``: the deletes that must precede deleting the resource's instances). Edges run from
each member to the group and from the group to each waiting operation. ``clbplan.groups`` lists
each group once with its member operations; an operation's ``after`` entry for a group reads
``{"group": id, "description": "all 10 writes of alicloud_instance.app", "steps": "3-12", "count": 10,
"reason": ...}`` instead of ``{"index", "operation", "reason"}``. A group is passed when all its
members are done; a failed member skips everything after the group.
"""

from __future__ import annotations

import datetime as _dt
import math
from collections.abc import Mapping
from typing import Any

from planner import __version__
from planner.addresses import ResourceAddress
from planner.config.types import cty_type
from planner.plan.diff import get_schema, values_equal
from planner.plan.model import (
    Action,
    DriftEntry,
    Plan,
    ResourceChange,
    compact_steps,
    group_description,
    group_members,
    is_group_node,
    parse_group_node,
)
from planner.redact import scrub_doc
from planner.state.model import State
from planner.values import contains_unknown, is_unknown
from planner.version import TERRAFORM_LANGUAGE_VERSION

FORMAT_VERSION = "1.2"
PROVIDER_NAME = "registry.terraform.io/aliyun/alicloud"
SENSITIVE = "(sensitive value)"
SERVERS_PER_CALL = 20


def _provider_name(provider: str) -> str:
    """Terraform writes the provider's source address, never the alias."""
    from planner.schema.utility import provider_source

    return provider_source(provider) or PROVIDER_NAME


def _addr_fields(addr: ResourceAddress, previous: ResourceAddress | None = None) -> dict:
    """Terraform's leading fields, in its order: address, previous_address, module_address, mode..."""
    out: dict[str, Any] = {"address": str(addr)}
    if previous is not None:
        out["previous_address"] = str(previous)
    if addr.module:
        out["module_address"] = addr.module_address
    out.update({"mode": addr.mode, "type": addr.type, "name": addr.name})
    if addr.key is not None:
        out["index"] = addr.key
    return out


def _key_order(key: Any) -> tuple:
    return (0, 0, "") if key is None else ((1, key, "") if isinstance(key, int) else (2, 0, key))


def terraform_order(addr: ResourceAddress) -> tuple:
    """Terraform's order of resource instances in a JSON plan: shallower modules first (the root
    module's resources, then each module instance's), then module path, resource, instance key
    (integer keys before string keys)."""
    return (len(addr.module), tuple((n, _key_order(k)) for n, k in addr.module),
            addr.mode != "managed", addr.type, addr.name, _key_order(addr.key))


def resource_changes_json(plan: Plan) -> list[dict[str, Any]]:
    """``resource_changes`` as both the JSON plan and the plan file's view check build it (one order)."""
    return [change_json(c) for c in sorted(plan.changes, key=lambda c: terraform_order(c.address))]


def known_part(value: Any) -> Any:
    """``value`` with unknowns left out of objects and null in lists (Terraform's ``after``)."""
    if isinstance(value, dict):
        return {k: known_part(v) for k, v in value.items() if not is_unknown(v)}
    if isinstance(value, (list, tuple)):
        return [None if is_unknown(v) else known_part(v) for v in value]
    return None if is_unknown(value) else value


def unknown_marks(value: Any) -> Any:
    """Terraform's ``after_unknown``: true where unknown; objects keep only keys holding an unknown."""
    if is_unknown(value):
        return True
    if isinstance(value, dict):
        return {k: unknown_marks(v) for k, v in value.items() if contains_unknown(v)}
    if isinstance(value, (list, tuple)):
        return [unknown_marks(v) if contains_unknown(v) else False for v in value]
    return False


def _mask(values: Mapping[str, Any] | None, sensitive: set[str]) -> Any:
    if values is None:
        return None
    return {k: (SENSITIVE if k in sensitive and v is not None and not is_unknown(v) else v)
            for k, v in values.items()}


def _sensitive_marks(values: Mapping[str, Any] | None, sensitive: set[str]) -> dict:
    if values is None:
        return {}
    return {k: True for k in sorted(sensitive) if k in values}


def _schema_sensitive(type_name: str) -> set[str]:
    schema = get_schema(type_name)
    return set(schema.sensitive) if schema is not None else set()


def change_json(ch: ResourceChange) -> dict:
    """One entry of ``resource_changes``."""
    before = _mask(ch.before, ch.sensitive)
    after = _mask(ch.after, ch.sensitive)
    change: dict[str, Any] = {
        "actions": ch.action.actions,
        "before": known_part(before) if before is not None else None,
        "after": known_part(after) if after is not None else None,
        "after_unknown": unknown_marks(after) if after is not None else {},
        "before_sensitive": _sensitive_marks(ch.before, ch.sensitive) if ch.before is not None else False,
        "after_sensitive": _sensitive_marks(ch.after, ch.sensitive) if ch.after is not None else False,
    }
    if ch.replace_paths:
        change["replace_paths"] = [list(p) for p in ch.replace_paths]
    out = {**_addr_fields(ch.address, ch.previous_address), "provider_name": _provider_name(ch.provider),
           "change": change}
    if ch.action_reason:
        out["action_reason"] = ch.action_reason
    return out


def sensitive_names(plan: Plan) -> dict[ResourceAddress, set[str]]:
    """Per resource, the attribute names to mask anywhere in the document: the schema's sensitive
    attributes plus those whose value came from a sensitive variable (known from the changes)."""
    return {c.address: set(c.sensitive) for c in plan.changes if c.sensitive}


def drift_json(d: DriftEntry, extra: set[str] | None = None) -> dict:
    """One entry of ``resource_drift``: the state before refresh vs what the cloud reported."""
    sens = _schema_sensitive(d.address.type) | set(extra or ())
    before = _mask(d.before, sens)
    after = _mask(d.after, sens)
    if before is not None and "id" not in before and after is not None and "id" in after:
        before = {**before, "id": after["id"]}  # refresh never changes the id of an object it found
    return {
        **_addr_fields(d.address), "provider_name": PROVIDER_NAME,
        "change": {
            "actions": ["delete"] if d.after is None else ["update"],
            "before": before, "after": after, "after_unknown": {},
            "before_sensitive": _sensitive_marks(d.before, sens),
            "after_sensitive": _sensitive_marks(d.after, sens) if d.after is not None else False,
        },
    }


def _resource_values(addr: ResourceAddress, values: Mapping[str, Any], sensitive: set[str],
                     provider: str = "alicloud") -> dict:
    out = {**_addr_fields(addr), "provider_name": _provider_name(provider), "schema_version": 0,
           "values": known_part(_mask(values, sensitive)),
           "sensitive_values": _sensitive_marks(values, sensitive)}
    out.pop("module_address", None)  # a module's resources sit in its child_modules entry instead
    return out


def module_tree(entries: list[tuple[ResourceAddress, dict]]) -> dict:
    """Terraform's ``root_module``: root resources, then ``child_modules`` (one per module instance,
    each with its ``address`` and its own ``child_modules``), every level sorted by address."""
    root: dict[str, Any] = {"resources": []}
    nodes: dict[tuple, dict] = {(): root}

    def node(path: tuple) -> dict:
        got = nodes.get(path)
        if got is not None:
            return got
        parent = node(path[:-1])
        from planner.addresses import module_text

        got = {"resources": [], "address": module_text(path)}
        parent.setdefault("child_modules", []).append(got)
        nodes[path] = got
        return got

    for addr, doc in sorted(entries, key=lambda e: str(e[0])):
        node(addr.module)["resources"].append(doc)
    for path, n in nodes.items():
        if path and not n["resources"]:
            del n["resources"]  # omitted when a module instance holds only child modules
        if "child_modules" in n:
            n["child_modules"].sort(key=_module_sort_key)
    return root


def _module_sort_key(m: dict) -> tuple:
    from planner.addresses import parse_module_path

    path = parse_module_path(m["address"] + ".")[0]
    return tuple((name, (0, key, "") if isinstance(key, int) else (1, 0, key or "")) for name, key in path)


def state_values(state: State, extra: dict[ResourceAddress, set[str]] | None = None) -> dict:
    """Terraform's ``values`` object of a state (used for ``prior_state``)."""
    resources = []
    for addr in sorted(state.resources, key=str):
        rs = state.resources[addr]
        sens = _schema_sensitive(addr.type) | (extra or {}).get(addr, set())
        resources.append((addr, _resource_values(addr, {**rs.attributes, "id": rs.id}, sens, rs.provider)))
    return {"outputs": {n: {"sensitive": bool(o.get("sensitive")),
                            "value": SENSITIVE if o.get("sensitive") else o.get("value"),
                            "type": o.get("type") or cty_type(o.get("value"))}
                        for n, o in sorted(state.outputs.items())},
            "root_module": module_tree(resources)}


def output_changes(config: Any, prior: State, destroy: bool) -> tuple[dict, dict]:
    """(output_changes, planned outputs) from the configuration's outputs vs the state's."""
    changes: dict[str, dict] = {}
    planned: dict[str, dict] = {}
    outputs = {} if destroy or config is None else config.outputs
    for name in sorted(set(outputs) | set(prior.outputs)):
        o = outputs.get(name)
        p = prior.outputs.get(name)
        sens = bool((o is not None and o.sensitive) or (p is not None and p.get("sensitive")))
        before = p.get("value") if p is not None else None
        after = o.value if o is not None else None
        if p is None and after is None:
            actions = ["no-op"]  # a null output is never stored: nothing to create (as Terraform plans it)
        elif p is None:
            actions = ["create"]
        elif o is None:
            actions = ["delete"]
        elif not contains_unknown(after) and values_equal(before, after):
            actions = ["no-op"]
        else:
            actions = ["update"]
        changes[name] = {
            "actions": actions,
            "before": SENSITIVE if sens and before is not None else before,
            "after": SENSITIVE if sens and after is not None and not is_unknown(after) else known_part(after),
            "after_unknown": unknown_marks(after),
            "before_sensitive": sens, "after_sensitive": sens,
        }
        if o is not None:
            entry = {"sensitive": bool(o.sensitive)}
            if not contains_unknown(after):
                entry["type"] = getattr(o, "type", None) or cty_type(after)  # as Terraform: the declared type, list(string)
                entry["value"] = SENSITIVE if o.sensitive else after
            planned[name] = entry
    return changes, planned


def configuration_json(config: Any) -> dict:
    """Terraform's ``configuration``: providers, and per module its resources, outputs, variables and
    calls, every argument as an ``expressions`` entry (constant value or references, see
    planner.plan.json_config), as checkov's connection checks and policy engines read them."""
    if config is None:
        return {}
    ev = getattr(config, "_instance_evaluator", None)
    root_module = getattr(ev, "m", None)
    providers = _provider_config_json(config, root_module)
    by_module = _resource_entries(config, root_module)
    root: dict[str, Any] = {}
    if root_module is not None:
        outs = _outputs_json(root_module)
    else:
        outs = {n: ({"sensitive": True} if o.sensitive else {}) for n, o in sorted(config.outputs.items())}
    if outs:
        root["outputs"] = outs
    resources = sorted(by_module.get((), {}).values(), key=lambda e: e["address"])
    if resources:
        root["resources"] = resources
    if root_module is not None and getattr(root_module, "calls", None):
        root["module_calls"] = _module_calls(root_module, by_module)
    varz = _variables_json(root_module) if root_module is not None else {
        n: ({"sensitive": True} if n in config.sensitive_variables else {}) for n in sorted(config.variables)}
    if varz:
        root["variables"] = varz
    return {"provider_config": providers, "root_module": root}


def _provider_config_json(config: Any, root_module: Any) -> dict[str, dict]:
    """Terraform's ``provider_config``: each provider block's expressions, then the providers the
    resources use without a block of their own."""
    from planner.plan.json_config import SECRET_PROVIDER_ARGS, body_expressions

    providers = {}
    provider_blocks = {}
    for b in getattr(root_module, "providers", []) or []:
        alias = b.body.attr("alias")
        key = b.labels[0] if b.labels else ""
        alias_value = _constant(alias.expr).get("constant_value") if alias is not None else None
        provider_blocks[f"{key}.{alias_value}" if alias_value else key] = b
    for _key, pc in sorted(config.providers.items()):
        entry: dict[str, Any] = {"name": "alicloud", "full_name": PROVIDER_NAME}
        if pc.alias:
            entry["alias"] = pc.alias
        block = provider_blocks.get(pc.key)
        if block is not None:
            exprs = body_expressions(block.body, None, secret_args=SECRET_PROVIDER_ARGS)
            exprs.pop("alias", None)
            if exprs:
                entry["expressions"] = exprs
        elif pc.region:
            entry["expressions"] = {"region": {"constant_value": pc.region}}
        providers[pc.key] = entry
    # providers the resources use without a block of their own (terraform_data, random, ...), and
    # the default alicloud entry only when a block declares it or a resource uses it
    used = {inst.provider for inst in list(config.resources.values()) + list(config.data_sources.values())}
    for key in sorted(used - set(providers)):
        name = key.split(".", 1)[0]
        entry = {"name": name, "full_name": _provider_name(key)}
        if "." in key:
            entry["alias"] = key.split(".", 1)[1]
        providers[key] = entry
    if "alicloud" in providers and "alicloud" not in used and "alicloud" not in provider_blocks:
        del providers["alicloud"]
    return providers


def _resource_entries(config: Any, root_module: Any) -> dict[tuple[str, ...], dict[tuple, dict]]:
    """The ``resources`` entries by static module path: one entry per resource block per static module
    (module instances share their blocks), keyed by (mode, type, name)."""
    from planner.plan.json_config import body_expressions

    by_module: dict[tuple[str, ...], dict[tuple, dict]] = {}
    for addr, inst in sorted(list(config.resources.items()) + list(config.data_sources.items()),
                             key=lambda kv: str(kv[0].resource.local)):
        static = tuple(name for name, _k in addr.module)
        seen = by_module.setdefault(static, {})
        r = addr.resource
        local = (r.mode, r.type, r.name)
        if local in seen:
            continue
        entry = {"address": r.local, "mode": r.mode, "type": r.type, "name": r.name,
                 "provider_config_key": inst.provider}
        block = _resource_block(root_module, static, r.mode, r.type, r.name)
        if block is not None:
            entry["expressions"] = body_expressions(block.body, get_schema(r.type, r.mode))
        entry["schema_version"] = 0
        if block is not None:
            for meta_name in ("count", "for_each"):
                a = block.body.attr(meta_name)
                if a is not None:
                    entry[f"{meta_name}_expression"] = _expression(a.expr)
        # Terraform's depends_on lists the explicit depends_on only (references are not kept)
        d = sorted({x.resource.local for x in config.explicit_depends_on(addr)
                    if x.resource != r and x.module == addr.module})
        if d:
            entry["depends_on"] = d
        seen[local] = entry
    return by_module


def _expression(e: Any) -> dict:
    from planner.plan.json_config import expression_json

    return expression_json(e)


def _resource_block(module: Any, static: tuple[str, ...], mode: str, type_: str, name: str) -> Any:
    for call in static:
        module = getattr(module, "children", {}).get(call) if module is not None else None
    if module is None:
        return None
    table = module.data if mode == "data" else module.resources
    return table.get((type_, name))


def _outputs_json(module: Any) -> dict:
    """``{name: {"expression", "sensitive"?, "description"?, "depends_on"?}}``."""
    out: dict[str, Any] = {}
    for name, block in sorted(module.outputs.items()):
        entry: dict[str, Any] = {}
        if _is_true(block.body.attr("sensitive")):
            entry["sensitive"] = True
        value = block.body.attr("value")
        entry["expression"] = _expression(value.expr) if value is not None else {}
        desc = block.body.attr("description")
        if desc is not None and "constant_value" in _constant(desc.expr):
            entry["description"] = _constant(desc.expr)["constant_value"]
        deps = block.body.attr("depends_on")
        if deps is not None:
            from planner.config import ir

            items = deps.expr.items if isinstance(deps.expr, ir.TupleExpr) else []
            entry["depends_on"] = [_expr_text(i) for i in items]
        out[name] = entry
    return out


def _variables_json(module: Any) -> dict:
    """``{name: {"default"?, "description"?, "sensitive"?}}`` (a sensitive default is not written)."""
    from planner.plan.json_config import _NO_VALUE, constant_value

    out: dict[str, Any] = {}
    for name, block in sorted(module.variables.items()):
        entry: dict[str, Any] = {}
        sensitive = _is_true(block.body.attr("sensitive"))
        default = block.body.attr("default")
        if default is not None:
            value = constant_value(default.expr)
            if value is not _NO_VALUE:
                entry["default"] = SENSITIVE if sensitive else value
        desc = block.body.attr("description")
        if desc is not None and "constant_value" in _constant(desc.expr):
            entry["description"] = _constant(desc.expr)["constant_value"]
        if sensitive:
            entry["sensitive"] = True
        out[name] = entry
    return out


def _constant(expr: Any) -> dict:
    """``{"constant_value": v}`` for a literal argument, else {}."""
    from planner.plan.json_config import _NO_VALUE, constant_value

    value = constant_value(expr)
    return {} if value is _NO_VALUE else {"constant_value": value}


def _module_calls(module: Any, by_module: dict) -> dict:
    """Terraform's ``module_calls``: per call its source, version, arguments, count/for_each and the
    called module's own resources, outputs, variables and calls."""
    from planner.plan.json_config import body_expressions

    out: dict[str, Any] = {}
    for name in sorted(module.calls):
        b = module.calls[name]
        child = module.children.get(name)
        entry: dict[str, Any] = {}
        src = b.body.attr("source")
        entry["source"] = _constant(src.expr).get("constant_value", "") if src is not None else ""
        exprs = body_expressions(b.body, None)
        if exprs:
            entry["expressions"] = dict(sorted(exprs.items()))
        for meta_name in ("count", "for_each"):
            a = b.body.attr(meta_name)
            if a is not None:
                entry[f"{meta_name}_expression"] = _expression(a.expr)
        if child is not None:
            body: dict[str, Any] = {}
            outs = _outputs_json(child)
            if outs:
                body["outputs"] = outs
            res = sorted(by_module.get(tuple(child.path), {}).values(), key=lambda e: e["address"])
            if res:
                body["resources"] = res
            if child.calls:
                body["module_calls"] = _module_calls(child, by_module)
            varz = _variables_json(child)
            if varz:
                body["variables"] = varz
            entry["module"] = body
        ver = b.body.attr("version")
        if ver is not None and "constant_value" in _constant(ver.expr):
            entry["version_constraint"] = _constant(ver.expr)["constant_value"]
        deps = b.body.attr("depends_on")
        if deps is not None:
            from planner.config import ir

            items = deps.expr.items if isinstance(deps.expr, ir.TupleExpr) else []
            entry["depends_on"] = [_expr_text(i) for i in items]
        out[name] = entry
    return out


def _is_true(a: Any) -> bool:
    return a is not None and _constant(a.expr).get("constant_value") is True


def _expr_text(e: Any) -> str:
    """``module.x`` / ``terraform_data.a`` from a depends_on item."""
    from planner.config import ir

    parts = []
    while isinstance(e, ir.GetAttr):
        parts.append(e.name)
        e = e.obj
    if isinstance(e, ir.Name):
        parts.append(e.name)
    return ".".join(reversed(parts))


def api_call_estimate(plan: Plan) -> dict:
    """Mutating API calls apply will make at least: cascaded deletes cost nothing and operations
    sharing a batch key fold into calls of at most 20 servers."""
    single = 0
    batches: dict[str, int] = {}
    cascaded = 0
    for op in plan.operations:
        if op.cascaded:
            cascaded += 1
        elif op.batch_key:
            batches[op.batch_key] = batches.get(op.batch_key, 0) + 1
        else:
            single += 1
    batched_calls = sum(math.ceil(n / SERVERS_PER_CALL) for n in batches.values())
    return {"operations": len(plan.operations), "cascaded_without_call": cascaded,
            "batched_operations": sum(batches.values()), "batched_calls": batched_calls,
            "mutating_calls_at_least": single + batched_calls}


def operations_json(plan: Plan) -> list[dict]:
    """The ordered operations, each with the steps it waits for and why."""
    index = {op.id: i + 1 for i, op in enumerate(plan.operations)}
    incoming: dict[str, list] = {}
    for e in plan.edges:
        incoming.setdefault(e.after, []).append(e)
    groups = {g["id"]: g for g in groups_json(plan)}

    def after(e: Any) -> tuple[int, dict]:
        g = groups.get(e.before)
        if g is None:
            return index[e.before], {"index": index[e.before], "operation": e.before, "reason": e.reason}
        first = min(g["indexes"], default=0)
        return first, {"group": e.before, "description": g["description"], "steps": g["steps"],
                       "count": len(g["operations"]), "reason": e.reason}

    out = []
    for i, op in enumerate(plan.operations, 1):
        waits = sorted((after(e) for e in incoming.get(op.id, []) if e.before in index or e.before in groups),
                       key=lambda w: w[0])
        entry = {"index": i, "id": op.id, "address": str(op.address), "kind": op.kind.value,
                 "load_balancer": op.load_balancer, "cascaded": op.cascaded, "batch_key": op.batch_key,
                 "after": [w for _, w in waits]}
        out.append(entry)
    return out


def groups_json(plan: Plan) -> list[dict]:
    """Each group node once: its id, resource, kind, and the operations it waits for."""
    index = {op.id: i + 1 for i, op in enumerate(plan.operations)}
    out = []
    for gid, members in group_members(plan.edges).items():
        resource, kind = parse_group_node(gid)
        members = sorted((m for m in members if m in index), key=index.__getitem__)
        idx = [index[m] for m in members]
        out.append({"id": gid, "resource": resource, "kind": kind,
                    "description": group_description(gid, len(members)), "steps": compact_steps(idx),
                    "operations": members, "indexes": idx})
    # groups no edge leads into (every member left out of a partial plan) wait for nothing
    known = {g["id"] for g in out}
    for e in plan.edges:
        if is_group_node(e.before) and e.before not in known:
            known.add(e.before)
            resource, kind = parse_group_node(e.before)
            out.append({"id": e.before, "resource": resource, "kind": kind,
                        "description": group_description(e.before, 0), "steps": "", "operations": [],
                        "indexes": []})
    return sorted(out, key=lambda g: (min(g["indexes"], default=0), g["id"]))


def plan_json(plan: Plan, *, prior: State, config: Any = None, options: Mapping[str, Any] | None = None,
              timestamp: str | None = None) -> dict:
    """The whole document. ``prior`` is the refreshed state the plan was made against; ``options``
    holds the run's flags (targets, excludes, replace, refresh_only, destroy)."""
    from planner.plan.targeting import relevant_drift

    options = dict(options or {})
    refresh_only = bool(options.get("refresh_only"))
    partial = bool(options.get("targets") or options.get("excludes"))
    outs, planned_outputs = output_changes(config, prior, plan.destroy or refresh_only)
    if refresh_only:
        outs, planned_outputs = {}, {}
    resources = []
    for ch in plan.changes:
        if ch.after is not None:
            resources.append((ch.address, _resource_values(ch.address, ch.after, ch.sensitive, ch.provider)))
    relevant = plan.drift if refresh_only else relevant_drift(plan)
    masked = sensitive_names(plan)
    for addr, rs in prior.resources.items():  # marks recorded in the state (sensitive_attributes)
        if rs.sensitive:
            masked[addr] = masked.get(addr, set()) | set(rs.sensitive)
    ts = timestamp or _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    doc: dict[str, Any] = {
        "format_version": FORMAT_VERSION,
        "terraform_version": TERRAFORM_LANGUAGE_VERSION,
        "variables": {k: {"value": v} for k, v in sorted(plan.variables.items())},
        "planned_values": {"outputs": planned_outputs, "root_module": module_tree(resources)},
        "resource_drift": [drift_json(d, masked.get(d.address)) for d in plan.drift],
        "resource_changes": resource_changes_json(plan),
        "output_changes": outs,
        "prior_state": {"format_version": "1.0", "terraform_version": TERRAFORM_LANGUAGE_VERSION,
                        "values": state_values(prior, masked)},
        "configuration": configuration_json(config),
        "relevant_attributes": [{"resource": str(d.address), "attribute": [n]}
                                for d in relevant for n in d.changed if n != "*"],
        # a plan that only changes outputs is applyable: applying saves them (as in Terraform)
        "applyable": bool(plan.has_changes or (refresh_only and plan.drift)
                          or any(c["actions"] != ["no-op"] for c in outs.values())),
        "complete": not partial,
        "errored": False,
        "timestamp": ts,
        "clbplan": {
            "version": __version__,
            "destroy": plan.destroy,
            "refresh_only": refresh_only,
            "partial": partial,
            "targets": list(options.get("targets") or []),
            "excludes": list(options.get("excludes") or []),
            "replace": list(options.get("replace") or []),
            "prior_lineage": plan.prior_lineage,
            "prior_serial": plan.prior_serial,
            "config_hash": plan.config_hash,
            "summary": _summary(plan),
            "operations": operations_json(plan),
            "edges": [{"before": e.before, "after": e.after, "reason": e.reason} for e in plan.edges],
            "groups": groups_json(plan),
            "verification": {"verified": plan.verified,
                             "method": "operations run in order on a shadow copy of the refreshed cloud"},
            "api_call_estimate": api_call_estimate(plan),
            "reasons": {str(c.address): c.reason for c in plan.changes
                        if c.action not in (Action.NOOP, Action.READ) and c.reason},
        },
    }
    return scrub_doc(doc)  # a secret echoed back by the cloud into an unmarked attribute


def dumps(doc: Mapping[str, Any]) -> str:
    """The document on one line, as Terraform writes it (terraform-compliance and others expect that)."""
    import json

    return json.dumps(doc, separators=(",", ":"), ensure_ascii=False)


def decision_view(plan: Plan) -> dict:
    """The parts of the JSON plan a policy gate decides on (``resource_changes``, the operations and
    the summary), derived from the plan alone: a saved plan file is checked against it
    (``planner.plan.planfile.check_json_view``)."""
    from planner.redact import scrub_doc

    return scrub_doc({"resource_changes": resource_changes_json(plan),
                      "operations": operations_json(plan), "summary": _summary(plan)})


def _summary(plan: Plan) -> dict:
    add, change, destroy = plan.counts
    replace = sum(1 for c in plan.changes if c.action.is_replace)
    return {"add": add, "change": change, "destroy": destroy, "replace": replace,
            "has_changes": plan.has_changes, "drifted": len(plan.drift)}

