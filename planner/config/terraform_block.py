"""The ``terraform {}`` block: ``required_version``, ``required_providers`` and ``backend``.

Terraform refuses a configuration whose ``required_version`` excludes it, whose providers it
cannot install, or whose backend it does not know; clbplan does the same against what it is:
the Terraform language level in ``planner.version``, the providers in ``SUPPORTED_PROVIDERS``,
the backends in ``BACKENDS``. Every value here must be a literal, as in Terraform.

The state backend is chosen here (``configured_backend``) so that adding one (``pg``) is one
entry in ``BACKENDS`` plus its construction in the CLI's backend seam.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from planner.config import ir
from planner.config.version_constraints import ConstraintError, Constraints, Version
from planner.diagnostics import Diagnostic, DiagnosticBag, DiagnosticsError, SourcePos
from planner.version import ALICLOUD_PROVIDER_VERSION, TERRAFORM_LANGUAGE_VERSION

DEFAULT_REGISTRY_HOST = "registry.terraform.io"
DEFAULT_STATE_FILE = "clbplan.tfstate"

# provider type -> (canonical source address, namespaces accepted for it). "terraform" is built in.
SUPPORTED_PROVIDERS: dict[str, tuple[str, frozenset[str]]] = {
    "alicloud": ("registry.terraform.io/aliyun/alicloud", frozenset({"aliyun", "hashicorp"})),
    "random": ("registry.terraform.io/hashicorp/random", frozenset({"hashicorp"})),
    "null": ("registry.terraform.io/hashicorp/null", frozenset({"hashicorp"})),
    "time": ("registry.terraform.io/hashicorp/time", frozenset({"hashicorp"})),
    "tls": ("registry.terraform.io/hashicorp/tls", frozenset({"hashicorp"})),
    "local": ("registry.terraform.io/hashicorp/local", frozenset({"hashicorp"})),
    "terraform": ("terraform.io/builtin/terraform", frozenset({"builtin"})),
}

# backend type -> the arguments it accepts. Another backend is one more entry here (and its
# construction where the CLI opens the state).
BACKENDS: dict[str, frozenset[str]] = {
    "local": frozenset({"path", "workspace_dir"}),
    # Terraform's pg backend (planner.state.pg); PG_CONN_STR, PG_SCHEMA_NAME and libpq's PG* fill gaps
    "pg": frozenset({"conn_str", "schema_name", "skip_schema_creation", "skip_table_creation",
                     "skip_index_creation"}),
}

_TERRAFORM_ARGS = {"required_version", "experiments", "language"}
_TERRAFORM_BLOCKS = {"required_providers", "backend", "cloud", "provider_meta"}


def supported_provider_list() -> str:
    return ", ".join(src.split("/", 1)[1] for src, _ns in SUPPORTED_PROVIDERS.values())


@dataclass
class ProviderRequirement:
    """One provider a module needs: declared in ``required_providers`` or implied by a resource type."""

    local_name: str
    source: str  # fully qualified: registry.terraform.io/aliyun/alicloud
    version: str = ""  # the constraint as written, "" for any
    pos: SourcePos | None = None
    implied: bool = False


@dataclass
class BackendConfig:
    type: str
    config: dict[str, Any]
    pos: SourcePos | None = None

    @property
    def explicit(self) -> bool:
        return self.pos is not None


@dataclass
class TerraformSettings:
    """What the ``terraform`` blocks of one module say."""

    required_versions: list[tuple[str, SourcePos]] = field(default_factory=list)
    providers: dict[str, ProviderRequirement] = field(default_factory=dict)
    backend: BackendConfig | None = None
    backend_pos: SourcePos | None = None  # where a backend or cloud block was written
    # problems with the backend block: reported by the command that opens the state, for the root only
    backend_problems: DiagnosticBag = field(default_factory=DiagnosticBag)


class _NotLiteral(Exception):
    def __init__(self, expr: ir.Expr):
        self.expr = expr


def static_value(expr: ir.Expr, *, refs: bool = False) -> Any:
    """A literal expression's value (strings, numbers, bools, lists, objects); else _NotLiteral.

    ``refs`` lets bare references through as their text (``configuration_aliases = [alicloud.eu]``)."""
    if isinstance(expr, ir.Lit):
        return expr.value
    if isinstance(expr, ir.TupleExpr):
        return [static_value(x, refs=refs) for x in expr.items]
    if isinstance(expr, ir.ObjectExpr):
        out = {}
        for k, v in expr.items:
            key = k.name if isinstance(k, ir.Name) else static_value(k)
            out[str(key)] = static_value(v, refs=refs)
        return out
    if refs and isinstance(expr, ir.Name):
        return expr.name
    if refs and isinstance(expr, ir.GetAttr):
        return f"{static_value(expr.obj, refs=True)}.{expr.name}"
    raise _NotLiteral(expr)


def shown_dir(path: Path) -> str:
    """A directory as the user would type it: relative to the current directory when below it."""
    try:
        rel = os.path.relpath(path)
    except ValueError:
        return str(path)
    if rel == ".":
        return ""
    return str(path) if rel.startswith("..") and path.is_absolute() else rel


def _pos(fn: str, node: Any) -> SourcePos:
    while isinstance(node, (ir.GetAttr, ir.Index, ir.Splat)):  # a traversal starts at its root name
        node = node.obj
    return SourcePos(fn, getattr(node, "line", 1), getattr(node, "col", 1))


def normalize_provider_source(text: str) -> tuple[str, str, str]:
    """``aliyun/alicloud`` -> (``registry.terraform.io``, ``aliyun``, ``alicloud``); ValueError if malformed."""
    parts = text.strip().lower().split("/")
    if len(parts) == 1 and parts[0]:
        return DEFAULT_REGISTRY_HOST, "hashicorp", parts[0]
    if len(parts) == 2 and all(parts):
        return DEFAULT_REGISTRY_HOST, parts[0], parts[1]
    if len(parts) == 3 and all(parts):
        return parts[0], parts[1], parts[2]
    raise ValueError(f"{text!r} is not a provider source address (expected [HOSTNAME/]NAMESPACE/TYPE, "
                     "e.g. aliyun/alicloud)")


def implied_source(local_name: str) -> str:
    """What Terraform assumes for a provider no ``required_providers`` entry names."""
    if local_name == "terraform":
        return SUPPORTED_PROVIDERS["terraform"][0]
    return f"{DEFAULT_REGISTRY_HOST}/hashicorp/{local_name}"


def read_settings(blocks: list[ir.Block], bag: DiagnosticBag) -> TerraformSettings:
    """Read every ``terraform`` block of one module; problems go to ``bag`` with their position."""
    settings = TerraformSettings()
    for b in blocks:
        fn = b.filename
        for a in b.body.attributes:
            if a.name in ("required_providers", "backend", "cloud"):  # .tf.json writes blocks as objects
                _json_block(settings, a, fn, bag)
                continue
            if a.name not in _TERRAFORM_ARGS:
                bag.add("Unsupported argument", _pos(fn, a),
                        detail=f'An argument named "{a.name}" is not expected in a terraform block.',
                        hint="a terraform block accepts required_version, required_providers and backend")
                continue
            if a.name == "required_version":
                try:
                    text = static_value(a.expr)
                except _NotLiteral:
                    bag.add("Invalid required_version", _pos(fn, a),
                            detail="required_version must be a literal string such as \">= 1.5\"; variables "
                                   "and functions are not allowed here.")
                    continue
                settings.required_versions.append((str(text), _pos(fn, a.expr)))
        for nb in b.body.blocks:
            if nb.type == "required_providers":
                for a in nb.body.attributes:
                    _provider_entry(settings, a.name, a.expr, fn, bag)
                for bad in nb.body.blocks:
                    bag.add("Unexpected block in required_providers", _pos(fn, bad),
                            detail="Each provider is written NAME = { source = \"...\", version = \"...\" }.")
            elif nb.type == "backend" or nb.type == "cloud":
                _backend_block(settings, nb, fn)
            elif nb.type == "provider_meta":
                continue
            else:
                bag.add("Unsupported block type", _pos(fn, nb),
                        detail=f'Blocks of type "{nb.type}" are not expected in a terraform block.',
                        hint="a terraform block holds required_providers and backend blocks")
    return settings


def _json_block(settings: TerraformSettings, a: ir.Attr, fn: str, bag: DiagnosticBag) -> None:
    if not isinstance(a.expr, ir.ObjectExpr):
        bag.add(f"Invalid {a.name}", _pos(fn, a), detail=f"{a.name} must be an object.")
        return
    if a.name == "required_providers":
        for k, v in a.expr.items:
            name = k.name if isinstance(k, ir.Name) else str(getattr(k, "value", ""))
            _provider_entry(settings, name, v, fn, bag)
        return
    if a.name == "cloud":
        _backend_block(settings, ir.Block("cloud", [], ir.Body(), a.line, a.col, fn), fn)
        return
    for k, v in a.expr.items:
        name = k.name if isinstance(k, ir.Name) else str(getattr(k, "value", ""))
        body = ir.Body()
        if isinstance(v, ir.ObjectExpr):
            for kk, vv in v.items:
                kname = kk.name if isinstance(kk, ir.Name) else str(getattr(kk, "value", ""))
                body.attributes.append(ir.Attr(kname, vv, vv.line, vv.col))
        _backend_block(settings, ir.Block("backend", [name], body, a.line, a.col, fn), fn)


def _provider_entry(settings: TerraformSettings, name: str, expr: ir.Expr, fn: str, bag: DiagnosticBag) -> None:
    pos = _pos(fn, expr)
    try:
        value = static_value(expr, refs=True)
    except _NotLiteral:
        bag.add("Invalid required_providers entry", pos,
                detail=f'The entry for "{name}" must be a literal object such as '
                       '{ source = "aliyun/alicloud", version = ">= 1.200.0" }.')
        return
    if isinstance(value, str):  # the pre-0.13 shorthand: NAME = "VERSION"
        value = {"version": value}
    if not isinstance(value, dict):
        bag.add("Invalid required_providers entry", pos,
                detail=f'The entry for "{name}" must be an object with source and version.')
        return
    for key in value:
        if key not in ("source", "version", "configuration_aliases"):
            bag.add("Invalid required_providers object", pos,
                    detail=f'"{key}" is not expected in the requirement for "{name}"; the arguments are '
                           "source, version and configuration_aliases.")
    source_text = value.get("source") or name
    if not isinstance(source_text, str):
        bag.add("Invalid provider source", pos, detail=f'The source of "{name}" must be a string.')
        return
    try:
        host, namespace, type_ = normalize_provider_source(source_text)
    except ValueError as e:
        bag.add("Invalid provider source", pos, detail=str(e))
        return
    known = SUPPORTED_PROVIDERS.get(type_)
    builtin = host == "terraform.io" and namespace == "builtin"
    if known is None or (namespace not in known[1] and not builtin) or (builtin and type_ != "terraform"):
        bag.add(f'Provider "{source_text}" is not supported', pos,
                detail=f'The provider "{name}" ({host}/{namespace}/{type_}) is not one clbplan has. clbplan '
                       f"plans and applies with these providers: {supported_provider_list()}.",
                hint="keep resources of other providers in a separate configuration applied with Terraform, "
                     "and read them here with terraform_remote_state or data sources")
        return
    version = value.get("version", "")
    if version is None:
        version = ""
    if not isinstance(version, str):
        bag.add("Invalid provider version constraint", pos, detail=f'The version of "{name}" must be a string.')
        return
    try:
        constraint = Constraints.parse(version)
    except ConstraintError as e:
        bag.add("Invalid provider version constraint", pos, detail=str(e),
                hint='write it like ">= 1.200.0" or "~> 1.289"')
        return
    if type_ == "alicloud" and version and not constraint.allows(ALICLOUD_PROVIDER_VERSION):
        bag.add("alicloud provider version constraint not met", pos, severity="warning",
                detail=f'The configuration asks for alicloud "{version}"; clbplan mirrors the schemas of '
                       f"alicloud {ALICLOUD_PROVIDER_VERSION}, so arguments added or removed since may differ.")
    source = f"{host}/{namespace}/{type_}" if not builtin else SUPPORTED_PROVIDERS["terraform"][0]
    if name in settings.providers:
        bag.add("Duplicate required provider", pos,
                detail=f'The provider "{name}" is already required at {settings.providers[name].pos}.')
        return
    settings.providers[name] = ProviderRequirement(name, source, version, pos)


def _backend_block(settings: TerraformSettings, b: ir.Block, fn: str) -> None:
    pos = _pos(fn, b)
    if settings.backend_pos is not None:
        settings.backend_problems.add("Duplicate backend configuration", pos,
                detail=f"A module may have only one backend or cloud block; one is already at "
                       f"{settings.backend_pos}.", hint="remove one of them")
        return
    settings.backend_pos = pos
    have = ", ".join(f'"{n}"' for n in sorted(BACKENDS))
    if b.type == "cloud":
        settings.backend_problems.add("HCP Terraform is not supported", pos,
                detail=f"clbplan keeps state with these backends: {have}; a cloud block cannot be used.",
                hint='remove the cloud block (state goes to clbplan.tfstate) or write backend "local" '
                     '{ path = "..." }')
        return
    if len(b.labels) != 1:
        settings.backend_problems.add("Wrong number of labels on backend block", pos,
                detail='A backend block takes one label, its type: backend "local" { ... }.')
        return
    kind = b.labels[0]
    if kind not in BACKENDS:
        settings.backend_problems.add(f'Unsupported backend "{kind}"', pos,
                detail=f'clbplan cannot keep state in the "{kind}" backend. The backends clbplan has are: '
                       f"{have}.",
                hint=f'remove the backend block to keep state in {DEFAULT_STATE_FILE} beside the configuration, '
                     'or use backend "local" { path = "..." }')
        return
    config: dict[str, Any] = {}
    for a in b.body.attributes:
        if a.name not in BACKENDS[kind]:
            settings.backend_problems.add("Unsupported argument", _pos(fn, a),
                    detail=f'An argument named "{a.name}" is not expected in a "{kind}" backend block.',
                    hint=f"the {kind} backend accepts: " + ", ".join(sorted(BACKENDS[kind])))
            continue
        try:
            config[a.name] = static_value(a.expr)
        except _NotLiteral:
            settings.backend_problems.add("Variables not allowed", _pos(fn, a.expr),
                    detail="Backend configuration is read before anything is evaluated, so it must be "
                           "literal values: variables, locals and functions cannot be used here.")
    for nb in b.body.blocks:
        settings.backend_problems.add("Unsupported block type", _pos(fn, nb),
                detail=f'Blocks of type "{nb.type}" are not expected in a "{kind}" backend block.')
    if kind == "local" and "path" in config and (not isinstance(config["path"], str) or not config["path"]):
        settings.backend_problems.add("Invalid backend path", pos, detail='The local backend\'s "path" must be a non-empty string.')
        return
    for name in ("path", "workspace_dir"):  # (a file name cannot hold a NUL byte: "\u0000" in HCL)
        if kind == "local" and isinstance(config.get(name), str) and "\x00" in config[name]:
            settings.backend_problems.add("Invalid backend path", pos,
                                          detail=f'The local backend\'s "{name}" contains a NUL character ("\\u0000"); '
                                                 "no file name can.")
            return
    if kind == "pg":
        for name in ("conn_str", "schema_name"):
            if name in config and not isinstance(config[name], str):
                settings.backend_problems.add("Invalid backend argument", pos,
                                              detail=f'The pg backend\'s "{name}" must be a string.')
                return
        for name in ("skip_schema_creation", "skip_table_creation", "skip_index_creation"):
            if name in config and not isinstance(config[name], bool):
                settings.backend_problems.add("Invalid backend argument", pos,
                                              detail=f'The pg backend\'s "{name}" must be true or false.')
                return
    settings.backend = BackendConfig(kind, config, pos)


def check_required_versions(settings: TerraformSettings, bag: DiagnosticBag) -> None:
    """Terraform's "Unsupported Terraform Core version", against the language level clbplan implements."""
    here = Version.parse(TERRAFORM_LANGUAGE_VERSION)
    for text, pos in settings.required_versions:
        try:
            constraint = Constraints.parse(text)
        except ConstraintError as e:
            bag.add("Invalid required_version constraint", pos, detail=str(e),
                    hint='write it like ">= 1.5.0" or "~> 1.11"')
            continue
        if not constraint.allows(here):
            bag.add("Unsupported Terraform Core version", pos,
                    detail=f'This configuration requires Terraform "{text}"; clbplan implements the language '
                           f"of Terraform {TERRAFORM_LANGUAGE_VERSION}, which does not satisfy it.",
                    hint="if the configuration does not need a newer language feature, relax required_version "
                         f"so that it admits {TERRAFORM_LANGUAGE_VERSION}")


