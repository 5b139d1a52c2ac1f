"""Evaluate a parsed module into a ``Configuration``: variables, locals, resources, outputs.

Order is Terraform's: input variables first (they can only refer to themselves), then every
local, resource, data source and output in dependency order (a networkx graph built from each
expression's references; cycles are located errors). Each resource instance is evaluated,
conformed by the schema layer when present, and handed to the resolver, whose result is what
later references to it see. Every problem is collected; the run raises once, with all of them.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import networkx as nx

from planner import schema
from planner.addresses import ModulePath, ResourceAddress
from planner.config import ir, limits
from planner.config.eval_memo import BlockMemo, BlockRecorder, NotRecordable, value_digest
from planner.config.expr import (
    EmptyLookup,
    EvalError,
    Evaluator,
    KeyExpr,
    OpenObject,
    Scope,
    calls_in,
    references,
    resource_attribute_refs,
)
from planner.config.hclparse import SyntaxProblem, parse_expression, parse_text
from planner.config.inputs import EvaluationInputs
from planner.config.loader import Module, display_path
from planner.config.model import (
    NO_NAMES,
    Configuration,
    Lifecycle,
    OutputValue,
    ProviderConfig,
    ResourceInstance,
)
from planner.config.modules import CALL_META
from planner.config.types import (
    ANY,
    ConversionError,
    SetValue,
    TypeExprError,
    convert,
    cty_type,
    needs_hcl_parse,
    parse_type,
    strip_sets,
    type_of,
)
from planner.diagnostics import Diagnostic, DiagnosticBag, DiagnosticsError, SourcePos
from planner.process import gc_paused
from planner.values import LOOKUP_NOTE, UNKNOWN, contains_unknown

Resolver = Callable[[ResourceInstance], dict]

QUOTED_REFERENCE_DETAIL = (
    "In this context, references are expected literally rather than in quotes. Terraform 0.11 and earlier "
    "required quotes, but quoted references are now deprecated and will be removed in a future version of "
    "Terraform. Remove the quotes surrounding this reference to silence this warning.")


def _did_you_mean(name: str | None, candidates: Any) -> str:
    """Terraform's ' Did you mean "x"?' for a declared name within a small edit distance, else ""."""
    if not name:
        return ""
    from planner.schema.conform import suggest
    close = suggest(name, set(candidates))
    return f' Did you mean "{close}"?' if close else ""


def _move_to(e: ir.Expr, line: int, col: int) -> None:
    """Give a reference parsed out of a string the string's position, for later diagnostics."""
    while True:
        e.line, e.col = line, col
        if isinstance(e, ir.Index):
            _move_to(e.key, line, col)
        if isinstance(e, (ir.GetAttr, ir.Index)):
            e = e.obj
        else:
            return


# (data source type, evaluated arguments, its provider configuration) -> computed attributes
# (type, arguments, provider configuration, written=the argument names the block wrote) -> attributes
DataReader = Callable[..., "dict | None"]


def _reason(e: Exception) -> str:
    """A reader failure in words: the cloud's code and message, or the provider's sentence."""
    code = getattr(e, "code", None)
    return f"{code}: {getattr(e, 'message', e)}" if code else str(e)


RESOURCE_META = {"count", "for_each", "depends_on", "provider"}
RESOURCE_META_BLOCKS = {"lifecycle", "provisioner", "connection"}
OUTPUT_SENSITIVE_DETAIL = ("To reduce the risk of accidentally exporting sensitive data that was intended to be "
                           "only internal, clbplan (like Terraform) requires that any output containing "
                           "sensitive data be explicitly marked as sensitive, to confirm your intent.")
VARIABLE_ARGS = {"type", "default", "description", "sensitive", "nullable", "ephemeral"}


def _schema_api():
    """The schema layer's hooks: conform, get_schema, validate_configuration, read_data_source (a
    function so the evaluator's own tests can switch the schema's rules off)."""
    return schema.conform, schema.get_schema, schema.validate_configuration, schema.read_data_source


def _no_refs_root(what: str):
    def root(n: ir.Name) -> Any:
        raise EvalError("Variables not allowed", f'{what} cannot refer to "{n.name}"; only literal values and '
                        "functions are allowed here.", n.line, n.col)
    return root


_SPECIAL_ROOTS = frozenset({"var", "local", "data", "path", "module", "terraform", "count", "each"})
_NO_TYPE = object()
_ABSENT = object()


class _BodyPlan:
    """One block body's evaluation, compiled once (see ``ModuleEvaluator._body_plan``)."""

    __slots__ = ("body", "args", "blocks", "mark", "sensitive")

    def __init__(self, body: ir.Body, args: list, blocks: list, mark: str | None):
        self.body, self.args, self.blocks, self.mark = body, args, blocks, mark
        # bound names -> whether each argument's expression is sensitive (one answer per scope shape)
        self.sensitive: dict[frozenset[str], tuple[bool, ...]] = {}


@dataclass
class _InstanceMeta:
    block: ir.Block
    bindings: dict[str, Any]


