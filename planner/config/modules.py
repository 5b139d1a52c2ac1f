"""Module calls: find the directory each ``module "NAME" { source = ... }`` block names, and load it.

Local sources (``./x``, ``../x``) are read in place, relative to the calling module, as Terraform
does. Anything else (registry addresses, git, archives) must already be installed: ``clbplan init``
or ``terraform init`` records it in ``.terraform/modules/modules.json`` (Terraform's format, read
exactly: ``{"Modules":[{"Key","Source","Version"?,"Dir"}]}``, keys like ``slb.listener``, ``Dir``
relative to the root module's directory). ``plan``/``apply`` never download anything: a module that
is not installed is one located error naming the call, its source and the command that installs it.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

from planner.config import ir
from planner.diagnostics import DiagnosticBag, DiagnosticsError, SourcePos

MAX_DEPTH = 64  # deeper than any real configuration; a recursion that slipped through stops here
INIT_HINT = "run clbplan init (or terraform init) in the root module's directory to install it"
CALL_META = {"source", "version", "count", "for_each", "providers", "depends_on"}


@dataclass(frozen=True)
class ManifestRecord:
    """One entry of ``modules.json``."""

    key: str
    source: str
    version: str | None
    dir: str


def is_local_source(source: str) -> bool:
    """Terraform's rule: only ``./`` and ``../`` prefixes are local paths, read in place."""
    return source.startswith("./") or source.startswith("../") or source.startswith(".\\") \
        or source.startswith("..\\")


_REGISTRY = re.compile(r"^(?:(?P<host>[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)/)?(?P<ns>[A-Za-z0-9][A-Za-z0-9_-]*)/"
                       r"(?P<name>[A-Za-z0-9][A-Za-z0-9_-]*)/(?P<system>[a-z0-9]+)(?P<sub>//.*)?$")


def normalize_source(source: str) -> str:
    """The form Terraform records in modules.json: registry addresses with their host
    (``registry.terraform.io/alibaba/slb/alicloud``), GitHub shorthands as ``git::https://...git``."""
    m = _REGISTRY.match(source)
    if m and "::" not in source:
        host = (m.group("host") or "registry.terraform.io").lower()
        return f"{host}/{m.group('ns')}/{m.group('name')}/{m.group('system')}{m.group('sub') or ''}"
    for prefix in ("github.com/", "bitbucket.org/"):
        if source.startswith(prefix):
            path, _, query = source[len(prefix):].partition("?")
            sub = ""
            if "//" in path:
                path, sub = path.split("//", 1)
                sub = "//" + sub
            repo = path if path.endswith(".git") else path + ".git"
            return f"git::https://{prefix}{repo}{sub}" + (f"?{query}" if query else "")
    return source


def data_dir(root: str | Path) -> Path:
    """``.terraform`` (or ``TF_DATA_DIR``, as Terraform reads it) under the root module."""
    return Path(root) / os.environ.get("TF_DATA_DIR", ".terraform")


def read_manifest(root: str | Path) -> dict[str, ManifestRecord]:
    """The records of ``.terraform/modules/modules.json``; {} when there is none.

    Raises DiagnosticsError for a file that is not Terraform's format, naming it.
    """
    path = data_dir(root) / "modules" / "modules.json"
    shown = os.path.normpath(os.path.join(str(root), os.environ.get("TF_DATA_DIR", ".terraform"),
                                          "modules", "modules.json"))
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except OSError as e:
        raise DiagnosticsError([_diag("Failed to read module manifest", SourcePos(shown, 1, 1),
                                      f"{shown} cannot be read: {e.strerror}.", INIT_HINT)]) from None
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as e:
        raise DiagnosticsError([_diag("Failed to read module manifest", SourcePos(shown, e.lineno, e.colno),
                                      f"{shown} is not valid JSON: {e.msg}.", INIT_HINT)]) from None
    mods = doc.get("Modules") if isinstance(doc, dict) else None
    if not isinstance(mods, list):
        raise DiagnosticsError([_diag("Failed to read module manifest", SourcePos(shown, 1, 1),
                                      f'{shown} has no "Modules" list.', INIT_HINT)])
    out: dict[str, ManifestRecord] = {}
    for rec in mods:
        if not isinstance(rec, dict) or not isinstance(rec.get("Key"), str) or not isinstance(rec.get("Dir"), str):
            raise DiagnosticsError([_diag("Failed to read module manifest", SourcePos(shown, 1, 1),
                                          f"{shown} holds a record without Key and Dir: {rec!r}.", INIT_HINT)])
        if rec["Key"] in out:
            raise DiagnosticsError([_diag("Failed to read module manifest", SourcePos(shown, 1, 1),
                                          f'{shown} has two records for module "{rec["Key"]}".', INIT_HINT)])
        version = rec.get("Version")
        out[rec["Key"]] = ManifestRecord(rec["Key"], str(rec.get("Source") or ""),
                                         version if isinstance(version, str) and version else None, rec["Dir"])
    return out


def _diag(summary: str, pos: SourcePos | None, detail: str, hint: str = ""):
    from planner.diagnostics import Diagnostic

    return Diagnostic(summary, pos, detail, hint)


