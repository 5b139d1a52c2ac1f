"""``clbplan init``'s module installer: every module call, installed where ``terraform init`` puts it.

The walk is Terraform's (``internal/initwd/module_install.go``): depth first, calls in name order;
a local source (``./``, ``../``) is read in place, resolved against its caller's directory (inside
a downloaded package when the caller is one); a registry or remote source is fetched whole into
``.terraform/modules/<Key>`` and the module is at ``<that>/<subdir>``. What is already installed and
recorded in ``modules.json`` (by terraform or by clbplan) with the same source, a version that
still meets the constraint, and its directory present, is used as it is.

All downloads go to a staging directory first; only when every module call resolved are they moved
into place and the manifest rewritten, so a failed init leaves the working directory as it was.
"""

from __future__ import annotations

import os
import posixpath
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from planner.config import ir
from planner.config.limits import MAX_MODULE_DEPTH as MAX_DEPTH  # one limit for init and plan
from planner.config.module_manifest import MODULES_DIR, ModuleRecord, read_manifest, write_manifest
from planner.config.module_registry import RegistryClient
from planner.config.module_sources import (
    LocalSource,
    ModuleSource,
    RegistrySource,
    RemoteSource,
    SourceError,
    fetch_package,
    parse_source,
)
from planner.config.terraform_block import _NotLiteral, shown_dir, static_value
from planner.config.version_constraints import ConstraintError, Constraints
from planner.diagnostics import Diagnostic, DiagnosticBag, DiagnosticsError, SourcePos


@dataclass
class ModuleCall:
    """One ``module "NAME" { source = ... }`` block, with the literal source and version."""

    name: str
    source: str
    version: str
    pos: SourcePos
    source_pos: SourcePos
    version_pos: SourcePos | None = None


@dataclass
class DirScan:
    """What the installer and ``clbplan providers`` need from one module directory."""

    calls: list[ModuleCall] = field(default_factory=list)
    terraform_blocks: list[ir.Block] = field(default_factory=list)
    resource_types: list[tuple[str, SourcePos]] = field(default_factory=list)  # (type, where), in file order
    provider_blocks: list[ir.Block] = field(default_factory=list)
    has_files: bool = False


def scan_directory(path: Path, bag: DiagnosticBag, *, display: str | None = None) -> DirScan:
    """Parse every .tf/.tf.json file of ``path`` for module calls, terraform blocks and resource types.

    ``display`` is the directory name used in messages (a package still in staging is named by
    where it will be installed)."""
    from planner.config.hclparse import SyntaxProblem, parse_text
    from planner.config.loader import display_path, parse_json_text

    scan = DirScan()
    disp_dir = shown_dir(path) if display is None else ("" if display == "." else display)
    names = sorted(p.name for p in path.iterdir()
                   if p.is_file() and (p.name.endswith(".tf") or p.name.endswith(".tf.json")))
    seen: dict[str, SourcePos] = {}
    for name in names:
        scan.has_files = True
        fn = display_path(disp_dir, name)
        try:
            text = (path / name).read_text(encoding="utf-8-sig")
            body = parse_json_text(text) if name.endswith(".json") else parse_text(text)
        except UnicodeDecodeError:
            bag.add("Invalid file encoding", SourcePos(fn, 1, 1), detail="The file is not valid UTF-8.")
            continue
        except SyntaxProblem as s:
            bag.add(s.summary, SourcePos(fn, s.line, s.col), detail=s.detail, hint=s.hint)
            continue
        for b in body.blocks:
            b.filename = fn
            pos = SourcePos(fn, b.line, b.col)
            if b.type == "terraform":
                scan.terraform_blocks.append(b)
            elif b.type == "provider":
                scan.provider_blocks.append(b)
            elif b.type in ("resource", "data") and b.labels:
                scan.resource_types.append((b.labels[0], pos))
            elif b.type == "module":
                call = _read_call(b, fn, pos, bag)
                if call is None:
                    continue
                if call.name in seen:
                    bag.add("Duplicate module call", pos,
                            detail=f'A module call named "{call.name}" was already defined at {seen[call.name]}. '
                                   "Module calls must have unique names within a module.",
                            hint="rename one of them")
                    continue
                seen[call.name] = pos
                scan.calls.append(call)
    scan.calls.sort(key=lambda c: c.name)
    return scan