class ModuleEvaluator:
    """Evaluates one module instance. The root evaluator also drives the run: one dependency graph
    over every module's locals, resources, variables, outputs and calls (so references may cross
    module boundaries both ways without false cycles, as in Terraform), walked once, each static
    node evaluated for every instance of its module."""

    def __init__(self, module: Module, env: Mapping[str, str], resolver: Resolver | None,
                 parent: ModuleEvaluator | None = None, path: ModulePath = (),
                 bindings: dict | None = None, proto: ModuleEvaluator | None = None,
                 top: ModuleEvaluator | None = None):
        self.m = module
        self.env = env
        self.parent = parent
        self.path: ModulePath = path  # this instance's module path; () for the root module
        self.call_bindings = bindings or {}  # count.index / each.* of the module call, for its arguments
        self.top: ModuleEvaluator = top or (parent.top if parent is not None else
                                            (proto.top if proto is not None else self))
        self.bag = self.top.bag if self.top is not self else DiagnosticBag()
        root_dir = self.top.m.directory if self.top is not self else module.directory
        self.ev = Evaluator(root_dir or ".", self.top.ev.budget if self.top is not self else None)
        if self.top is not self:
            self.ev.inputs = self.top.ev.inputs  # one record for the whole run (planner.config.inputs)
        self.conform, self.get_schema, self.validate_cfg, self.read_data = _schema_api()
        # reads alicloud data sources through the provider: (type, arguments, provider config) ->
        # attributes; set on the root evaluator by ``evaluate``
        self.data_reader: DataReader | None = None
        self._early_providers: dict[str, ProviderConfig] | None = None
        # called once with the provider configurations before the walk when they evaluate from variables
        # alone (the plan starts reading the cloud then); set on the root evaluator by ``evaluate``
        self.on_providers: Callable[[dict[str, ProviderConfig]], None] | None = None
        self.resolver = resolver or self.default_resolver
        self.module_values: dict[str, Any] = {}  # call name -> its outputs (object, list or map of objects)
        self.child_instances: dict[str, list[tuple[Any, ModuleEvaluator]]] = {}
        self.output_values: dict[str, Any] = {}  # this module instance's outputs, as its caller reads them
        self.inherited_deps: set[ResourceAddress] = set(parent.inherited_deps) if parent is not None else set()
        self.var_values: dict[str, Any] = {}
        self.sensitive_vars: set[str] = set()
        self.local_values: dict[str, Any] = {}
        self.sensitive_locals: set[str] = set()
        self.res_by_type: dict[str, dict[str, Any]] = {}
        self.data_by_type: dict[str, dict[str, Any]] = {}
        self.instance_keys: dict[tuple[str, str, str], list] = {}  # (mode,type,name) -> keys
        self.meta: dict[ResourceAddress, _InstanceMeta] = {}
        self.node_refs: dict[tuple, list] = {}
        self._key_sets: dict[tuple, frozenset] = {}
        self._dep_addrs: dict[tuple, dict[Any, ResourceAddress]] = {}  # (mode, type, name) -> key -> address
        self._attr_pos: dict[int, tuple[ir.Attr | ir.Block, SourcePos]] = {}  # per argument and per block
        # per block: the positions map of its last instance, which the next one shares when equal
        self._positions_of: dict[int, tuple[ir.Block, dict]] = {}
        self._body_plans: dict[tuple, _BodyPlan] = {}
        self._complete_info: dict[tuple[str, str], tuple[Any, list[str], frozenset[str]]] = {}
        self.local_order: list[str] = []
        self._sens_cache: dict[tuple[int, frozenset[str]], bool] = {}
        self.explicit_deps: dict[tuple, list[tuple]] = {}  # node -> depends_on refs
        self._resource_locals: set[str] | None = None
        self._refresh_locals: dict[tuple, list[str]] = {}
        self.bad_nodes: set[tuple] = set()
        self.var_specs: dict[str, tuple] = {}
        self.var_flags: dict[str, dict[str, bool]] = {}
        self.sensitive_module_outputs: set[tuple[str, str]] = set()  # (call, output) declared sensitive
        self.block_memo: BlockMemo | None = None  # set on the root evaluator by ``evaluate``
        self._memo_digests: dict[int, tuple[Any, bytes | None]] = {}  # id(value) -> (value, its digest)
        self.config = self.top.config if self.top is not self else \
            Configuration(directory=module.directory, content_hash=module.content_hash)
        # Terraform's path.*: path.root is ".", path.module the module's directory relative to the root
        # module's ("." there), path.cwd the absolute directory clbplan runs the configuration in
        self.path_obj = {"module": module.source_dir or ".", "root": ".",
                         "cwd": os.path.abspath(root_dir or ".")}
        self._workspace: str | None = None  # terraform.workspace: the selected one (TF_WORKSPACE wins)
        self.provider_keys = {"alicloud"}
        for p in module.providers:
            alias = p.body.attr("alias")
            if alias is not None and isinstance(alias.expr, ir.Lit) and isinstance(alias.expr.value, str):
                self.provider_keys.add(f"{p.labels[0]}.{alias.expr.value}")
        # this module's provider keys -> the root module's configuration each one stands for
        self.provider_map = {k: k for k in self.provider_keys}
        if proto is not None:  # an instance shares its static module's analysis with the prototype
            for name in ("node_refs", "explicit_deps", "bad_nodes", "var_specs", "var_flags",
                         "sensitive_module_outputs"):
                setattr(self, name, getattr(proto, name))
        if parent is not None:
            self.provider_map = self._inherit_providers(parent)
            self.provider_keys = set(self.provider_map)

    # -- helpers ---------------------------------------------------------------------------------
    def err(self, fn: str, x: EvalError | SyntaxProblem) -> None:
        self.bag.add(x.summary, SourcePos(fn, x.line, x.col), detail=x.detail, hint=x.hint)

    def root(self, n: ir.Name) -> Any:
        name = n.name
        if name not in _SPECIAL_ROOTS:  # a resource type (every reference to a resource comes here)
            found = self.res_by_type.get(name, _NO_TYPE)
            if found is not _NO_TYPE:
                return found
            raise EvalError("Unknown variable", f'There is no variable named "{name}".', n.line, n.col)
        if name == "var":
            return self.var_values
        if name == "local":
            return self.local_values
        if name == "data":
            return self.data_by_type
        if name == "path":
            return self.path_obj
        if name == "module":
            return self.module_values
        if name == "terraform":
            if self._workspace is None:
                from pathlib import Path

                from planner.state.workspaces import current_workspace

                self._workspace = current_workspace(Path(self.path_obj["cwd"]), self.env)
            return {"workspace": self._workspace}
        if name in ("count", "each"):
            raise EvalError(f'Reference to "{name}" in non-{"counted" if name == "count" else "for_each"} '
                            "context", f'"{name}" is only available in blocks that set '
                            f'{"count" if name == "count" else "for_each"}.', n.line, n.col)
        if name in self.res_by_type:
            return self.res_by_type[name]
        raise EvalError("Unknown variable", f'There is no variable named "{name}".', n.line, n.col)

    def default_resolver(self, inst: ResourceInstance) -> dict:
        """Attributes as configured, plus "id" and every computed attribute left unset as UNKNOWN."""
        return self.complete(inst, dict(inst.attributes), fill_unset=True)

    def complete(self, inst: ResourceInstance, value: Any, fill_unset: bool = False) -> Any:
        """Make a resolver's answer safe to reference: schema attributes it omits are null, or
        UNKNOWN when computed; with no schema, any attribute it omits reads as UNKNOWN."""
        return self.complete_for(inst.type, inst.address.mode, value, fill_unset)

    def complete_for(self, type_name: str, mode: str, value: Any, fill_unset: bool = False) -> Any:
        if not isinstance(value, dict) or isinstance(value, OpenObject):
            return value
        hit = self._complete_info.get((type_name, mode))
        if hit is None:  # the schema's computed names, worked out once per type and run (not per instance)
            schema = self.get_schema(type_name, mode) if self.get_schema else None
            hit = self._complete_info[(type_name, mode)] = (
                schema, list(schema.computed) if schema is not None else [],
                frozenset(schema.computed) | frozenset(schema.attributes) if schema is not None else frozenset())
        schema, computed, names = hit
        if schema is not None and not fill_unset and value.keys() >= names and "id" in value:
            # a planned object has every name: nothing to add, and nothing here or in the expressions
            # that read it changes it, so it is shared rather than copied (a copy per instance was
            # 130 MB of an apply's peak at 10,000 load balancers)
            return value
        out: dict = dict(value) if schema is not None else OpenObject(value)
        if schema is not None and (fill_unset or not value.keys() >= names):  # (a planned object has them all)
            for name in computed:
                if name not in value or (fill_unset and value[name] is None):
                    out[name] = UNKNOWN
            for name in schema.attributes:
                out.setdefault(name, None)
        if "id" not in value or (fill_unset and value["id"] is None):
            out["id"] = UNKNOWN
        return out

    def _secret_refs(self, e: ir.Expr) -> list[str]:
        """``type.name.attr`` references in ``e`` to a value the schema marks sensitive, or to a
        whole object holding one (Terraform's marks come from the provider schema as well)."""
        found: list[str] = []
        for type_name, name, attr in resource_attribute_refs(e):
            schema = self.get_schema(type_name, "managed") if self.get_schema else None
            sens = set(getattr(schema, "sensitive", ()) or ()) if schema is not None else set()
            if not sens:
                continue
            if attr is None:
                found.append(f"{type_name}.{name} (holds {', '.join(sorted(sens))})")
            elif attr in sens:
                found.append(f"{type_name}.{name}.{attr}")
        return found

    def exports_secret(self, e: ir.Expr) -> bool:
        return bool(self._secret_refs(e))

    def exports_secret_detail(self, e: ir.Expr) -> str:
        refs = self._secret_refs(e)
        return f" The value includes {', '.join(refs)}, marked sensitive by the provider schema." if refs else ""

    def is_sensitive(self, e: ir.Expr, bound: frozenset[str] = frozenset()) -> bool:
        """Expression-level taint: reads a sensitive variable/local, or calls sensitive()."""
        key = (id(e), bound)
        hit = self._sens_cache.get(key)
        if hit is None:
            hit = self._sens_cache[key] = self._is_sensitive(e, bound)
        return hit

    def _is_sensitive(self, e: ir.Expr, bound: frozenset[str]) -> bool:
        if isinstance(e, ir.Call) and e.name == "nonsensitive":
            return False  # the user explicitly declassified this value
        if not self.sensitive_vars and not self.sensitive_locals and not self.sensitive_module_outputs:
            calls = calls_in(e)
            return "sensitive" in calls and "nonsensitive" not in calls
        for ref, _l, _c in references(e, bound):
            if ref[0] == "var" and ref[1] in self.sensitive_vars:
                return True
            if ref[0] == "local" and ref[1] in self.sensitive_locals:
                return True
            if ref[0] == "module" and any(c == ref[1] and (ref[2] is None or o == ref[2])
                                          for c, o in self.sensitive_module_outputs):
                return True
        calls = calls_in(e)
        return "sensitive" in calls and "nonsensitive" not in calls

    # -- variables -------------------------------------------------------------------------------
    def parse_variable_specs(self) -> None:
        """Types and flags of this module's variables: static, shared by every instance."""
        specs = self.var_specs
        for name, b in self.m.variables.items():
            fn = b.filename
            for a in b.body.attributes:
                if a.name not in VARIABLE_ARGS:
                    self.bag.add("Unsupported argument", SourcePos(fn, a.line, a.col),
                                 detail=f'An argument named "{a.name}" is not expected in a variable block.',
                                 hint="variables accept: " + ", ".join(sorted(VARIABLE_ARGS)))
            spec = ANY
            t = b.body.attr("type")
            if t is not None:
                try:
                    spec = parse_type(t.expr, eval_default=lambda x: self.ev.ev(x, Scope(_no_refs_root(
                        "A type default"))))
                except TypeExprError as x:
                    self.bag.add("Invalid type specification", SourcePos(fn, x.line, x.col), detail=str(x))
                except EvalError as x:
                    self.err(fn, x)
            specs[name] = spec
            self.var_flags[name] = self._variable_flags(b)

    def _variable_flags(self, b: ir.Block) -> dict[str, bool]:
        fn = b.filename
        body = b.body
        flags = {}
        for flag in ("sensitive", "nullable"):
            a = body.attr(flag)
            if a is None:
                flags[flag] = flag == "nullable"
                continue
            try:
                v = self.ev.ev(a.expr, Scope(_no_refs_root(f"The {flag} argument")))
                if not isinstance(v, bool):
                    raise EvalError(f"Invalid {flag} value", f'"{flag}" must be true or false.',
                                    a.line, a.col)
                flags[flag] = v
            except EvalError as x:
                self.err(fn, x)
                flags[flag] = flag == "nullable"
        return flags

    def eval_variables(self, var_args: Sequence[str], var_files: Sequence[str]) -> None:
        """The root module's variables, from -var, -var-file, tfvars files and TF_VAR_."""
        self.parse_variable_specs()
        inputs = self._collect_inputs(var_args, var_files, self.var_specs)
        for name, b in self.m.variables.items():
            fn = b.filename
            body = b.body
            if self.var_flags[name]["sensitive"]:
                self.sensitive_vars.add(name)
            vpos = SourcePos(fn, b.line, b.col)
            if name in inputs:
                value, src_pos = inputs[name]
            else:
                d = body.attr("default")
                if d is None:
                    self.bag.add("No value for required variable", vpos,
                                 detail=f'The root module input variable "{name}" is not set, and has no '
                                        "default value.",
                                 hint=f'use -var "{name}=..." , a terraform.tfvars file, or TF_VAR_{name}')
                    self.var_values[name] = UNKNOWN
                    continue
                try:
                    value = self.ev.ev(d.expr, Scope(_no_refs_root("A variable default")))
                except EvalError as x:
                    self.err(fn, x)
                    self.var_values[name] = UNKNOWN
                    continue
                src_pos = SourcePos(fn, d.line, d.col)
            self._set_variable(name, b, value, src_pos)
        self.config.variables = {k: strip_sets(v) for k, v in self.var_values.items()}
        self.config.sensitive_variables = set(self.sensitive_vars)

    def _set_variable(self, name: str, b: ir.Block, value: Any, src_pos: SourcePos | None) -> None:
        """Convert to the declared type, check nullability and validation rules, and keep the value."""
        spec = self.var_specs.get(name, ANY)
        vpos = SourcePos(b.filename, b.line, b.col)
        try:
            value = convert(value, spec)
        except ConversionError as x:
            self.bag.add("Invalid value for input variable", src_pos,
                         detail=f'The given value is not suitable for var.{name} declared at {vpos}: {x}.',
                         hint=f"the variable's type is {_type_text(spec)}")
            self.var_values[name] = UNKNOWN
            return
        if value is None and not self.var_flags[name]["nullable"]:
            self.bag.add("Required variable not set", src_pos,
                         detail=f'The variable "{name}" is non-nullable but its value is null.')
            self.var_values[name] = UNKNOWN
            return
        self.var_values[name] = value
        given_by_caller = self.parent is not None and src_pos is not None and src_pos.filename != b.filename
        self._validate_variable(name, b, value, src_pos if given_by_caller else None)

    def eval_child_variable(self, name: str) -> None:
        """A child module's variable: the call's argument, evaluated in the caller's scope, or the default."""
        b = self.m.variables[name]
        if ("var", name) in self.bad_nodes:
            self.var_values[name] = UNKNOWN
            return
        parent = self.parent
        assert parent is not None
        call = parent.m.calls[self.path[-1][0]]
        a = call.body.attr(name)
        if self.var_flags[name]["sensitive"]:
            self.sensitive_vars.add(name)
        if a is not None:
            try:
                value = parent.ev.ev(a.expr, Scope(parent.root, self.call_bindings))
            except EvalError as x:
                self.err(call.filename, x)
                self.var_values[name] = UNKNOWN
                return
            if parent.is_sensitive(a.expr, frozenset(self.call_bindings)):
                self.sensitive_vars.add(name)
            src_pos = SourcePos(call.filename, a.line, a.col)
        else:
            d = b.body.attr("default")
            if d is None:  # reported once, statically, by check_call
                self.var_values[name] = UNKNOWN
                return
            try:
                value = self.ev.ev(d.expr, Scope(_no_refs_root("A variable default")))
            except EvalError as x:
                self.err(b.filename, x)
                self.var_values[name] = UNKNOWN
                return
            src_pos = SourcePos(b.filename, d.line, d.col)
        d = b.body.attr("default")
        if value is None and a is not None and not self.var_flags[name]["nullable"] and d is not None:
            try:  # Terraform: null given to a non-nullable variable means "use the default"
                value = self.ev.ev(d.expr, Scope(_no_refs_root("A variable default")))
            except EvalError as x:
                self.err(b.filename, x)
        self._set_variable(name, b, value, src_pos)

    def _validate_variable(self, name: str, b: ir.Block, value: Any, at: SourcePos | None = None) -> None:
        """``at``: where a child module's value was given (the caller's argument), reported instead of
        the rule, as Terraform does."""
        fn = b.filename
        for vb in b.body.blocks_of("validation"):
            cond = vb.body.attr("condition")
            msg = vb.body.attr("error_message")
            if cond is None or msg is None:
                self.bag.add("Invalid validation block", SourcePos(fn, vb.line, vb.col),
                             detail="A validation block needs both condition and error_message.")
                continue

            foreign = [(r, ln, c) for r, ln, c in references(cond.expr)
                       if r[0] != "var" or r[1] != name]
            for ref, ln, c in foreign:
                self.bag.add("Invalid reference in variable validation", SourcePos(fn, ln, c),
                             detail=f'The condition for variable "{name}" can only refer to the variable '
                                    f"itself, using var.{name}; it refers to {_ref_text(ref)}.")
            if foreign:
                continue

            def root(n: ir.Name, _name=name, _value=value) -> Any:
                if n.name == "var":
                    return {_name: _value}
                raise EvalError("Invalid reference in variable validation", f'The condition for variable '
                                f'"{_name}" can only refer to the variable itself, using var.{_name}.',
                                n.line, n.col)
            try:
                ok = self.ev.ev(cond.expr, Scope(root))
                if ok is UNKNOWN:
                    continue
                if not isinstance(ok, bool):
                    raise EvalError("Invalid validation result", f"The condition must produce true or false, "
                                    f"not {type_of(ok)}.", cond.line, cond.col)
                if not ok:
                    text = self.ev.ev(msg.expr, Scope(root))
                    self.bag.add("Invalid value for variable", at or SourcePos(fn, cond.line, cond.col),
                                 detail=f"{text}\nThis was checked by the validation rule at "
                                        f"{fn}:{vb.line},{vb.col}.",
                                 hint=f"change the value given for var.{name}")
            except EvalError as x:
                self.err(fn, x)

    def _collect_inputs(self, var_args: Sequence[str], var_files: Sequence[str],
                        specs: dict[str, tuple]) -> dict[str, tuple[Any, SourcePos | None]]:
        """Terraform's precedence, lowest first: TF_VAR_, terraform.tfvars(.json), *.auto.tfvars, CLI."""
        inputs: dict[str, tuple[Any, SourcePos | None]] = {}

        def raw_value(name: str, text: str, pos: SourcePos) -> Any:
            spec = specs.get(name, ANY)
            if not needs_hcl_parse(spec):
                return text
            if limits.too_deep(text) is not None:  # the parser would recurse until Python gives up
                self.bag.add("Invalid value for input variable", pos,
                             detail=f"The value given for var.{name} nests brackets more than "
                                    f"{limits.MAX_NESTING} levels deep; clbplan's limit is "
                                    f"{limits.MAX_NESTING} levels.", hint=limits.HINT)
                return None
            try:
                e = parse_expression(text)
                return self.ev.ev(e, Scope(_no_refs_root("A variable value")))
            except (SyntaxProblem, EvalError) as x:
                self.bag.add("Invalid value for input variable", pos,
                             detail=f'The value given for var.{name} is not a valid expression for type '
                                    f"{_type_text(spec)}: {x.detail}")
                return None

        for k, v in sorted(self.env.items()):
            if k.startswith("TF_VAR_"):
                name = k[len("TF_VAR_"):]
                if name in self.m.variables:
                    pos = SourcePos(f"<value for var.{name} from {k}>", 1, 1)
                    inputs[name] = (raw_value(name, v, pos), pos)
        root = Path(self.m.directory or ".")
        auto: list[Path] = []
        for fixed in ("terraform.tfvars", "terraform.tfvars.json"):
            if (root / fixed).is_file():
                auto.append(root / fixed)
        if root.is_dir():
            auto.extend(sorted(p for p in root.iterdir() if p.is_file() and (
                p.name.endswith(".auto.tfvars") or p.name.endswith(".auto.tfvars.json"))))
        for p in auto:
            self._load_tfvars(display_path(self.m.directory, p.name), p, inputs, strict=False)
        for f in var_files:
            self._load_tfvars(f, Path(f), inputs, strict=True)
        for arg in var_args:
            if "=" not in arg:
                self.bag.add("Invalid -var option", None,
                             detail=f'The given -var option {arg!r} is not correctly specified. It must be a '
                                    "variable name and value separated by an equals sign, like -var key=value.")
                continue
            name, text = arg.split("=", 1)
            name = name.strip()
            if name not in self.m.variables:
                self.bag.add("Value for undeclared variable", None,
                             detail=f'A variable named "{name}" was assigned on the command line, but the root '
                                    "module does not declare a variable of that name.",
                             hint=f'declare it with variable "{name}" {{}}')
                continue
            pos = SourcePos(f"<value for var.{name} from -var>", 1, 1)
            inputs[name] = (raw_value(name, text, pos), pos)
        return inputs

    def _load_tfvars(self, disp: str, path: Path, inputs: dict, strict: bool) -> None:
        """Undeclared names are warnings, as in Terraform; ``strict`` files must exist."""
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as e:
            self.bag.add("Failed to read variables file", None,
                         detail=f'Given variables file {disp} does not exist or cannot be read: {e.strerror}.')
            return
        except UnicodeDecodeError as e:
            self.bag.add("Invalid file encoding", SourcePos(disp, 1, 1),
                         detail=f"The variables file is not valid UTF-8 (byte {e.start}).", hint="save the file as UTF-8")
            return
        deep = limits.too_deep(text)
        if deep is not None:
            self.bag.add("Expression too deeply nested", SourcePos(disp, *deep),
                         detail=f"Brackets, braces and parentheses nest more than {limits.MAX_NESTING} levels "
                                f"deep here; clbplan's limit is {limits.MAX_NESTING} levels.", hint=limits.HINT)
            return
        if path.name.endswith(".json"):
            try:
                data = json.loads(text)
            except json.JSONDecodeError as e:
                self.bag.add("Invalid JSON in variables file", SourcePos(disp, e.lineno, e.colno), detail=e.msg)
                return
            except ValueError as e:  # a number of more than 4,300 digits
                self.bag.add("Invalid JSON in variables file", SourcePos(disp, 1, 1), detail=str(e).split(";")[0])
                return
            if not isinstance(data, dict):
                self.bag.add("Invalid variables file", SourcePos(disp, 1, 1),
                             detail="The root of a .tfvars.json file must be an object.")
                return
            items = [(k, v, SourcePos(disp, 1, 1)) for k, v in data.items()]
        else:
            try:
                body = parse_text(text)
            except SyntaxProblem as p:
                self.bag.add(p.summary, SourcePos(disp, p.line, p.col), detail=p.detail, hint=p.hint)
                return
            items = []
            for b in body.blocks:
                self.bag.add("Unexpected block in variables file", SourcePos(disp, b.line, b.col),
                             detail="A variables file holds only NAME = VALUE assignments.")
            for a in body.attributes:
                try:
                    items.append((a.name, self.ev.ev(a.expr, Scope(_no_refs_root("A variables file"))),
                                  SourcePos(disp, a.line, a.col)))
                except EvalError as x:
                    self.err(disp, x)
        for name, value, pos in items:
            if name not in self.m.variables:
                self.bag.add("Value for undeclared variable", pos,
                             detail=f'The variables file assigns "{name}", but the configuration does not '
                                    "declare a variable of that name.",
                             hint=f'declare it with variable "{name}" {{}}, or remove the line',
                             severity="warning")
                continue
            inputs[name] = (value, pos)

    # -- dependency graph ------------------------------------------------------------------------
    def body_refs(self, body: ir.Body, bound: frozenset[str], top: bool) -> list:
        out: list = []
        for a in body.attributes:
            if top and a.name in ("depends_on", "provider"):
                continue
            out.extend(references(a.expr, bound))
        for b in body.blocks:
            if top and b.type in RESOURCE_META_BLOCKS:
                continue
            if b.type == "dynamic" and b.labels:
                it = b.body.attr("iterator")
                it_name = it.expr.name if it is not None and isinstance(it.expr, ir.Name) else b.labels[0]
                fe = b.body.attr("for_each")
                if fe is not None:
                    out.extend(references(fe.expr, bound))
                for cb in b.body.blocks_of("content"):
                    out.extend(self.body_refs(cb.body, bound | {it_name}, False))
                for cb in b.body.blocks_of("dynamic"):
                    sub = ir.Body(blocks=[cb])
                    out.extend(self.body_refs(sub, bound | {it_name}, False))
            else:
                out.extend(self.body_refs(b.body, bound, False))
        return out

    def build_order(self) -> list[tuple]:
        """(root) Analyse every module statically and order all their nodes in one graph.

        Graph nodes are (static module path, node); node is ("local", name), ("resource"|"data", type,
        name), and in child modules also ("var", name) and ("output", name); ("call", name) expands a
        module call, and comes before every node of the module it calls.
        """
        g = nx.DiGraph()
        where: dict[tuple, tuple[str, int, int]] = {}
        self.protos: dict[tuple[str, ...], ModuleEvaluator] = {}
        self.instances: dict[tuple[str, ...], list[ModuleEvaluator]] = {(): [self]}
        self.by_path: dict[ModulePath, ModuleEvaluator] = {(): self}
        stack: list[ModuleEvaluator] = [self]
        while stack:
            ev = stack.pop()
            self.protos[ev.m.path] = ev
            for name in sorted(ev.m.children):
                child = ModuleEvaluator(ev.m.children[name], self.env, self.resolver, top=self)
                child.parse_variable_specs()
                stack.append(child)
        for sp in sorted(self.protos, key=lambda p: (-len(p), p)):  # callees first
            self.protos[sp]._static_build(g, where)
        for sp, node in list(g.nodes):
            if sp and (sp[:-1], ("call", sp[-1])) in g:
                g.add_edge((sp[:-1], ("call", sp[-1])), (sp, node))
        for comp in nx.strongly_connected_components(g):
            if len(comp) > 1 or any(g.has_edge(x, x) for x in comp):
                sub = g.subgraph(comp)
                cyc = nx.find_cycle(sub)
                names = [_node_text(e[0]) for e in cyc] + [_node_text(cyc[0][0])]
                first = min(comp, key=lambda x: where.get(x, ("", 0, 0)))
                fn, line, col = where.get(first, ("", 1, 1))
                self.bag.add("Cycle: " + " -> ".join(names), SourcePos(fn, line, col),
                             detail="These objects refer to each other, so none of them can be evaluated first.",
                             hint="break the cycle by removing one of the references")
                for sp, node in comp:
                    self.protos[sp].bad_nodes.add(node)
        order = list(nx.topological_sort(g)) if nx.is_directed_acyclic_graph(g) else _acyclic_order(g)
        self.graph = g
        return order

    def _static_build(self, g: nx.DiGraph, where: dict) -> None:
        """This module's nodes, their references (checked once) and the edges they make."""
        sp = self.m.path
        for name, (a, fn) in self.m.locals.items():
            node = ("local", name)
            g.add_node((sp, node))
            where[(sp, node)] = (fn, a.line, a.col)
            self.node_refs[node] = references(a.expr)
        for (t, n), b in self.m.resources.items():
            node = ("resource", t, n)
            g.add_node((sp, node))
            where[(sp, node)] = (b.filename, b.line, b.col)
            explicit = self._depends_on_refs(b)
            self.explicit_deps[node] = [r[0] for r in explicit]
            self.node_refs[node] = self.body_refs(b.body, frozenset(), True) + explicit
        for (t, n), b in self.m.data.items():
            node = ("data", t, n)
            g.add_node((sp, node))
            where[(sp, node)] = (b.filename, b.line, b.col)
            explicit = self._depends_on_refs(b)
            self.explicit_deps[node] = [r[0] for r in explicit]
            self.node_refs[node] = self.body_refs(b.body, frozenset(), True) + explicit
        if sp:  # a child module's variables and outputs are nodes its caller's references go through
            for name, b in self.m.variables.items():
                g.add_node((sp, ("var", name)))
                where[(sp, ("var", name))] = (b.filename, b.line, b.col)
            for name, b in self.m.outputs.items():
                node = ("output", name)
                g.add_node((sp, node))
                where[(sp, node)] = (b.filename, b.line, b.col)
                v = b.body.attr("value")
                if v is None:
                    self.bag.add("Missing required argument", SourcePos(b.filename, b.line, b.col),
                                 detail='The argument "value" is required in an output block.')
                    self.bad_nodes.add(node)
                explicit = self._depends_on_refs(b)
                self.node_refs[node] = (references(v.expr) if v is not None else []) + explicit
        for name, b in self.m.calls.items():
            self._static_call(name, b, g, where)
        for node, refs in list(self.node_refs.items()):
            if node[0] == "arg":  # a call's argument feeds the child's variable node
                call = self.m.calls[node[1]]
                target = ((*sp, node[1]), ("var", node[2]))
                fn, block = call.filename, call
            else:
                target = (sp, node)
                fn, block = where[target][0], self._block_of(node)
            explicit = self.explicit_deps.get(node, ())
            for ref, line, col in refs:
                got = self._check_ref(ref, line, col, fn, block)
                if got is False:
                    if node[0] == "arg":
                        self.top.protos[target[0]].bad_nodes.add(target[1])
                    else:
                        self.bad_nodes.add(node)
                elif got is None:
                    continue
                elif got[0] == "@module":
                    csp = (*sp, got[1])
                    outs = [got[2]] if got[2] else list(self.m.children[got[1]].outputs)
                    g.add_edge((sp, ("call", got[1])), target)
                    for o in outs:
                        g.add_edge((csp, ("output", o)), target)
                    if got[2] is None and ref in explicit:  # depends_on = [module.x]: all of it first
                        for other in list(g.nodes):
                            if other[0][:len(csp)] == csp and other[1][0] in ("resource", "data"):
                                g.add_edge(other, target)
                else:
                    g.add_edge((sp, got), target)

    def _static_call(self, name: str, b: ir.Block, g: nx.DiGraph, where: dict) -> None:
        """A module call: its node, arguments checked against the child's variables, required ones present."""
        sp = self.m.path
        node = ("call", name)
        g.add_node((sp, node))
        where[(sp, node)] = (b.filename, b.line, b.col)
        refs: list = []
        for meta in ("count", "for_each"):
            a = b.body.attr(meta)
            if a is not None:
                refs.extend(references(a.expr))
        explicit = self._depends_on_refs(b)
        self.explicit_deps[node] = [r[0] for r in explicit]
        self.node_refs[node] = refs + explicit
        child = self.m.children.get(name)
        if child is None:  # not loaded: the loader reported why
            self.bad_nodes.add(node)
            return
        for blk in b.body.blocks:
            self.bag.add("Unsupported block type", SourcePos(b.filename, blk.line, blk.col),
                         detail=f'Blocks of type "{blk.type}" are not expected in a module block.')
        for a in b.body.attributes:
            if a.name in CALL_META:
                continue
            if a.name not in child.variables:
                self.bag.add("Unsupported argument", SourcePos(b.filename, a.line, a.col),
                             detail=f'An argument named "{a.name}" is not expected here: module "{name}" '
                                    f"({child.source_dir}) declares no variable of that name.",
                             hint=f'declare variable "{a.name}" {{}} in the module, or remove the argument')
                continue
            self.node_refs[("arg", name, a.name)] = references(a.expr)
        proto = self.top.protos[(*sp, name)]
        for v, vb in child.variables.items():
            if vb.body.attr("default") is None and b.body.attr(v) is None:
                self.bag.add("Missing required argument", SourcePos(b.filename, b.line, b.col),
                             detail=f'The argument "{v}" is required, but no definition was found: module "{name}" '
                                    f"declares variable \"{v}\" at {vb.filename}:{vb.line} without a default.",
                             hint=f'set {v} = ... in module "{name}"')
                proto.bad_nodes.add(("var", v))
        for o, ob in child.outputs.items():
            sa = ob.body.attr("sensitive")
            if sa is not None and isinstance(sa.expr, ir.Lit) and sa.expr.value is True:
                self.sensitive_module_outputs.add((name, o))

    def _block_of(self, node: tuple) -> ir.Block | None:
        if node[0] == "resource":
            return self.m.resources[(node[1], node[2])]
        if node[0] == "data":
            return self.m.data[(node[1], node[2])]
        if node[0] == "call":
            return self.m.calls[node[1]]
        return None

    def _where(self) -> str:
        return "the root module" if not self.m.path else "module." + ".module.".join(self.m.path)

    def _check_ref(self, ref: tuple, line: int, col: int, fn: str, block: ir.Block | None):
        """Validate one reference; the graph node it depends on, None (no node), or False (error)."""
        kind = ref[0]
        pos = SourcePos(fn, line, col)
        if kind == "var":
            if ref[1] is None or ref[1] not in self.m.variables:
                close = _did_you_mean(ref[1], self.m.variables)
                self.bag.add("Reference to undeclared input variable", pos,
                             detail=f'An input variable with the name "{ref[1]}" has not been declared.{close}',
                             hint=f'declare it with variable "{ref[1]}" {{}}' if ref[1] and not close else
                             "" if ref[1] else "write var.NAME")
                return False
            return ("var", ref[1]) if self.m.path else None
        if kind == "local":
            if ref[1] is None or ref[1] not in self.m.locals:
                close = _did_you_mean(ref[1], self.m.locals)
                self.bag.add("Reference to undeclared local value", pos,
                             detail=f'A local value with the name "{ref[1]}" has not been declared.{close}',
                             hint="" if close else "declare it in a locals block" if ref[1] else "write local.NAME")
                return False
            return ("local", ref[1])
        if kind in ("resource", "data"):
            t, n = ref[1], ref[2]
            table = self.m.resources if kind == "resource" else self.m.data
            if t is None or n is None:
                self.bag.add("Invalid reference", pos,
                             detail="A reference to a resource type must be followed by at least one attribute "
                                    "access, specifying the resource name.")
                return False
            if (t, n) not in table:
                what = "managed resource" if kind == "resource" else "data resource"
                prefix = "" if kind == "resource" else "data."
                close = _did_you_mean(n, [name for (typ, name) in table if typ == t])
                self.bag.add("Reference to undeclared resource", pos,
                             detail=f'A {what} "{t}" "{n}" has not been declared in {self._where()}.{close}',
                             hint="" if close else f"declare it, or check the spelling of {prefix}{t}.{n}")
                return False
            return (kind, t, n)
        if kind in ("count", "each"):
            meta = "count" if kind == "count" else "for_each"
            if block is None or block.body.attr(meta) is None:
                self.bag.add(f'Reference to "{kind}" in non-{"counted" if kind == "count" else "for_each"} '
                             "context", pos,
                             detail=f'"{kind}" is only available in resource and data blocks that set {meta}.')
                return False
            return None
        if kind == "module":
            call, out = ref[1], ref[2]
            if call is None or call not in self.m.calls:
                self.bag.add("Reference to undeclared module", pos,
                             detail=f'No module call named "{call}" is declared in {self._where()}.' if call else
                             "A reference to module must name the module call: module.NAME.OUTPUT.",
                             hint=f'declare it with module "{call}" {{ source = "..." }}' if call else "")
                return False
            child = self.m.children.get(call)
            if child is None:
                return False  # not loaded; the loader said why
            if out is not None and out not in child.outputs:
                declared = ", ".join(sorted(child.outputs)) or "none"
                self.bag.add("Unsupported attribute", pos,
                             detail=f'This object does not have an attribute named "{out}": module "{call}" '
                                    f"({child.source_dir}) declares no output of that name.",
                             hint=f"its outputs are: {declared}")
                return False
            return ("@module", call, out)
        if kind == "self":
            self.bag.add("Invalid \"self\" reference", pos,
                         detail='"self" can only be used in provisioner and connection blocks.')
            return False
        return None

    def _unquote(self, e: ir.Expr, filename: str) -> ir.Expr:
        """A quoted reference (``"alicloud_x.y"``, ``"alicloud.bj"``) read as the reference, with
        Terraform's deprecation warning; anything else is returned as it is."""
        if not (isinstance(e, ir.Lit) and isinstance(e.value, str)) or not e.value:
            return e
        try:
            parsed = parse_expression(e.value, e.line)
        except SyntaxProblem:
            return e
        if not isinstance(parsed, (ir.Name, ir.GetAttr, ir.Index)):
            return e
        _move_to(parsed, e.line, e.col)
        self.bag.add("Quoted references are deprecated", SourcePos(filename, e.line, e.col),
                     detail=QUOTED_REFERENCE_DETAIL, severity="warning")
        return parsed

    def _depends_on_refs(self, b: ir.Block) -> list:
        a = b.body.attr("depends_on")
        if a is None:
            return []
        items = a.expr.items if isinstance(a.expr, ir.TupleExpr) else None
        if items is None:
            self.bag.add("Invalid depends_on", SourcePos(b.filename, a.line, a.col),
                         detail="depends_on must be a list of resource references, like [alicloud_x.y].")
            return []
        out = []
        for it in items:
            it = self._unquote(it, b.filename)
            refs = references(it)
            if len(refs) != 1 or refs[0][0][0] not in ("resource", "data", "module"):
                self.bag.add("Invalid depends_on reference", SourcePos(b.filename, it.line, it.col),
                             detail="Each depends_on item must be a resource or data source reference, like "
                                    "alicloud_slb_load_balancer.web.")
                continue
            out.append(refs[0])
        return out

    # -- locals ----------------------------------------------------------------------------------
    def eval_local(self, name: str) -> None:
        a, fn = self.m.locals[name]
        self.local_order.append(name)
        if ("local", name) in self.bad_nodes:
            self.local_values[name] = UNKNOWN
            return
        try:
            self.local_values[name] = _within_limits(self.ev.compiled(a.expr)(Scope(self.root)), a)
        except EvalError as x:
            self.err(fn, x)
            self.local_values[name] = UNKNOWN
        if self.is_sensitive(a.expr):
            self.sensitive_locals.add(name)

    # -- resources -------------------------------------------------------------------------------
    def expand(self, b: ir.Block) -> list[tuple[Any, dict]] | None:
        fn = b.filename
        count = b.body.attr("count")
        fe = b.body.attr("for_each")
        if count is not None and fe is not None:
            self.bag.add("Invalid combination of \"count\" and \"for_each\"", SourcePos(fn, fe.line, fe.col),
                         detail='The "count" and "for_each" meta-arguments are mutually-exclusive; only one '
                                "may be used to be explicit about the number of resources to be created.")
            return None
        try:
            if count is not None:
                v = self.ev.ev(count.expr, Scope(self.root))
                if contains_unknown(v):
                    raise EvalError("Invalid count argument", 'The "count" value depends on resource '
                                    "attributes that cannot be determined until apply, so clbplan cannot "
                                    "predict how many instances will be created.", count.line, count.col,
                                    hint="use a value known at plan time, e.g. from a variable")
                if isinstance(v, str):
                    try:
                        v = convert(v, ("number",))
                    except ConversionError:
                        pass
                # (a whole number is finite however large: 1e400 is an int here, and math.isfinite would overflow)
                if isinstance(v, bool) or not isinstance(v, (int, float)) or \
                        (isinstance(v, float) and not math.isfinite(v)) or v != int(v):
                    raise EvalError("Invalid count argument", f'The given "count" argument value is unsuitable: '
                                    f"a whole number is required, but a {type_of(v)} was given.",
                                    count.line, count.col)
                if v < 0:
                    raise EvalError("Invalid count argument", 'The given "count" argument value is unsuitable: '
                                    "must be greater than or equal to zero.", count.line, count.col)
                _check_instances(int(v), '"count"', count)
                return [(i, {"count": {"index": i}}) for i in range(int(v))]
            if fe is not None:
                v = self.ev.ev(fe.expr, Scope(self.root))
                if v is UNKNOWN or (isinstance(v, (SetValue, dict)) and any(
                        k is UNKNOWN for k in (v if isinstance(v, SetValue) else v.keys()))):
                    raise EvalError("Invalid for_each argument", 'The "for_each" value depends on resource '
                                    "attributes that cannot be determined until apply, so clbplan cannot "
                                    "predict how many instances will be created.", fe.line, fe.col,
                                    hint="use keys known at plan time, e.g. from a variable")
                if isinstance(v, (dict, SetValue)):
                    _check_instances(len(v), '"for_each"', fe)
                if isinstance(v, dict):
                    return [(k, {"each": {"key": k, "value": v[k]}}) for k in sorted(v)]
                if isinstance(v, SetValue):
                    if not all(isinstance(x, str) for x in v):
                        raise EvalError("Invalid for_each set argument", 'The given "for_each" argument value is '
                                        'unsuitable: "for_each" supports sets of strings, but you have provided '
                                        "a set containing other types.", fe.line, fe.col,
                                        hint="convert elements with tostring() or use a map")
                    return [(k, {"each": {"key": k, "value": k}}) for k in v]
                raise EvalError("Invalid for_each argument", 'The given "for_each" argument value is unsuitable: '
                                'the "for_each" argument must be a map, or set of strings, and you have '
                                f"provided a value of type {type_of(v)}.", fe.line, fe.col,
                                hint="wrap a list with toset(...)" if isinstance(v, list) else "")
        except EvalError as x:
            self.err(fn, x)
            return None
        return [(None, {})]

    def eval_resource(self, node: tuple) -> None:
        mode = "managed" if node[0] == "resource" else "data"
        t, n = node[1], node[2]
        b = self._block_of(node)
        assert b is not None
        table = self.res_by_type if mode == "managed" else self.data_by_type
        by_name = table.setdefault(t, {})
        if node in self.bad_nodes:
            by_name[n] = UNKNOWN
            return
        keys = self.expand(b)
        if keys is None:
            by_name[n] = UNKNOWN
            return
        self.instance_keys[(mode, t, n)] = [k for k, _ in keys]
        lifecycle = self._lifecycle(b)
        provider = self._provider(b)
        deps, per_instance_deps = self._dependencies(node)
        key_refs = self._key_refs(per_instance_deps)
        values: dict = {}
        ev = self.ev
        # each instance's address object is the one its dependents' depends_on sets hold (see
        # _key_refs): the configuration's maps then find them by identity, not by field comparison
        addrs = self._dep_addrs.setdefault((mode, t, n), {})
        root = self.root
        memo = _BlockMemoRun.start(self, node, t, n, key_refs) if mode == "managed" else None
        ev.fold, ev.fold_root = {}, root  # nothing the loop evaluates changes what the block reads
        try:
            for key, bindings in keys:
                addr = addrs.get(key)
                if addr is None or addr.key != key or type(addr.key) is not type(key):
                    addr = addrs[key] = ResourceAddress(t, n, key, mode, self.path)
                self.meta[addr] = _InstanceMeta(b, bindings)
                inst = memo.remembered(key, addr, b, lifecycle) if memo is not None else None
                if inst is None:
                    scope = Scope(root, bindings)
                    if per_instance_deps:  # keep the index keys the body evaluates in this scope
                        ev.key_scope, ev.key_values = scope, {}
                    try:
                        inst = self._eval_instance(addr, b, bindings, scope, lifecycle=lifecycle)
                    finally:
                        ev.key_scope = None
                    if memo is not None:
                        memo.evaluated(key, inst)
                if inst is None:
                    values[key] = UNKNOWN
                    continue
                inst.depends_on = self._instance_dependencies(deps, key_refs, bindings)
                inst.lifecycle = lifecycle
                inst.provider = provider
                if mode == "managed":
                    self.config.resources[addr] = inst
                    value = memo.planned(key, inst) if memo is not None else None
                    if value is None:
                        value = self.resolver(inst)
                        if memo is not None:
                            memo.note_planned(key, inst)
                    values[key] = self.complete(inst, value)
                else:
                    self.config.data_sources[addr] = inst
                    values[key] = self.complete(inst, self._read_data(inst))
        finally:
            ev.fold = ev.fold_root = None
        if memo is not None:
            memo.finish(len(keys))
        if keys == [(None, {})]:
            by_name[n] = values.get(None, UNKNOWN)
        elif b.body.attr("count") is not None:
            by_name[n] = [values[k] for k, _ in keys]
        else:
            by_name[n] = {k: values[k] for k, _ in keys}

    def _read_data(self, inst: ResourceInstance) -> Any:
        reader = self.top.data_reader
        if reader is not None and inst.type.startswith("alicloud_") and not contains_unknown(inst.attributes):
            try:
                written = {path[0] for path in inst.positions if path}  # not the schema's defaults
                got = reader(inst.type, inst.attributes, self.top.provider_config(inst.provider), written=written)
                if self.ev.inputs is not None:
                    self.ev.inputs.cloud_data(inst.type, inst.attributes, inst.provider, written, got)
            except DiagnosticsError:
                raise  # the cloud refused our keys or cannot be reached: the run's error, not this block's
            except Exception as e:  # noqa: BLE001 - a reader failure is the user's diagnostic
                self.bag.add("Failed to read data source", inst.pos, detail=f"{inst.address}: {_reason(e)}",
                             hint="check the data source's arguments and the provider's region")
                got = None
            if got is not None:
                out = dict(inst.attributes)
                note = got.pop(LOOKUP_NOTE, None)
                out.update(got)
                if note:  # an index into an empty result list says why it is empty
                    for k, v in out.items():
                        if isinstance(v, list) and not v and k not in inst.attributes:
                            out[k] = EmptyLookup(f"{inst.address}: {note}")
                return out
            return self.default_resolver(inst)
        if self.read_data is not None and not contains_unknown(inst.attributes):
            try:
                got = self.read_data(inst.type, inst.attributes)
                if self.ev.inputs is not None:
                    self.ev.inputs.local_data(inst.type, inst.attributes, got)
            except Exception as e:  # noqa: BLE001 - a reader failure is the user's diagnostic
                self.bag.add("Failed to read data source", inst.pos, detail=f"{inst.address}: {e}")
                got = None
            if got is not None:
                out = dict(inst.attributes)
                out.update(got)
                return out
        return self.default_resolver(inst)

    def _eval_instance(self, addr: ResourceAddress, b: ir.Block, bindings: dict, scope: Scope,
                       report: bool = True, lifecycle: Lifecycle | None = None) -> ResourceInstance | None:
        fn = b.filename
        positions: dict = {}
        sensitive: set[str] = set()
        before = len(self.bag.items)
        attrs = self._eval_body(b.body, scope, fn, (), positions, sensitive, True)
        if len(self.bag.items) > before and self.bag.has_errors and any(
                d.severity == "error" for d in self.bag.items[before:]):
            return None
        if not sensitive:
            sensitive = NO_NAMES
        inst = self._instance(addr, b, attrs, positions, sensitive, lifecycle)
        if self.conform is not None:
            try:
                diags = self.conform(inst) or []
            except Exception as e:  # noqa: BLE001 - never let a schema bug become a traceback
                diags = [Diagnostic("Schema check failed", inst.pos, f"{addr}: {e.__class__.__name__}: {e}")]
            if report:
                self.bag.extend(diags)
        inst.attributes = strip_sets(inst.attributes)
        # the instances of one block were written at the same places: one map for all of them (nothing
        # changes a map after this point), not one per instance (40 MB at 10,000 load balancers)
        last = self._positions_of.get(id(b))
        if last is not None and last[0] is b and last[1] == inst.positions:
            inst.positions = last[1]
        else:
            self._positions_of[id(b)] = (b, inst.positions)
        return inst

    def _instance(self, addr: ResourceAddress, b: ir.Block, attrs: dict, positions: dict, sensitive: Any,
                  lifecycle: Lifecycle | None) -> ResourceInstance:
        pos = self._attr_pos.get(id(b))  # one (immutable) position per block, shared by its instances
        if pos is None or pos[0] is not b or pos[1].filename != b.filename:
            pos = self._attr_pos[id(b)] = (b, SourcePos(b.filename, b.line, b.col))
        if lifecycle is None:
            return ResourceInstance(address=addr, attributes=attrs, pos=pos[1], positions=positions,
                                    sensitive=sensitive)
        return ResourceInstance(address=addr, attributes=attrs, pos=pos[1], positions=positions,
                                sensitive=sensitive, lifecycle=lifecycle)

    def _body_plan(self, body: ir.Body, fn: str, prefix: tuple, top: bool) -> _BodyPlan:
        """What evaluating ``body`` at ``prefix`` needs that is the same for every instance of its
        block, worked out once: the arguments (meta-arguments left out) each with its position key,
        its source position and its expression compiled to a closure; the nested blocks."""
        key = (id(body), fn, prefix, top)
        hit = self._body_plans.get(key)
        if hit is not None and hit.body is body:
            return hit
        args = []
        for a in body.attributes:
            if top and a.name in RESOURCE_META:
                continue
            pos = self._attr_pos.get(id(a))
            if pos is None or pos[0] is not a or pos[1].filename != fn:  # one (immutable) position per argument
                pos = self._attr_pos[id(a)] = (a, SourcePos(fn, a.line, a.col))
            args.append((a.expr, a.name, prefix + (a.name,), pos[1], self.ev.compiled(a.expr)))
        blocks = [blk for blk in body.blocks if not (top and blk.type in RESOURCE_META_BLOCKS)]
        plan = self._body_plans[key] = _BodyPlan(body, args, blocks, prefix[0] if prefix else None)
        return plan

    def _sensitive_args(self, plan: _BodyPlan, bound: frozenset[str]) -> tuple[bool, ...]:
        """For each of ``plan``'s arguments, whether its expression is sensitive in a scope binding ``bound``."""
        got = plan.sensitive.get(bound)
        if got is None:
            got = plan.sensitive[bound] = tuple(self.is_sensitive(e, bound) for e, _n, _p, _pos, _f in plan.args)
        return got

    def _eval_body(self, body: ir.Body, scope: Scope, fn: str, prefix: tuple, positions: dict,
                   sensitive: set[str], top: bool) -> dict:
        out: dict = {}
        plan = self._body_plan(body, fn, prefix, top)
        marked: tuple[bool, ...] | None = None
        for i, (_e, name, path, pos, compiled) in enumerate(plan.args):
            positions[path] = pos
            try:
                v = compiled(scope)
            except EvalError as x:
                self.err(fn, x)
                continue
            if marked is None:
                marked = self._sensitive_args(plan, frozenset(scope.bindings))
            if marked[i]:
                sensitive.add(plan.mark or name)
            if v is None:
                continue  # null means "not set"
            out[name] = v
        for blk in plan.blocks:
            if blk.type == "dynamic":
                self._dynamic(blk, scope, fn, prefix, positions, sensitive, out)
                continue
            lst = out.setdefault(blk.type, [])
            if lst is UNKNOWN:
                continue
            path = prefix + (blk.type, len(lst))
            pos = self._attr_pos.get(id(blk))  # one position object per nested block, as per argument
            if pos is None or pos[0] is not blk or pos[1].filename != fn:
                pos = self._attr_pos[id(blk)] = (blk, SourcePos(fn, blk.line, blk.col))
            positions[path] = pos[1]
            lst.append(self._eval_body(blk.body, scope, fn, path, positions, sensitive, False))
        return out

    def _dynamic(self, blk: ir.Block, scope: Scope, fn: str, prefix: tuple, positions: dict,
                 sensitive: set[str], out: dict) -> None:
        pos = SourcePos(fn, blk.line, blk.col)
        if len(blk.labels) != 1:
            self.bag.add("Invalid dynamic block", pos, detail='A dynamic block needs one label: the name of the '
                         'nested block to generate, e.g. dynamic "servers" { ... }.')
            return
        label = blk.labels[0]
        fe = blk.body.attr("for_each")
        contents = blk.body.blocks_of("content")
        if fe is None or len(contents) != 1:
            self.bag.add("Invalid dynamic block", pos, detail='A dynamic block needs a "for_each" argument and '
                         'exactly one "content" block.')
            return
        for a in blk.body.attributes:
            if a.name not in ("for_each", "iterator", "labels"):
                self.bag.add("Unsupported argument", SourcePos(fn, a.line, a.col),
                             detail=f'An argument named "{a.name}" is not expected in a dynamic block.')
        it = blk.body.attr("iterator")
        it_name = label
        if it is not None:
            if not isinstance(it.expr, ir.Name):
                self.bag.add("Invalid dynamic iterator name", SourcePos(fn, it.line, it.col),
                             detail="The iterator must be a bare name, like iterator = server.")
                return
            it_name = it.expr.name
        try:
            coll = self.ev.ev(fe.expr, scope)
        except EvalError as x:
            self.err(fn, x)
            return
        if coll is UNKNOWN:
            out[label] = UNKNOWN
            return
        if not isinstance(coll, (list, dict)):
            self.bag.add("Invalid dynamic for_each value", SourcePos(fn, fe.line, fe.col),
                         detail=f"Cannot use a {type_of(coll)} value in for_each; an iterable collection is "
                                "required.")
            return
        lst = out.setdefault(label, [])
        if lst is UNKNOWN:
            return
        items = [(k, coll[k]) for k in sorted(coll)] if isinstance(coll, dict) else \
            ([(v, v) for v in coll] if isinstance(coll, SetValue) else list(enumerate(coll)))
        content = contents[0]
        for k, v in items:
            inner = scope.child({it_name: {"key": k, "value": v}})
            path = prefix + (label, len(lst))
            positions[path] = SourcePos(fn, content.line, content.col)
            lst.append(self._eval_body(content.body, inner, fn, path, positions, sensitive, False))

    def _lifecycle(self, b: ir.Block) -> Lifecycle:
        lc = Lifecycle()
        fn = b.filename
        blocks = b.body.blocks_of("lifecycle")
        for extra in blocks[1:]:
            self.bag.add("Duplicate lifecycle block", SourcePos(fn, extra.line, extra.col),
                         detail=f"A lifecycle block was already declared at {fn}:{blocks[0].line},{blocks[0].col}. "
                                "Only one per resource is allowed.", hint="merge the two lifecycle blocks")
        for lb in blocks[:1]:
            for a in lb.body.attributes:
                pos = SourcePos(fn, a.line, a.col)
                if a.name in ("create_before_destroy", "prevent_destroy"):
                    try:
                        v = self.ev.ev(a.expr, Scope(_no_refs_root("A lifecycle setting")))
                    except EvalError as x:
                        self.err(fn, x)
                        continue
                    if not isinstance(v, bool):
                        self.bag.add(f"Invalid {a.name} value", pos, detail=f"{a.name} must be true or false.")
                        continue
                    setattr(lc, a.name, v)
                elif a.name == "ignore_changes":
                    e = a.expr
                    if isinstance(e, ir.Name) and e.name == "all":
                        lc.ignore_changes = ["*"]
                    elif isinstance(e, ir.TupleExpr):
                        names = []
                        for item in e.items:
                            item = self._unquote(item, fn)
                            head = item
                            while isinstance(head, (ir.GetAttr, ir.Index)):
                                head = head.obj
                            if isinstance(head, ir.Name):
                                names.append(head.name)
                            elif isinstance(head, ir.Lit) and isinstance(head.value, str):
                                names.append(head.value)
                            else:
                                self.bag.add("Invalid ignore_changes item", SourcePos(fn, item.line, item.col),
                                             detail="Each item must be an attribute name, like tags.")
                        lc.ignore_changes = names
                    else:
                        self.bag.add("Invalid ignore_changes", pos,
                                     detail="ignore_changes must be a list of attribute names, or all.")
                elif a.name in ("replace_triggered_by",):
                    continue
                else:
                    self.bag.add("Unsupported argument", pos,
                                 detail=f'An argument named "{a.name}" is not expected in a lifecycle block.',
                                 hint="lifecycle accepts create_before_destroy, prevent_destroy, ignore_changes")
        return lc

    def _provider(self, b: ir.Block) -> str:
        a = b.body.attr("provider")
        if a is None:
            from planner.schema.utility import implied_provider, is_utility_type

            if is_utility_type(b.labels[0]):
                return implied_provider(b.labels[0])
            return self.provider_map.get("alicloud", "alicloud")
        e = self._unquote(a.expr, b.filename)
        key = None
        if isinstance(e, ir.GetAttr) and isinstance(e.obj, ir.Name):
            key = f"{e.obj.name}.{e.name}"
        elif isinstance(e, ir.Name):
            key = e.name
        if key is None:
            self.bag.add("Invalid provider reference", SourcePos(b.filename, a.line, a.col),
                         detail="The provider argument must be a provider reference like alicloud.hz.")
            return "alicloud"
        if key not in self.provider_keys:
            self.bag.add("Provider configuration not present", SourcePos(b.filename, a.line, a.col),
                         detail=f"The provider {key} is referenced here but no provider block declares it.",
                         hint=f'add provider "alicloud" {{ alias = "{key.split(".")[-1]}" ... }}')
        return self.provider_map.get(key, key)

    def _inherit_providers(self, parent: ModuleEvaluator) -> dict[str, str]:
        """Which root provider configuration each provider key of this child stands for: the caller's
        default, and what the call's ``providers = { alicloud.x = alicloud.y }`` passes down."""
        out = dict.fromkeys(self.provider_keys, parent.provider_map.get("alicloud", "alicloud"))
        call = parent.m.calls[self.path[-1][0]]
        a = call.body.attr("providers")
        if a is None:
            return out
        fn = call.filename
        if not isinstance(a.expr, ir.ObjectExpr):
            self.bag.add("Invalid providers argument", SourcePos(fn, a.line, a.col),
                         detail="providers must be a map like { alicloud = alicloud.hz }.")
            return out
        for k, v in a.expr.items:
            kt, vt = _provider_ref_text(k), _provider_ref_text(v)
            if kt is None or vt is None:
                self.bag.add("Invalid providers argument", SourcePos(fn, v.line, v.col),
                             detail="Each item of providers maps a provider key of the module to one of the "
                                    "caller's, like alicloud = alicloud.hz.")
                continue
            if vt not in parent.provider_map:
                self.bag.add("Provider configuration not present", SourcePos(fn, v.line, v.col),
                             detail=f"The provider {vt} is passed to module \"{self.path[-1][0]}\" but no "
                                    "provider block declares it in the calling module.",
                             hint=f'add provider "alicloud" {{ alias = "{vt.split(".")[-1]}" ... }}')
                continue
            out[kt] = parent.provider_map[vt]
        return out

    def _dependencies(self, node: tuple) -> tuple[set[ResourceAddress], list[tuple]]:
        """What every instance of ``node`` depends on, and the references of the block itself whose
        instance key is an expression (``lb[each.key]``): ``_instance_dependencies`` resolves those
        per instance. Through locals a key cannot be resolved: those depend on every instance.
        References are followed through locals, into the caller for a child's variables, and into
        the called module for its outputs; ``depends_on`` of a module call holds for all it holds."""
        out: set[ResourceAddress] = set(self.inherited_deps)
        per_instance: list[tuple] = []
        seen: set[tuple] = set()
        stack: list[tuple[ModuleEvaluator, tuple]] = [(self, node)]
        while stack:
            ev, cur = stack.pop()
            explicit = ev.explicit_deps.get(cur, ())
            for ref, _l, _c in ev.node_refs.get(cur, []):
                kind = ref[0]
                if kind == "local":
                    nxt: tuple = ("local", ref[1])
                    if ref[1] in ev.m.locals and (id(ev), nxt) not in seen:
                        seen.add((id(ev), nxt))
                        stack.append((ev, nxt))
                elif kind == "var":
                    if ev.parent is not None and ref[1] in ev.m.variables:
                        nxt = ("arg", ev.path[-1][0], ref[1])
                        if (id(ev.parent), nxt) not in seen:
                            seen.add((id(ev.parent), nxt))
                            stack.append((ev.parent, nxt))
                elif kind == "module":
                    for _key, child in ev.child_instances.get(ref[1], ()):
                        if ref[2] is None and ref in explicit:
                            out |= child.all_resources()
                        for o in ([ref[2]] if ref[2] else list(child.m.outputs)):
                            if (id(child), ("output", o)) not in seen:
                                seen.add((id(child), ("output", o)))
                                stack.append((child, ("output", o)))
                elif kind in ("resource", "data") and ref[1] and ref[2]:
                    mode = "managed" if kind == "resource" else "data"
                    keys = ev.instance_keys.get((mode, ref[1], ref[2]))
                    if keys is None:
                        continue
                    if ev is self and cur == node and isinstance(ref[3], KeyExpr):
                        per_instance.append((mode, ref[1], ref[2], ref[3]))
                    elif ref[3] is not None and ref[3] in keys:
                        out.add(ResourceAddress(ref[1], ref[2], ref[3], mode, ev.path))
                    else:
                        out.add(_whole(ref[1], ref[2], mode, ev.path))
        return out, per_instance

    def all_resources(self) -> set[ResourceAddress]:
        """Every resource instance of this module instance and the modules it calls."""
        out = {a for a in self.meta if a.mode == "managed"}
        for insts in self.child_instances.values():
            for _k, c in insts:
                out |= c.all_resources()
        return out

    def _key_refs(self, per_instance: list[tuple]) -> list[tuple]:
        """Per block, once: each reference keyed by an expression with the instance keys of its target
        (a set: membership per reference per instance in a list would be N x N) and the table of
        its target's addresses, one object per instance, shared by every instance naming it (40
        groups name the same server: equal sets then compare by identity, hash once)."""
        out = []
        for mode, t, n, key_expr in per_instance:
            keys = self._key_sets.get((mode, t, n))
            if keys is None:
                keys = self._key_sets[(mode, t, n)] = frozenset(self.instance_keys.get((mode, t, n)) or ())
            out.append((mode, t, n, key_expr.expr, id(key_expr.expr), keys, self._dep_addrs.setdefault((mode, t, n), {})))
        return out

    def _instance_dependencies(self, common: set[ResourceAddress], key_refs: list[tuple],
                               bindings: dict) -> set[ResourceAddress]:
        if not key_refs:
            return common
        out = set(common)
        scope = None
        known = self.ev.key_values
        for mode, t, n, expr, key_id, keys, table in key_refs:
            key = known.get(key_id, known)
            if key is known:  # not evaluated in the instance's own scope by the body: evaluate it now
                if scope is None:
                    scope = Scope(self.root, bindings)
                try:
                    key = self.ev.compiled(expr)(scope)
                except EvalError:
                    key = UNKNOWN
            tk = type(key)
            if (tk is int or tk is str) and key in keys:
                found = key  # the common case: the key as written is one of the instance keys
            else:
                if isinstance(key, float) and key.is_integer():
                    key = int(key)
                # HCL converts: a number indexes a map by its text, a numeric string indexes a list
                if (type(key) is int or type(key) is str) and key in keys:
                    found = key
                else:
                    candidates = [] if isinstance(key, bool) or not isinstance(key, (str, int)) else \
                        [key, str(key)] if isinstance(key, int) else \
                        [key, int(key)] if key.isascii() and key.isdigit() else [key]
                    found = next((c for c in candidates if c in keys), None)
            if found is not None:
                a = table.get(found)
                if a is None:
                    a = table[found] = ResourceAddress(t, n, found, mode, self.path)
                out.add(a)
            else:  # not known at plan time, or not one of its keys (evaluation reports that)
                out.add(_whole(t, n, mode, self.path))
        return out

    # -- outputs / providers ---------------------------------------------------------------------
    def eval_outputs(self) -> None:
        for name, b in self.m.outputs.items():
            fn = b.filename
            v = b.body.attr("value")
            pos = SourcePos(fn, b.line, b.col)
            if v is None:
                self.bag.add("Missing required argument", pos, detail='The argument "value" is required in an '
                             "output block.")
                continue
            bad = False
            for ref, line, col in references(v.expr):
                if self._check_ref(ref, line, col, fn, None) is False:
                    bad = True
            if bad:
                continue
            flags = {"sensitive": False, "description": ""}
            for flag in ("sensitive", "description"):
                a = b.body.attr(flag)
                if a is not None:
                    try:
                        flags[flag] = self.ev.ev(a.expr, Scope(_no_refs_root(f"Output {flag}")))
                    except EvalError as x:
                        self.err(fn, x)
            try:
                value = self.ev.ev(v.expr, Scope(self.root))
            except EvalError as x:
                self.err(fn, x)
                continue
            if flags["sensitive"] is not True and (self.is_sensitive(v.expr) or self.exports_secret(v.expr)):
                self.bag.add("Output refers to sensitive values", SourcePos(fn, v.line, v.col),
                             detail=OUTPUT_SENSITIVE_DETAIL + self.exports_secret_detail(v.expr),
                             hint="If you do intend to export this data, annotate the output value as sensitive "
                                  "by adding the following argument: sensitive = true")
            self.config.outputs[name] = OutputValue(name, strip_sets(value), bool(flags["sensitive"]),
                                                    str(flags["description"] or ""), pos,
                                                    None if contains_unknown(value) else cty_type(value))

    def _providers_quietly(self) -> tuple[dict[str, ProviderConfig], bool]:
        """(the provider configurations as they evaluate now, whether that reported any problem), with
        nothing reported or kept: the walk's own ``eval_providers`` is the one that reports."""
        saved, self.bag = self.bag, DiagnosticBag()
        saved_cfg, self.config.providers = self.config.providers, {}
        try:
            self.eval_providers()
            return dict(self.config.providers), bool(self.bag.items)
        finally:
            self.bag, self.config.providers = saved, saved_cfg

    def providers_from_variables(self) -> dict[str, ProviderConfig] | None:
        """The provider configurations as they evaluate before the walk, or None when one of them does
        not evaluate cleanly yet (it reads a local, a resource or a data source)."""
        providers, problems = self._providers_quietly()
        return None if problems else providers

    def provider_config(self, key: str | None) -> ProviderConfig | None:
        """The root module's provider configuration ``key`` stands for, evaluated ahead of the walk
        (data sources are read during it); problems are reported by ``eval_providers`` later."""
        if self._early_providers is None:
            self._early_providers = self._providers_quietly()[0]
        return self._early_providers.get(key or "alicloud") or self._early_providers.get("alicloud")

    def eval_providers(self) -> None:
        for b in self.m.providers:
            fn = b.filename
            pos = SourcePos(fn, b.line, b.col)
            from planner.schema.utility import UTILITY_PROVIDERS

            if b.labels[0] in UTILITY_PROVIDERS:
                continue  # local providers: nothing to configure
            if b.labels[0] != "alicloud":
                self.bag.add("Unsupported provider", pos, detail=f'clbplan manages only the "alicloud" provider; '
                             f'"{b.labels[0]}" is not supported.')
                continue
            vals: dict[str, Any] = {}
            for a in b.body.attributes:
                try:
                    vals[a.name] = self.ev.ev(a.expr, Scope(self.root))
                except EvalError as x:
                    self.err(fn, x)
            endpoints: dict[str, str] = {}
            for eb in b.body.blocks_of("endpoints"):
                for a in eb.body.attributes:
                    try:
                        ev = self.ev.ev(a.expr, Scope(self.root))
                    except EvalError as x:
                        self.err(fn, x)
                        continue
                    if isinstance(ev, str):
                        endpoints[a.name] = ev
            pc = ProviderConfig(alias=_opt_str(vals.get("alias")), region=_opt_str(vals.get("region")),
                                access_key=_opt_str(vals.get("access_key")),
                                secret_key=_opt_str(vals.get("secret_key")), endpoints=endpoints, pos=pos)
            if pc.key in self.config.providers:
                self.bag.add("Duplicate provider configuration", pos,
                             detail=f"A provider configuration for {pc.key} was already given at "
                                    f"{self.config.providers[pc.key].pos}.",
                             hint='give one of them a distinct alias = "..."')
                continue
            self.config.providers[pc.key] = pc
        if "alicloud" not in self.config.providers:
            self.config.providers["alicloud"] = ProviderConfig()

    # -- driver ----------------------------------------------------------------------------------
    def run(self, var_args: Sequence[str], var_files: Sequence[str]) -> Configuration:
        self.eval_variables(var_args, var_files)
        if self.on_providers is not None:
            early = self.providers_from_variables()
            if early is not None:
                self.on_providers(early)
        order = self.build_order()
        if len(self.protos) == 1:  # no module calls: the plain walk (10,000 load balancers go through here)
            for _sp, node in order:
                if node[0] == "local":
                    self.eval_local(node[1])
                else:
                    self.eval_resource(node)
        else:
            for sp, node in order:
                for inst in self.instances.get(sp, ()):
                    inst.eval_node(node)
        self.eval_outputs()
        self.eval_providers()
        if self.validate_cfg is not None and not self.bag.has_errors:
            try:
                self.bag.extend(self.validate_cfg(self.config) or [])
            except Exception as e:  # noqa: BLE001
                self.bag.add("Configuration check failed", None, detail=f"{e.__class__.__name__}: {e}")
        self.bag.raise_if_errors()
        self.config.warnings = [d for d in self.bag.items if d.severity == "warning"]
        self.config._instance_evaluator = self
        return self.config

    # -- modules ---------------------------------------------------------------------------------
    def eval_node(self, node: tuple) -> None:
        kind = node[0]
        if kind == "local":
            self.eval_local(node[1])
        elif kind in ("resource", "data"):
            self.eval_resource(node)
        elif kind == "var":
            self.eval_child_variable(node[1])
        elif kind == "output":
            self.eval_child_output(node[1])
        elif kind == "call":
            self.eval_call(node[1])

    def eval_call(self, name: str) -> None:
        """Expand a module call (count/for_each) into child module instances."""
        b = self.m.calls[name]
        child_mod = self.m.children.get(name)
        if child_mod is None or ("call", name) in self.bad_nodes:
            self.module_values[name] = UNKNOWN
            return
        keys = self.expand(b)
        if keys is None:
            self.module_values[name] = UNKNOWN
            return
        deps = self._dependencies(("call", name))[0]
        proto = self.top.protos[child_mod.path]
        insts: list[tuple[Any, ModuleEvaluator]] = []
        for key, bindings in keys:
            c = ModuleEvaluator(child_mod, self.env, self.resolver, parent=self, path=(*self.path, (name, key)),
                                bindings=bindings, proto=proto)
            c.inherited_deps |= deps
            insts.append((key, c))
            self.top.instances.setdefault(child_mod.path, []).append(c)
            self.top.by_path[c.path] = c
        self.child_instances[name] = insts
        if keys == [(None, {})]:
            self.module_values[name] = insts[0][1].output_values
        elif b.body.attr("count") is not None:
            self.module_values[name] = [c.output_values for _k, c in insts]
        else:
            self.module_values[name] = {k: c.output_values for k, c in insts}

    def eval_child_output(self, name: str) -> None:
        b = self.m.outputs[name]
        v = b.body.attr("value")
        if v is None or ("output", name) in self.bad_nodes:
            self.output_values[name] = UNKNOWN
            return
        try:
            value = self.ev.ev(v.expr, Scope(self.root))
        except EvalError as x:
            self.err(b.filename, x)
            value = UNKNOWN
        sa = b.body.attr("sensitive")
        marked = sa is not None and isinstance(sa.expr, ir.Lit) and sa.expr.value is True
        if not marked and (self.is_sensitive(v.expr) or self.exports_secret(v.expr)):
            self.bag.add("Output refers to sensitive values", SourcePos(b.filename, v.line, v.col),
                         detail=OUTPUT_SENSITIVE_DETAIL + self.exports_secret_detail(v.expr),
                         hint="If you do intend to export this data, annotate the output value as sensitive "
                              "by adding the following argument: sensitive = true")
        self.output_values[name] = value

    def evaluator_for(self, path: ModulePath) -> ModuleEvaluator | None:
        """(root) The evaluator of one module instance."""
        by_path = getattr(self, "by_path", None)
        return self if not path else (by_path.get(path) if by_path else None)

    # -- apply-time re-evaluation ----------------------------------------------------------------
    def _dynamic_locals(self) -> set[str]:
        """Locals whose plan-time value may change once resources exist: they read resources (or, in a
        child module, module outputs or variables), directly or through other locals."""
        if self._resource_locals is None:
            self._resource_locals = {n for n in self.local_order if _reads_resources(self, ("local", n))}
        return self._resource_locals

    def evaluate_instance(self, address: ResourceAddress,
                          lookup: Callable[[ResourceAddress], dict | None],
                          cache: InstanceValues | None = None) -> dict:
        found = self._instance_meta(address)
        if found is None:
            raise KeyError(f"{address} is not in the configuration")
        ev, meta = found
        with _scope_now(ev, meta, lookup, cache) as (bindings, scope):
            inst = ev._eval_instance(address, meta.block, bindings, scope, report=False)
        if inst is None:
            raise DiagnosticsError([d for d in self.bag.items if d.severity == "error"][-1:])
        return inst.attributes

    def evaluate_arguments(self, address: ResourceAddress, names: frozenset[str],
                           lookup: Callable[[ResourceAddress], dict | None],
                           cache: InstanceValues | None = None,
                           blocks: Mapping[str, frozenset[str]] | None = None) -> dict | None:
        """Only the top-level arguments ``names`` of one instance, as their expressions evaluate now
        (raw values: not conformed to the schema), and for each nested block type in ``blocks`` the named
        arguments of each of its blocks (a list, one dict per block, in the order written). None when one
        of the names is not an argument written in the resource block (a nested block, an alias the
        schema renamed), when the resource has a ``dynamic`` block (its blocks' order is the values'),
        or when one fails to evaluate: the caller evaluates the whole instance then, and reports what
        that finds."""
        found = self._instance_meta(address)
        if found is None:
            return None
        ev, meta = found
        fn = meta.block.filename
        plan = ev._body_plan(meta.block.body, fn, (), True)
        wanted = [(name, compiled) for _e, name, _path, _pos, compiled in plan.args if name in names]
        if len(wanted) != len(names):
            return None
        if blocks and any(blk.type == "dynamic" for blk in plan.blocks):
            return None
        nested: list[tuple[str, list[list[tuple[str, Any]]]]] = []
        for btype, bnames in (blocks or {}).items():
            per_block = []
            for i, blk in enumerate(b for b in plan.blocks if b.type == btype):
                bplan = ev._body_plan(blk.body, fn, (btype, i), False)
                per_block.append([(name, compiled) for _e, name, _p, _pos, compiled in bplan.args
                                  if name in bnames])
            nested.append((btype, per_block))
        with _scope_now(ev, meta, lookup, cache) as (_bindings, scope):
            out: dict[str, Any] = {}
            try:
                for name, compiled in wanted:
                    out[name] = compiled(scope)
                for btype, per_block in nested:
                    out[btype] = [{name: compiled(scope) for name, compiled in args} for args in per_block]
            except EvalError:
                return None
            return out

    def _instance_meta(self, address: ResourceAddress) -> tuple[ModuleEvaluator, _InstanceMeta] | None:
        """The evaluator of ``address``'s module instance and what it kept of the instance (its block and
        bindings); None when the configuration has no such instance."""
        ev = self.evaluator_for(address.module) if address.module else self
        meta = ev.meta.get(address) if ev is not None else None
        return None if ev is None or meta is None else (ev, meta)