def check_module(blocks: list[ir.Block], bag: DiagnosticBag) -> TerraformSettings:
    """The checks every module gets when it is loaded: settings readable, required_version met.

    The backend is not judged here: only the root module's counts (Terraform ignores a child's),
    and the command that opens the state judges it (``configured_backend``).
    """
    settings = read_settings(blocks, bag)
    check_required_versions(settings, bag)
    return settings


# ---- reading a directory's terraform blocks without evaluating anything -----------------------

_BACKEND_HINT = re.compile(r'\bbackend\s*"|"backend"\s*:|\bcloud\s*\{|"cloud"\s*:')


def terraform_blocks(directory: Path, *, only_if: re.Pattern[str] | None = None) -> list[ir.Block]:
    """The ``terraform`` blocks of every .tf/.tf.json file in ``directory`` (syntax errors raise).

    ``only_if`` skips files whose text does not match (the state path lookup runs on every plan, so
    it parses only files that can hold a backend block).
    """
    from planner.config.hclparse import SyntaxProblem, parse_text
    from planner.config.loader import display_path, parse_json_text

    out: list[ir.Block] = []
    if not directory.is_dir():
        return out
    for p in sorted(directory.iterdir()):
        if not p.is_file() or not (p.name.endswith(".tf") or p.name.endswith(".tf.json")):
            continue
        try:
            text = p.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError):
            continue  # the loader reports unreadable files with their position
        if only_if is not None and not only_if.search(text):
            continue
        disp = display_path(shown_dir(directory), p.name)
        try:
            body = parse_json_text(text) if p.name.endswith(".json") else parse_text(text)
        except SyntaxProblem as s:
            raise DiagnosticsError([Diagnostic(s.summary, SourcePos(disp, s.line, s.col), s.detail, s.hint)])
        for b in body.blocks:
            if b.type == "terraform":
                b.filename = disp
                out.append(b)
    return out