def _read_call(b: ir.Block, fn: str, pos: SourcePos, bag: DiagnosticBag) -> ModuleCall | None:
    if len(b.labels) != 1:
        bag.add("Wrong number of labels on module block", pos,
                detail='A "module" block takes one label, its name.', hint='write module "NAME" { ... }')
        return None
    name = b.labels[0]
    src = b.body.attr("source")
    if src is None:
        bag.add("Missing required argument", pos, detail=f'The module call "{name}" has no "source" argument.',
                hint='add source = "./path/to/module" (or a registry or git address)')
        return None
    spos = SourcePos(fn, src.expr.line, src.expr.col)
    try:
        source = static_value(src.expr)
    except _NotLiteral:
        source = None
    if not isinstance(source, str):
        bag.add("Invalid value for module argument", spos,
                detail=f'The "source" of module "{name}" must be a literal string; variables and functions '
                       "are not allowed there (the module is installed before anything is evaluated).")
        return None
    ver = b.body.attr("version")
    version, vpos = "", None
    if ver is not None:
        vpos = SourcePos(fn, ver.expr.line, ver.expr.col)
        try:
            version = static_value(ver.expr)
        except _NotLiteral:
            version = None
        if not isinstance(version, str):
            bag.add("Invalid value for module argument", vpos,
                    detail=f'The "version" of module "{name}" must be a literal string such as ">= 1.2.0".')
            return None
    return ModuleCall(name, source, version, pos, spos, vpos)


@dataclass
class ModuleNode:
    """One module in the tree: its Key, where its files are now, and what they say."""

    key: str
    record: ModuleRecord
    path: Path  # where the files are on disk right now (staging during an install)
    scan: DirScan
    call: ModuleCall | None = None
    children: list[ModuleNode] = field(default_factory=list)


@dataclass
class InstallResult:
    root: ModuleNode
    records: dict[str, ModuleRecord]
    installed: list[str]  # keys fetched this run


Echo = Callable[[str], None]


def _join_key(parent: str, name: str) -> str:
    return f"{parent}.{name}" if parent else name


def _call_error(call: ModuleCall, e: SourceError, action: str) -> Diagnostic:
    version = f', version "{call.version}"' if call.version else ""
    hint = e.hint or "fix the source address, or install the module with terraform init"
    return Diagnostic(f'Failed to {action} module "{call.name}": {e.summary}', call.source_pos,
                      f'module "{call.name}" (source "{call.source}"{version}) declared at {call.pos}: '
                      f"{e.detail or e.summary}", hint)