@contextlib.contextmanager
def _scope_now(ev: ModuleEvaluator, meta: _InstanceMeta, lookup: Callable[[ResourceAddress], dict | None],
               cache: InstanceValues | None) -> Iterator[tuple[dict, Scope]]:
    """An instance's bindings and scope with resources as they are now (``lookup``); the view's
    reference cycles broken on leaving."""
    view = _ApplyView(ev, lookup, cache, {})
    try:
        bindings = _apply_bindings(view, meta.block, meta.bindings)
        yield bindings, Scope(view.root, bindings)
    finally:
        view.close()


class _ApplyView:
    """One module instance's scope during apply-time re-evaluation: resources read through the
    callback, and every value derived from them (locals, a child's variables, module outputs)
    recomputed on first use, so an id "(known after apply)" at plan time is the real one now."""

    def __init__(self, ev: ModuleEvaluator, lookup: Callable[[ResourceAddress], dict | None],
                 cache: InstanceValues | None, views: dict[int, _ApplyView]):
        self.ev, self.lookup, self.cache, self.views = ev, lookup, cache, views
        views[id(ev)] = self
        self.resolved: dict[tuple, Any] = {}
        self.locals: dict[str, Any] = {}
        self.vars: dict[str, Any] = {}
        self.outputs: dict[str, Any] = {}
        self.modules: dict[str, Any] = {}
        ev_ = ev
        self.data_types = _Lazy(ev_.data_by_type, lambda t: _Lazy(ev_.data_by_type[t],
                                                                lambda n, _t=t: self.agg("data", _t, n)))
        self.local_ns = _Lazy(ev.local_values, self.local)
        self.var_ns = _Lazy(ev.var_values, self.var) if ev.parent is not None else ev.var_values
        self.module_ns = _Lazy(ev.module_values, self.module)

    def close(self) -> None:
        """Break the views' reference cycles (each namespace reads through a method of its view, and
        the views know each other), so an evaluation's objects go as soon as it returns instead of
        waiting for the cyclic collector: an apply of 10,000 load balancers makes 200,000 views, and
        the collector's passes over them were seconds of its walk."""
        views = list(self.views.values())
        self.views.clear()
        for v in views:
            v.data_types = v.local_ns = v.var_ns = v.module_ns = None

    def view_of(self, other: ModuleEvaluator) -> _ApplyView:
        got = self.views.get(id(other))
        return got if got is not None else _ApplyView(other, self.lookup, self.cache, self.views)

    def root(self, n: ir.Name) -> Any:
        name = n.name
        if name == "local":
            return self.local_ns
        if name == "data":
            return self.data_types
        if name == "var":
            return self.var_ns
        if name == "module":
            return self.module_ns
        if name in self.ev.res_by_type:
            return _Lazy(self.ev.res_by_type[name], lambda rn, _t=name: self.agg("managed", _t, rn))
        return self.ev.root(n)

    def local(self, name: str) -> Any:
        if name in self.locals:
            return self.locals[name]
        ev = self.ev
        value = ev.local_values.get(name, UNKNOWN)
        if name in ev._dynamic_locals():
            a, _fn = ev.m.locals[name]
            try:
                value = ev.ev.ev(a.expr, Scope(self.root))
            except EvalError:
                pass
        self.locals[name] = value
        return value

    def var(self, name: str) -> Any:
        if name in self.vars:
            return self.vars[name]
        ev = self.ev
        value = ev.var_values.get(name, UNKNOWN)
        parent = ev.parent
        if parent is not None and contains_unknown(value):
            call = parent.m.calls[ev.path[-1][0]]
            a = call.body.attr(name)
            if a is not None:
                pv = self.view_of(parent)
                bindings = _apply_bindings(pv, call, ev.call_bindings)
                try:
                    value = convert(parent.ev.ev(a.expr, Scope(pv.root, bindings)),
                                    ev.var_specs.get(name, ANY))
                except (EvalError, ConversionError):
                    pass
        self.vars[name] = value
        return value

    def output(self, name: str) -> Any:
        if name in self.outputs:
            return self.outputs[name]
        ev = self.ev
        value = ev.output_values.get(name, UNKNOWN)
        if contains_unknown(value):
            v = ev.m.outputs[name].body.attr("value")
            if v is not None:
                try:
                    value = ev.ev.ev(v.expr, Scope(self.root))
                except EvalError:
                    pass
        self.outputs[name] = value
        return value

    def module(self, call: str) -> Any:
        if call in self.modules:
            return self.modules[call]
        insts = self.ev.child_instances.get(call)
        stored = self.ev.module_values.get(call, UNKNOWN)
        if not insts:
            out = stored
        else:
            def obj(c: ModuleEvaluator) -> Any:
                cv = self.view_of(c)
                return {o: cv.output(o) for o in c.output_values}  # few outputs: whole, so functions can iterate
            if isinstance(stored, list):
                out = [obj(c) for _k, c in insts]
            elif isinstance(stored, dict) and stored is not insts[0][1].output_values:
                out = {k: obj(c) for k, c in insts}
            else:
                out = obj(insts[0][1])
        self.modules[call] = out
        return out

    def one(self, mode: str, t: str, n: str, i: int, key: Any, stored: Any) -> Any:
        got = self.lookup(ResourceAddress(t, n, key, mode, self.ev.path))
        if got is not None:
            return self.ev.complete_for(t, mode, got)
        if key is None:
            return stored
        if isinstance(stored, list):
            return stored[i] if i < len(stored) else UNKNOWN
        if isinstance(stored, dict):
            return stored.get(key, UNKNOWN)
        return UNKNOWN

    def agg(self, mode: str, t: str, n: str) -> Any:
        ev = self.ev
        k = (ev.path, mode, t, n)
        if k in self.resolved:
            return self.resolved[k]
        keys = ev.instance_keys.get((mode, t, n), [None])
        table = ev.res_by_type if mode == "managed" else ev.data_by_type
        stored = table.get(t, {}).get(n, UNKNOWN)
        cache = self.cache
        if cache is not None and k in cache.full:
            out = cache.refreshed(k, keys, lambda i, key: self.one(mode, t, n, i, key, stored))
        else:
            vals = {key: self.one(mode, t, n, i, key, stored) for i, key in enumerate(keys)}
            if keys == [None]:
                out = vals[None]
            elif isinstance(keys[0], int) if keys else False:
                out = [vals[key] for key in keys]
            else:
                out = vals
            if cache is not None:
                cache.full[k] = out
        self.resolved[k] = out
        return out