def configured_backend(directory: Path) -> BackendConfig:
    """The root module's backend: the one its ``terraform`` block names, else the local default.

    Raises DiagnosticsError (located) for a backend clbplan does not have or a malformed block.
    """
    settings = read_settings(terraform_blocks(directory, only_if=_BACKEND_HINT), DiagnosticBag())
    settings.backend_problems.raise_if_errors()
    return settings.backend or BackendConfig("local", {})


TERRAFORM_STATE_FILE = "terraform.tfstate"
DEFAULT_WORKSPACE_DIR = "terraform.tfstate.d"


def configured_state_path(directory: Path, workspace: str = "default") -> Path:
    """Where the local backend keeps this configuration's state (``path`` relative to the directory).

    The default workspace: ``backend "local" { path }``, else ``clbplan.tfstate``, else a
    ``terraform.tfstate`` Terraform left there (read and written in place, never ignored: planning
    beside it would create everything again). Another workspace: Terraform's layout,
    ``<workspace_dir, default terraform.tfstate.d>/NAME/terraform.tfstate``.
    """
    backend = configured_backend(directory)
    if backend.type != "local":
        raise DiagnosticsError([Diagnostic(f'The "{backend.type}" backend has no state file', backend.pos)])
    if workspace != "default":
        return directory / str(backend.config.get("workspace_dir") or DEFAULT_WORKSPACE_DIR) / workspace / \
            TERRAFORM_STATE_FILE
    if backend.config.get("path"):
        return directory / str(backend.config["path"])
    return default_state_file(directory)


def default_state_file(directory: Path) -> Path:
    """``clbplan.tfstate``, or Terraform's ``terraform.tfstate`` when only that one exists; both is an error."""
    ours, theirs = directory / DEFAULT_STATE_FILE, directory / TERRAFORM_STATE_FILE
    if not theirs.is_file():
        return ours
    if not ours.exists():
        return theirs
    shown = shown_dir(directory)
    raise DiagnosticsError([Diagnostic(
        f"Two state files in {shown or 'this directory'}: {DEFAULT_STATE_FILE} and {TERRAFORM_STATE_FILE}",
        detail="clbplan reads the state Terraform keeps in terraform.tfstate, and its own in clbplan.tfstate; "
               "with both present it cannot tell which one describes the cloud.",
        hint="keep the one that is current (move the other away), or choose with -state PATH or "
             'backend "local" { path = "..." }')])