class ModuleWalker:
    """Walks a configuration's module tree; ``install=True`` fetches what is missing (init),
    ``install=False`` only reads what is installed (``clbplan providers``, loading)."""

    def __init__(self, workdir: Path, *, install: bool, upgrade: bool = False, echo: Echo | None = None,
                 registry: RegistryClient | None = None):
        self.workdir = workdir
        self.install = install
        self.upgrade = upgrade
        self.echo = echo or (lambda _line: None)
        self._registry = registry
        self.bag = DiagnosticBag()
        self.previous = read_manifest(workdir)
        self.records: dict[str, ModuleRecord] = {"": ModuleRecord("", "", ".")}
        self.staged: dict[str, Path] = {}  # key -> staging directory of a fetched package
        self.staging: Path | None = None

    @property
    def registry(self) -> RegistryClient:
        if self._registry is None:
            self._registry = RegistryClient()
        return self._registry

    def run(self) -> InstallResult:
        """Walk the tree, fetching into staging what is missing; raises DiagnosticsError on any problem.

        Nothing is moved into place until ``commit()``; ``close()`` (or the context manager) drops
        whatever was staged and not committed.
        """
        root_scan = scan_directory(self.workdir, self.bag)
        if not root_scan.has_files:
            self.bag.add("No configuration files", None,
                         detail=f"{shown_dir(self.workdir) or 'The current directory'} holds no .tf or .tf.json "
                                "files.", hint="run clbplan init in the directory of your configuration")
            raise DiagnosticsError(self.bag.items)
        root = ModuleNode("", self.records[""], self.workdir, root_scan)
        self._walk(root, package_root=None, ancestors=[self.workdir.resolve()])
        self.bag.raise_if_errors()
        return InstallResult(root, dict(self.records), list(self.staged))

    def close(self) -> None:
        if self.staging is not None:
            shutil.rmtree(self.staging, ignore_errors=True)
            self.staging = None

    def __enter__(self) -> ModuleWalker:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- the walk --------------------------------------------------------------------------------
    def _walk(self, node: ModuleNode, package_root: str | None, ancestors: list[Path]) -> None:
        if node.key.count(".") >= MAX_DEPTH:
            self.bag.add("Module nesting too deep", node.call.pos if node.call else None,
                         detail=f"Modules are nested more than {MAX_DEPTH} levels deep at {node.key}.")
            return
        for call in node.scan.calls:
            key = _join_key(node.key, call.name)
            try:
                src = parse_source(call.source)
            except SourceError as e:
                self.bag.items.append(Diagnostic(e.summary, call.source_pos, f'module "{call.name}": {e.detail}',
                                                 e.hint))
                continue
            if call.version and not isinstance(src, RegistrySource):
                self.bag.add("Invalid version argument", call.version_pos or call.pos,
                             detail=f'Module "{call.name}" has a version constraint, but its source "{call.source}" '
                                    "is not a registry address; only registry modules have versions.",
                             hint="remove version, or pin a git source with ?ref=")
                continue
            child = self._resolve(node, key, call, src, package_root)
            if child is None:
                continue
            child_path, child_root = child
            real = child_path.resolve()
            if real in ancestors:
                self.bag.add("Module cycle", call.source_pos,
                             detail=f'Module "{call.name}" (source "{call.source}") calls a module that is one of '
                                    f"its own callers ({self.records[key].dir}); modules may not call themselves.",
                             hint="point the source at a different directory")
                del self.records[key]
                continue
            scan = scan_directory(child_path, self.bag, display=self._display(key))
            if not scan.has_files:
                self.bag.add("No configuration files in module", call.source_pos,
                             detail=f'The directory of module "{call.name}" ({self.records[key].dir}) holds no .tf '
                                    "or .tf.json files.", hint="check the source path (and any //subdir)")
                continue
            child_node = ModuleNode(key, self.records[key], child_path, scan, call)
            node.children.append(child_node)
            self._walk(child_node, child_root, [*ancestors, real])

    def _display(self, key: str) -> str:
        """How files of module ``key`` are named in messages: by their final place, never staging."""
        base = shown_dir(self.workdir)
        d = self.records[key].dir
        return posixpath.normpath(posixpath.join(base, d)) if base else d

    def _resolve(self, parent: ModuleNode, key: str, call: ModuleCall, src: ModuleSource,
                 package_root: str | None) -> tuple[Path, str | None] | None:
        if isinstance(src, LocalSource):
            rel = posixpath.normpath(posixpath.join(parent.record.dir, src.path))
            if package_root is not None and not (rel == package_root or rel.startswith(package_root + "/")):
                self.bag.add("Local module path escapes module package", call.source_pos,
                             detail=f'The local source "{call.source}" of module "{call.name}" leaves the package '
                                    f"{package_root} it is part of; a downloaded module can only use local "
                                    "modules inside its own package.",
                             hint="publish the called module separately and call it by its own address")
                return None
            path = Path(os.path.normpath(parent.path / src.path))
            if not path.is_dir():
                self.bag.add("Unreadable module directory", call.source_pos,
                             detail=f'The directory {rel} of module "{call.name}" (source "{call.source}") does '
                                    "not exist.", hint="check the path: it is relative to the calling module's "
                                                       "directory")
                return None
            rec = ModuleRecord(key, src.path, rel)
            self._note(rec)
            return path, package_root
        return self._remote(key, call, src)

    def _note(self, rec: ModuleRecord) -> None:
        self.records[rec.key] = rec
        if self.install and self.previous.get(rec.key) != rec:
            self.echo(f"- {rec.key} in {rec.dir}")

    def _remote(self, key: str, call: ModuleCall, src: RegistrySource | RemoteSource
                ) -> tuple[Path, str | None] | None:
        constraint = None
        if isinstance(src, RegistrySource):
            try:
                constraint = Constraints.parse(call.version)
            except ConstraintError as e:
                self.bag.add("Invalid version constraint", call.version_pos or call.pos,
                             detail=f'module "{call.name}": {e}', hint='write it like ">= 1.2.0, < 2.0.0"')
                return None
        prev = self.previous.get(key)
        if prev is not None and not self.upgrade and prev.source == str(src) and (self.workdir / prev.dir).is_dir():
            if constraint is None or (prev.version and constraint.allows(prev.version)):
                self.records[key] = prev
                return self.workdir / prev.dir, _package_of(prev.dir, key)
        if not self.install:
            self.bag.add("Module not installed", call.source_pos,
                         detail=f'Module "{call.name}" (source "{call.source}") is not installed in '
                                f"{MODULES_DIR}, or its installed version no longer matches.",
                         hint="run clbplan init (or terraform init) to install it")
            return None
        try:
            return self._fetch(key, call, src, constraint)
        except SourceError as e:
            self.bag.items.append(_call_error(call, e, "install"))
            return None

    def _fetch(self, key: str, call: ModuleCall, src: RegistrySource | RemoteSource,
               constraint: Constraints | None) -> tuple[Path, str | None]:
        if self.staging is None:
            self.staging = Path(tempfile.mkdtemp(prefix=".clbplan-init-", dir=self.workdir))
        dest = self.staging / key
        version = ""
        if isinstance(src, RegistrySource):
            available = self.registry.versions(src)
            version = (constraint.newest(available) if constraint else None) or ""
            if not version:
                shown = ", ".join(sorted(available, key=_sort_key)[-8:]) or "none"
                raise SourceError("no matching version",
                                  f'The registry has no version of {src.package} that matches "{call.version}" '
                                  f"(available: {shown}).",
                                  "change the version constraint to one the registry has")
            self.echo(f"Downloading {src.package} {version} for {key}...")
            address = self.registry.download_address(src, version)
            try:
                real = parse_source(address)
            except SourceError as e:
                raise SourceError(e.summary, f"the registry's download address is unusable: {e.detail}")
            if not isinstance(real, RemoteSource):
                raise SourceError("Invalid registry response",
                                  f"the registry answered with {address!r}, which is not a package address.")
            package, subdir = real.package, real.subdir
            subdir = posixpath.join(subdir, src.subdir) if src.subdir else subdir
        else:
            self.echo(f"Downloading {src.package} for {key}...")
            package, subdir = src.package, src.subdir
        fetch_package(package, dest, token_for=self.registry.cfg.token_for if isinstance(src, RegistrySource)
                      else None)
        base_dir = f"{MODULES_DIR.as_posix()}/{key}"
        module_dir = posixpath.normpath(posixpath.join(base_dir, subdir)) if subdir else base_dir
        if not module_dir.startswith(base_dir):
            raise SourceError("Invalid subdirectory", f"the subdirectory {subdir!r} leaves the package.")
        path = dest / subdir if subdir else dest
        if not path.is_dir():
            raise SourceError("Subdirectory not found",
                              f"the package has no directory {subdir!r}.", "check the //subdir part of the source")
        self.staged[key] = dest
        rec = ModuleRecord(key, str(src), module_dir, version)
        self.records[key] = rec
        self.echo(f"- {key} in {module_dir}")
        return path, base_dir

    def commit(self) -> None:
        """Move every staged package into .terraform/modules and write the manifest."""
        target = self.workdir / MODULES_DIR
        if not self.staged and (self.records == self.previous or (len(self.records) == 1 and not self.previous)):
            return  # nothing new; and like terraform, no manifest for a configuration without module calls
        target.mkdir(parents=True, exist_ok=True)
        for key, staged in self.staged.items():
            final = target / key
            if final.exists() or final.is_symlink():
                old = target / f".old-{key}-{os.getpid()}"
                os.replace(final, old)
                shutil.rmtree(old, ignore_errors=True)
            os.replace(staged, final)
        write_manifest(self.workdir, self.records)


def _package_of(dir_: str, key: str) -> str | None:
    base = f"{MODULES_DIR.as_posix()}/{key}"
    return base if dir_ == base or dir_.startswith(base + "/") else None


def _sort_key(v: str):
    from planner.config.version_constraints import ConstraintError as _CE
    from planner.config.version_constraints import Version
    try:
        return (0, Version.parse(v))
    except _CE:
        return (-1, v)


def install_modules(workdir: Path, *, upgrade: bool = False, echo: Echo | None = None,
                    registry: RegistryClient | None = None) -> InstallResult:
    """Install every module the configuration in ``workdir`` calls; DiagnosticsError if any cannot be."""
    with ModuleWalker(workdir, install=True, upgrade=upgrade, echo=echo, registry=registry) as walker:
        result = walker.run()
        walker.commit()
        return result


def module_tree(workdir: Path) -> ModuleNode:
    """The installed module tree (nothing fetched); DiagnosticsError names what ``init`` must install."""
    with ModuleWalker(workdir, install=False) as walker:
        return walker.run().root