def _apply_bindings(view: _ApplyView, block: ir.Block, bindings: dict) -> dict:
    """``each.value`` as it is now. The plan kept each instance's ``each.value``; when ``for_each``
    iterates a resource's instances (``for_each = tls_private_key.site``) that value was the plan's,
    computed attributes "(known after apply)", so ``each.value.private_key_pem`` or
    ``each.value.id`` must be read again from the applied instances, like any other reference."""
    each = bindings.get("each")
    if not each or not contains_unknown(each.get("value")):
        return bindings
    fe = block.body.attr("for_each")
    if fe is None:
        return bindings
    try:
        now = view.ev.ev.ev(fe.expr, Scope(view.root))
    except EvalError:
        return bindings
    key = each.get("key")
    if not isinstance(now, dict) or key not in now:
        return bindings
    return {**bindings, "each": {"key": key, "value": now[key]}}


def _whole(t: str, n: str, mode: str, module: ModulePath = ()) -> ResourceAddress:
    """The dependency on every instance of a resource: its unkeyed address (Terraform records the same
    in state). Listing the instances instead costs N x M addresses when N instances reference a
    resource of M (a splat from every load balancer)."""
    return ResourceAddress(t, n, None, mode, module)


class InstanceValues:
    """Resource values seen by apply-time re-evaluation, kept between the evaluations of one apply.

    Without it every evaluation rebuilds every instance of every resource it references: a listener
    naming ``lb[each.key]`` read all 10,000 load balancers, 40,000 times. The executor calls
    ``invalidate`` when an instance's applied value changes; the next read copies the container and
    recomputes just those instances (containers already handed out are never mutated).
    """

    def __init__(self) -> None:
        self.full: dict[tuple, Any] = {}  # (module path, mode, type, name) -> value
        self.dirty: dict[tuple, set] = {}

    def invalidate(self, address: ResourceAddress) -> None:
        k = (address.module, address.mode, address.type, address.name)
        if k in self.full:
            self.dirty.setdefault(k, set()).add(address.key)

    def refreshed(self, k: tuple, keys: list, value: Callable[[int, Any], Any]) -> Any:
        out = self.full[k]
        changed = self.dirty.pop(k, None)
        if not changed:
            return out
        # an instance deleted as an orphan (count lowered, key dropped) is reported too: it is not in
        # the configuration's value, so there is nothing to recompute for it
        if keys == [None]:
            out = value(0, None) if None in changed else out
        elif isinstance(out, list):
            out = list(out)
            for key in changed:
                if isinstance(key, int) and 0 <= key < len(out):
                    out[key] = value(key, key)
        else:
            out = dict(out)
            for key in changed:
                if key in out:
                    out[key] = value(0, key)  # the position only matters for counted (list) resources
        self.full[k] = out
        return out