def _literal_string(b: ir.Block, name: str, bag: DiagnosticBag) -> str | None:
    a = b.body.attr(name)
    if a is None:
        return None
    e = a.expr
    if isinstance(e, ir.Template) and all(isinstance(p, str) for p in e.parts):
        return "".join(e.parts)
    if isinstance(e, ir.Lit) and isinstance(e.value, str):
        return e.value
    bag.add(f"Invalid module {name}", SourcePos(b.filename, a.line, a.col),
            detail=f'The "{name}" argument of a module block must be a literal string: it is read before '
                   "anything is evaluated.", hint=f'write {name} = "..."')
    return None


def load_children(root, bag: DiagnosticBag) -> bool:
    """Resolve and load every module ``root`` calls, recursively; False when a child did not parse.

    Problems are added to ``bag`` at the module call's position.
    """
    root_dir = root.directory or "."
    try:
        manifest = read_manifest(root_dir)
    except DiagnosticsError as e:
        bag.extend(e.diagnostics)
        return False
    ok = _load_calls(root, root_dir, manifest, bag, [os.path.realpath(root_dir)], 0)
    _hash_children(root)
    return ok


def _load_calls(mod, root_dir: str, manifest: dict[str, ManifestRecord], bag: DiagnosticBag,
                ancestors: list[str], depth: int) -> bool:
    """Load the modules ``mod`` calls into ``mod.children``, then theirs (depth first, calls by name);
    False when one could not be loaded or did not parse."""
    from planner.config.loader import load_module_partial

    ok = True
    for name, b in sorted(mod.calls.items()):
        found = _call_directory(mod, name, b, root_dir, manifest, bag)
        if found is None:
            ok = False
            continue
        source_dir, directory, spos = found
        real = os.path.realpath(directory)
        if real in ancestors or depth >= MAX_DEPTH:
            parts = (*mod.path, name)
            chain = " -> ".join(["(root)", *("module." + ".module.".join(parts[:i + 1])
                                             for i in range(len(parts)))])
            bag.add("Module cycle", spos,
                    detail=f'Module call "{name}" reads {directory}, which is already one of the modules '
                           f"that call it ({chain}): the configuration would never end.",
                    hint="a module cannot call itself, directly or through other modules")
            ok = False
            continue
        try:
            child, diags, parsed = load_module_partial(directory, use_cache=False, children=False)
        except DiagnosticsError as e:
            for d in e.diagnostics:
                bag.add("Unreadable module directory", spos,
                        detail=f'Module call "{name}" reads {directory}: {d.detail}', hint=d.hint)
            ok = False
            continue
        bag.extend(diags)
        ok = ok and parsed
        child.path = (*mod.path, name)
        child.source_dir = source_dir
        mod.children[name] = child
        ok = _load_calls(child, root_dir, manifest, bag, [*ancestors, real], depth + 1) and ok
    return ok


def _call_directory(mod, name: str, b: ir.Block, root_dir: str, manifest: dict[str, ManifestRecord],
                    bag: DiagnosticBag) -> tuple[str, str, SourcePos] | None:
    """Where module call ``name`` reads its module: (source dir as recorded, directory to read, position
    of ``source``); None, with the problem in ``bag``, when it has no usable source, is not installed
    or its directory is missing."""
    fn = b.filename
    pos = SourcePos(fn, b.line, b.col)
    src_attr = b.body.attr("source")
    if src_attr is None:
        bag.add("Missing required argument", pos,
                detail=f'The argument "source" is required in module "{name}", but no definition was '
                       "found.", hint='add source = "./modules/NAME" (or a registry address)')
        return None
    source = _literal_string(b, "source", bag)
    if source is None:
        return None
    spos = SourcePos(fn, src_attr.line, src_attr.col)
    key = ".".join((*mod.path, name))
    if is_local_source(source):
        source_dir = os.path.normpath(os.path.join(mod.source_dir, source.replace("\\", "/")))
    else:
        rec = manifest.get(key)
        if rec is None:
            bag.add("Module not installed", spos,
                    detail=f'Module call "{name}" (source "{source}", {fn}:{b.line}) is not installed: '
                           f'.terraform/modules/modules.json has no record for module "{key}". clbplan '
                           "plan and apply never download modules.", hint=INIT_HINT)
            return None
        if rec.source not in (source, normalize_source(source)):
            bag.add("Module source has changed", spos,
                    detail=f'Module call "{name}" now has source "{source}", but the installed module '
                           f'came from "{rec.source}".', hint=INIT_HINT.replace("install it",
                                                                               "install the new one"))
            return None
        source_dir = os.path.normpath(rec.dir)
    directory = os.path.normpath(os.path.join(root_dir, source_dir))
    if not os.path.isdir(directory):
        what = "does not exist" if not os.path.exists(directory) else "is not a directory"
        bag.add("Unreadable module directory", spos,
                detail=f'Module call "{name}" reads {directory}, which {what}.',
                hint="check the source path" if is_local_source(source) else INIT_HINT)
        return None
    return source_dir, directory, spos


def _hash_children(root) -> None:
    """Fold every loaded module's content hash into the root's: a saved plan records the content hash,
    so a change in any module must change it."""
    if root.children:
        import hashlib

        h = hashlib.sha256(root.content_hash.encode())
        stack = [root]
        while stack:
            m = stack.pop()
            for n in sorted(m.children):
                c = m.children[n]
                h.update(f"\0{'.'.join(c.path)}\0{c.content_hash}".encode())
                stack.append(c)
        root.content_hash = h.hexdigest()