class _Lazy(dict):
    """A read-only mapping whose values are computed on access (keys come from ``src``).

    evaluate_instance hands these to the expression evaluator so that a reference to one
    instance costs one lookup, not one per instance of every resource of that type.
    """

    def __init__(self, src: dict, get: Callable[[str], Any]):
        super().__init__()
        self._src, self._get = src, get

    def __contains__(self, key: object) -> bool:
        return key in self._src

    def __getitem__(self, key: str) -> Any:
        return self._get(key)


def _reads_resources(me: ModuleEvaluator, node: tuple, _seen: set | None = None) -> bool:
    seen = _seen if _seen is not None else set()
    if node in seen:
        return False
    seen.add(node)
    for ref, _l, _c in me.node_refs.get(node, []):
        if ref[0] in ("resource", "data", "module") or (ref[0] == "var" and me.m.path):
            return True
        if ref[0] == "local" and _reads_resources(me, ("local", ref[1]), seen):
            return True
    return False


def _acyclic_order(g: nx.DiGraph) -> list:
    """Topological order of a graph that has cycles: collapse strongly connected components."""
    cond = nx.condensation(g)
    out = []
    for c in nx.topological_sort(cond):
        out.extend(sorted(cond.nodes[c]["members"]))
    return out


def _provider_ref_text(e: ir.Expr) -> str | None:
    """``alicloud`` / ``alicloud.hz`` in a providers map (keys may be bare names or strings)."""
    if isinstance(e, ir.Lit) and isinstance(e.value, str):
        return e.value
    if isinstance(e, ir.Template) and all(isinstance(p, str) for p in e.parts):
        return "".join(e.parts)
    if isinstance(e, ir.Name):
        return e.name
    if isinstance(e, ir.GetAttr) and isinstance(e.obj, ir.Name):
        return f"{e.obj.name}.{e.name}"
    if isinstance(e, ir.Paren):
        return _provider_ref_text(e.inner)
    return None


def _node_text(node: tuple) -> str:
    if len(node) == 2 and isinstance(node[0], tuple):  # (static module path, node)
        sp, inner = node
        prefix = "".join(f"module.{p}." for p in sp)
        return prefix + _node_text(inner)
    if node[0] in ("var", "output"):
        return f"{node[0]}.{node[1]}"
    if node[0] == "call":
        return f"module.{node[1]}"
    if node[0] == "local":
        return f"local.{node[1]}"
    if node[0] == "data":
        return f"data.{node[1]}.{node[2]}"
    return f"{node[1]}.{node[2]}"


def _ref_text(ref: tuple) -> str:
    if ref[0] in ("var", "local"):
        return f"{ref[0]}.{ref[1]}"
    if ref[0] in ("resource", "data") and ref[1]:
        return ("data." if ref[0] == "data" else "") + f"{ref[1]}.{ref[2]}"
    return ref[0]


def _opt_str(v: Any) -> str | None:
    return v if isinstance(v, str) else None


def _type_text(spec: tuple) -> str:
    from planner.config.types import type_str
    return type_str(spec)


class _BlockMemoRun:
    """One block's evaluation with the memo (``planner.config.eval_memo``): its instances taken from the
    record made with the same references, the others evaluated, and the record made again when it
    would now say something else and nothing but its references made it."""

    def __init__(self, me: ModuleEvaluator, memo: BlockMemo, type_name: str, ident: str, source: str,
                 digest: str, key_refs: list[tuple]):
        self.me, self.memo, self.ident, self.source, self.digest = me, memo, ident, source, digest
        self.block = memo.lookup(ident, source, digest)
        self.recorder: BlockRecorder | None = BlockRecorder()
        self.hits: list[tuple[Any, dict]] = []  # (key, positions) taken from the record, in order
        # the record's no-op planned objects hold for this run's prior state: planned without the diff
        self.replay = self.block is not None and memo.prior is not None and self.block.prior == memo.prior[0]
        self.key_ids = [kr[4] for kr in key_refs]  # the reference numbers the record's index keys use
        self.fresh = 0
        self.marks = self._marks()
        schema_ = me.get_schema(type_name) if me.get_schema is not None else None
        # what the schema calls secret is not written down either, even when the configuration holds it
        self.secret_names = frozenset(getattr(schema_, "sensitive", ()) or ())

    @classmethod
    def start(cls, me: ModuleEvaluator, node: tuple, t: str, n: str, key_refs: list[tuple]) -> _BlockMemoRun | None:
        memo = me.top.block_memo
        if memo is None:
            return None
        digest = cls._digest(me, node, memo)
        if digest is None:
            return None
        # (a block of a .tf.json file has no key of its own: that file is in the configuration's context)
        return cls(me, memo, t, f"{me.path!r} {t}.{n}", me.m.block_keys.get((t, n), ""), digest, key_refs)

    def _marks(self) -> tuple:
        """What the run has reported and read so far: a block that adds to either is not recorded."""
        inputs = self.me.ev.inputs
        return len(self.me.bag.items), inputs.marks() if inputs is not None else None

    @staticmethod
    def _digest(me: ModuleEvaluator, node: tuple, memo: BlockMemo) -> str | None:
        """The digest of every value block ``node`` refers to (None: one is not plain data, or the block
        refers to something the memo cannot follow). A named value is digested once per run."""
        parts: list[bytes] = []
        cache = me.top._memo_digests
        for ref, _l, _c in me.node_refs.get(node, ()):
            kind = ref[0]
            if kind in ("count", "each"):
                continue  # the block's own count / for_each, whose references are digested here too
            value = _ref_value(me, ref)
            if value is _ABSENT:
                return None  # self, or something this memo does not follow: evaluated every time
            # a named value is set once and never changed; a whole table (var, local, a type's resources,
            # module outputs) may still grow while the walk goes on: digested each time
            whole = kind in ("module", "path", "terraform") or ref[1] is None or (kind == "resource" and ref[2] is None)
            hit = None if whole else cache.get(id(value))
            if hit is None or hit[0] is not value:
                try:
                    hit = (value, value_digest(value))
                except NotRecordable:
                    hit = (value, None)
                if not whole:
                    cache[id(value)] = hit
            if hit[1] is None:
                return None
            parts.append(repr(ref[:3]).encode() + b"\0" + hit[1])
        return memo.digest(parts)

    def remembered(self, key: Any, addr: ResourceAddress, b: ir.Block,
                   lifecycle: Lifecycle | None) -> ResourceInstance | None:
        """Instance ``key`` as the record holds it (as ``_eval_instance`` made it then), or None."""
        got = self.block.instance(key) if self.block is not None else None
        if got is None:
            return None
        attrs, positions, keys = got
        me = self.me
        inst = me._instance(addr, b, attrs, positions, NO_NAMES, lifecycle)
        if self.key_ids:  # the index keys this instance's references used, for _instance_dependencies
            me.ev.key_values = {self.key_ids[i]: v for i, v in keys.items()}
        self.hits.append((key, positions))
        return inst

    def evaluated(self, key: Any, inst: ResourceInstance | None) -> None:
        """``inst`` was evaluated: into the new record, unless the block cannot be recorded after all."""
        self.fresh += 1
        if self.recorder is None:
            return
        if inst is None or inst.sensitive or any(inst.attributes.get(n) is not None for n in self.secret_names):
            self.recorder = None  # an error (reported), or a secret: nothing of it is written down
            return
        known = self.me.ev.key_values
        keys = {i: known[k] for i, k in enumerate(self.key_ids) if k in known}
        try:
            self.recorder.add(key, inst.attributes, inst.positions, keys)
        except NotRecordable:
            self.recorder = None

    def planned(self, key: Any, inst: ResourceInstance) -> dict | None:
        """The planned object of instance ``key`` (just taken from the record) as its no-op gave it against
        this same prior state, registered with the differ; None: resolve it in full."""
        if not self.replay or not self.hits or self.hits[-1][0] != key:
            return None
        after = self.block.planned(key)
        if after is None:
            return None
        value = self.memo.prior[1].resolve_recorded(inst, after)
        if value is not None and self.recorder is not None:
            self.recorder.planned[key] = self.block.entries[key][3]
            self.memo.planned += 1
        return value

    def note_planned(self, key: Any, inst: ResourceInstance) -> None:
        """Instance ``key`` was resolved in full: keep its planned object when it is a no-op."""
        if self.recorder is not None and self.memo.prior is not None:
            got = self.memo.prior[1].noop_after(inst.address)
            # (a prior object's secrets, or those the cloud echoed into it, are not written down)
            if got is not None and not any(got[0].get(n) is not None for n in got[1]):
                self.recorder.add_planned(key, got[0])

    def finish(self, instances: int) -> None:
        self.memo.evaluated += self.fresh
        self.memo.reused += len(self.hits)
        new = self.block is None or self.fresh or len(self.block.entries) != instances or (
            self.memo.prior is not None and self.block.prior != self.memo.prior[0])  # (planned anew: keep that)
        if self.recorder is not None and new and self.marks == self._marks():
            for key, positions in self.hits:  # the instances taken from the old record go into the new one
                self.recorder.add_remembered(key, self.block, positions)
            self.memo.record(self.ident, self.source, self.digest, self.recorder)


def _ref_value(me: ModuleEvaluator, ref: tuple) -> Any:
    """The value a reference of ``me``'s reads (a whole table when it names no member); _ABSENT for one
    that names nothing, or that the memo does not follow (``self``)."""
    kind = ref[0]
    if kind == "var":
        return me.var_values if ref[1] is None else me.var_values.get(ref[1], _ABSENT)
    if kind == "local":
        return me.local_values if ref[1] is None else me.local_values.get(ref[1], _ABSENT)
    if kind == "resource":
        return me.res_by_type.get(ref[1], _ABSENT) if ref[2] is None else \
            me.res_by_type.get(ref[1], {}).get(ref[2], _ABSENT)
    if kind == "data":
        return me.data_by_type if ref[1] is None else me.data_by_type.get(ref[1], {}).get(ref[2], _ABSENT)
    if kind == "module":
        return me.module_values if ref[1] is None else me.module_values.get(ref[1], _ABSENT)
    if kind == "path":
        return me.path_obj
    if kind == "terraform":
        return me.root(ir.Name("terraform", 0, 0))
    return _ABSENT


def evaluate(module: Module, *, var_args: Sequence[str] = (), var_files: Sequence[str] = (),
             env: Mapping[str, str] | None = None, resolver: Resolver | None = None,
             data_reader: DataReader | None = None,
             on_providers: Callable[[dict[str, ProviderConfig]], None] | None = None,
             inputs: EvaluationInputs | None = None, memo: BlockMemo | None = None) -> Configuration:
    """Evaluate a loaded module; raises DiagnosticsError with every diagnostic found.

    ``data_reader`` reads the alicloud data sources through a provider (the run's cloud); without
    one, only the catalogue lookups are read, from the built-in catalogue (``clbplan validate``).
    ``on_providers`` hears the provider configurations before the resources are evaluated, when they
    depend on variables only (see ``ModuleEvaluator.providers_from_variables``). ``inputs`` records
    what the evaluation reads besides the files and the variables (``planner.config.inputs``).
    ``memo`` remembers each block's instances for the next run (``planner.config.eval_memo``); the
    caller writes its records (``BlockMemo.flush``) once it knows the run's secrets."""
    me = ModuleEvaluator(module, os.environ if env is None else env, resolver)
    me.on_providers = on_providers
    # the memo records a block only when it read nothing besides its references: the record says
    me.ev.inputs = inputs if inputs is not None or memo is None else EvaluationInputs()
    me.block_memo = memo
    if data_reader is None and me.get_schema is not None:  # no schema layer: data sources stay unknown
        from planner.providers.alicloud.offline import catalogue_reader

        data_reader = catalogue_reader(me.env)
    me.data_reader = data_reader
    # the parsed module is hundreds of thousands of long-lived objects: every full collection would
    # rescan them all (measured 2-4x slower at 10k resources), and evaluation makes few cycles
    from planner.workdir import base_dir

    with gc_paused(), base_dir(getattr(module, "directory", None)):  # relative names in data sources
        return me.run(var_args, var_files)


def _check_instances(n: int, what: str, at: ir.Attr) -> None:
    """count / for_each within limits.MAX_INSTANCES, as a located error."""
    try:
        limits.check_instances(n, what)
    except limits.LimitExceeded as x:
        raise EvalError("Configuration limit exceeded", f"{str(x)[:1].upper()}{str(x)[1:]}.", at.line, at.col,
                        hint=limits.HINT) from None


def _within_limits(v: Any, at: ir.Attr) -> Any:
    """A local value whose written-out size is within limits (a value shared with itself 40 times over
    is cheap to hold but would take 2^40 steps to render, compare or save)."""
    try:
        limits.check_deep(v)
    except limits.LimitExceeded as x:
        raise EvalError("Configuration limit exceeded", f"{str(x)[:1].upper()}{str(x)[1:]}.", at.line, at.col,
                        hint=limits.HINT) from None
    return v


@dataclass
class Preview:
    """What a configuration's root evaluates to before the walk: enough to tell whether the run's
    inputs are the ones an earlier run had (``planner.engine.unchanged_plan``) and to read the cloud."""

    variables: dict[str, Any]
    sensitive_variables: set[str]
    providers: dict[str, ProviderConfig]
    workspace: str
    inputs: EvaluationInputs


def preview(module: Module, *, var_args: Sequence[str] = (), var_files: Sequence[str] = (),
            env: Mapping[str, str] | None = None) -> Preview | None:
    """The root module's variables and provider configurations, without evaluating anything else; None
    when either reports a problem or a provider reads more than variables (the full evaluation then
    reports or handles it)."""
    from planner.state.workspaces import current_workspace
    from planner.workdir import base_dir

    me = ModuleEvaluator(module, os.environ if env is None else env, None)
    me.ev.inputs = inputs = EvaluationInputs()
    with gc_paused(), base_dir(getattr(module, "directory", None)):
        me.eval_variables(var_args, var_files)
        if me.bag.items:
            return None
        providers = me.providers_from_variables()
    if providers is None:
        return None
    workspace = current_workspace(Path(me.path_obj["cwd"]), me.env)
    return Preview(dict(me.config.variables), set(me.config.sensitive_variables), providers, workspace, inputs)
