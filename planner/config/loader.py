"""Load a configuration directory: every ``*.tf`` / ``*.tf.json`` file, checked for structure.

Parsing is the slow part (python-hcl2 runs at a few hundred resources per second), so:
the garbage collector is paused while parsing (2-3x faster, same output), results are cached
by content hash under ``<dir>/.clbplan/parse-cache/`` (keyed with the python-hcl2 version so a
library upgrade never reuses stale trees), and several big files are parsed in parallel. Cache entries
are plain JSON authenticated with a per-user key (see ``parse_cache``): nothing in a checkout can run.
"""

from __future__ import annotations

import errno
import hashlib
import json
import multiprocessing
import os
import re
import stat
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import hcl2

from planner.config import ir, limits, parse_cache
from planner.config.hclparse import SyntaxProblem, parse_expression, parse_text
from planner.config.terraform_block import check_module as check_terraform_settings
from planner.diagnostics import Diagnostic, DiagnosticBag, DiagnosticsError, SourcePos
from planner.process import gc_paused

IR_VERSION = "8"  # 8: a block's lines, newlines around operators, repeated unary operators as Terraform reads them
CACHE_KEY_PREFIX = f"hcl2-{getattr(hcl2, '__version__', 'x')}-ir{IR_VERSION}"
PARALLEL_MIN_BYTES = 256 * 1024  # below this, process start-up costs more than it saves

TOP_LEVEL = {"terraform": 0, "provider": 1, "variable": 1, "locals": 0, "output": 1, "resource": 2, "data": 2}
TOP_LEVEL.update({"module": 1, "moved": 0, "removed": 0})  # modules and refactoring (planner.config.modules)


@dataclass
class Module:
    """A parsed (not evaluated) configuration directory."""

    directory: str
    files: list[ir.File] = field(default_factory=list)
    variables: dict[str, ir.Block] = field(default_factory=dict)
    locals: dict[str, tuple[ir.Attr, str]] = field(default_factory=dict)  # name -> (attr, filename)
    outputs: dict[str, ir.Block] = field(default_factory=dict)
    resources: dict[tuple[str, str], ir.Block] = field(default_factory=dict)
    data: dict[tuple[str, str], ir.Block] = field(default_factory=dict)
    providers: list[ir.Block] = field(default_factory=list)
    content_hash: str = ""
    # for the evaluation's records (``planner.config.eval_memo``): each resource block's own lines, and
    # everything else in the module's files (see ``_source_keys``)
    block_keys: dict[tuple[str, str], str] = field(default_factory=dict, repr=False, compare=False)
    context_hash: str = ""
    terraform_blocks: list[ir.Block] = field(default_factory=list)  # checked by config.terraform_block
    # module calls and what they resolved to (filled by planner.config.modules.load_children)
    calls: dict[str, ir.Block] = field(default_factory=dict)
    children: dict[str, Module] = field(default_factory=dict)
    path: tuple[str, ...] = ()  # static module path: call names from the root
    source_dir: str = "."  # path.module: this module's directory relative to the root module's
    moved: list[ir.Block] = field(default_factory=list)
    removed: list[ir.Block] = field(default_factory=list)
    # what loading found (structure errors, warnings), reported with the evaluation's by plan/apply
    load_diagnostics: list[Diagnostic] = field(default_factory=list, repr=False, compare=False)


def _display_dir(directory: str | Path) -> str:
    d = str(directory)
    if os.path.isabs(d):  # plan/apply without a DIR argument pass the absolute cwd: show it as validate does
        try:
            rel = os.path.relpath(d)
        except ValueError:  # another drive (Windows)
            rel = d
        if rel == "." or not rel.startswith(".."):
            d = rel
    return "" if d in ("", ".", "./") else d


def display_path(directory: str | Path, name: str) -> str:
    """File name as the user would type it, relative to their cwd (``examples/x/main.tf``)."""
    d = _display_dir(directory)
    return os.path.join(d, name) if d else name


def _parse_one(text: str, is_json: bool) -> ir.Body | SyntaxProblem:
    deep = limits.too_deep(text)
    if deep is not None:  # refused before the parser recurses into it (RecursionError, "This is a bug")
        return SyntaxProblem(
            "Expression too deeply nested",
            f"Brackets, braces and parentheses nest more than {limits.MAX_NESTING} levels deep here; "
            f"clbplan's limit is {limits.MAX_NESTING} levels.", *deep, hint=limits.HINT)
    try:
        return parse_json_text(text) if is_json else parse_text(text)
    except SyntaxProblem as p:
        if p.summary == "Expression too deeply nested" and (p.line, p.col) == (1, 1):
            # a long chain without brackets (a + b + ...; x ? y : x ? ...): point at the longest line
            p.line, p.col = limits.longest_line(text)
            p.detail = ("An expression chains more operators or conditionals than clbplan can parse "
                        "(several hundred); the longest line of the file is shown.")
            p.hint = p.hint or limits.HINT
        return p


def _parse_worker(args: tuple[str, bool]) -> bytes:
    with gc_paused():
        result = _parse_one(*args)
        try:
            return parse_cache.encode(result)
        except RecursionError:
            return parse_cache.encode(SyntaxProblem("Expression too deeply nested", "This file nests "
                                                    "expressions too deeply to process.", 1, 1))


def _cache_name(sha: str) -> str:
    return f"{CACHE_KEY_PREFIX}-{sha}.json"


def _cache_path(cache_dir: Path, sha: str) -> Path:
    return cache_dir / _cache_name(sha)


def _read_cache(cp: Path, sha: str, key: bytes) -> ir.Body | SyntaxProblem | None:
    """The cached parse of the file with content hash ``sha``, or None when absent or not trusted."""
    try:
        blob = cp.read_bytes()
    except OSError:
        return None
    try:
        return parse_cache.decode(parse_cache.unseal(key, _cache_name(sha), blob))
    except parse_cache.CacheFormatError:
        return None  # tampered, foreign or corrupt: parse the file again (and overwrite the entry)


def load_module(directory: str | Path, *, use_cache: bool = True) -> Module:
    """Parse every configuration file of ``directory``, and the modules it calls; raises
    DiagnosticsError with all problems."""
    module, diags, _ = load_module_partial(directory, use_cache=use_cache)
    if any(d.severity == "error" for d in diags):
        raise DiagnosticsError(diags)
    return module


def load_module_partial(directory: str | Path, *, use_cache: bool = True, children: bool = True
                        ) -> tuple[Module, list[Diagnostic], bool]:
    """Like load_module, but returns (module, diagnostics, every_file_parsed) instead of raising.

    ``validate`` uses it to go on evaluating when only structure checks failed, so one run
    reports duplicate attributes and undefined references together.
    """
    root = Path(directory)
    bag = DiagnosticBag()
    names = _config_file_names(root, directory)
    hasher = hashlib.sha256()
    texts = _read_config_texts(root, directory, names, bag, hasher)
    bodies = _parse_bodies(root / ".clbplan" / "parse-cache", texts, use_cache)
    module = Module(directory=str(directory), content_hash=hasher.hexdigest())
    all_parsed = not bag.has_errors
    for disp, _text, sha, _j in texts:
        body = bodies[disp]
        if isinstance(body, SyntaxProblem):
            all_parsed = False
            bag.add(body.summary, SourcePos(disp, body.line, body.col), detail=body.detail, hint=body.hint)
            continue
        module.files.append(ir.File(disp, body, sha))
    _index(module, bag)
    _source_keys(module, texts)
    check_terraform_settings(module.terraform_blocks, bag)
    if module.calls and children:
        from planner.config.modules import load_children

        all_parsed = load_children(module, bag) and all_parsed
    return module, bag.items, all_parsed


_NEWLINE = re.compile("\n")


def _source_keys(module: Module, texts: list[_ConfigText]) -> None:
    """A digest of each resource block's own source lines (``module.block_keys``) and one of the rest of
    the module's text (``module.context_hash``): what an edit of one resource block leaves as it was.

    A native file is cut at the lines where its top-level blocks start: a resource block's lines run to
    the next block's first line, with its file name and first line and column (so the position of every
    argument in it is the same when the digest is). Everything else (other blocks: variables, locals,
    providers, module calls, data sources; a .tf.json file, whose blocks share lines; a file where two
    blocks start on one line) goes into the module's context whole, with every file's name."""
    context = hashlib.sha256()
    bodies = {f.filename: f.body for f in module.files}
    for disp, text, _sha, is_json in texts:
        body = bodies.get(disp)
        starts = sorted((b.line, b.col, b) for b in body.blocks) if body is not None and not is_json else []
        if not starts or len({line for line, _c, _b in starts}) != len(starts):
            context.update(f"{disp}\0{text}\0".encode())
            continue
        # where each line starts (what precedes the first block is comments: it moves the blocks only)
        offsets = [0, *(m.end() for m in _NEWLINE.finditer(text)), len(text) + 1]
        context.update(f"{disp}\0".encode())
        for i, (line, col, b) in enumerate(starts):
            end = starts[i + 1][0] if i + 1 < len(starts) else len(offsets)
            span = text[offsets[line - 1]:offsets[end - 1] - 1]
            if b.type == "resource" and len(b.labels) == 2 and module.resources.get((b.labels[0], b.labels[1])) is b:
                module.block_keys[(b.labels[0], b.labels[1])] = hashlib.sha256(
                    f"{disp}\0{line}\0{col}\0{span}".encode()).hexdigest()
            else:  # (where another block is, no record holds: only what it says)
                context.update(span.encode() + b"\0")
    module.context_hash = context.hexdigest()


#: One configuration file read: (display name, text, sha256 of its bytes, is .tf.json).
_ConfigText = tuple[str, str, str, bool]


def _config_file_names(root: Path, directory: str | Path) -> list[str]:
    """The .tf and .tf.json names in ``root``, sorted; a missing directory or none found is an error."""
    if not root.is_dir():
        raise DiagnosticsError([Diagnostic("Configuration directory not found", None,
                                           f"{str(directory)!r} is not a directory.",
                                           "pass the directory that holds your .tf files")])
    # Terraform lists the directory without following links: a real folder named x.tf is skipped,
    # but a link that cannot be read (dangling, a loop) is an error, never a silently missing file
    # whose resources the plan would then destroy.
    names = sorted(p.name for p in root.iterdir()
                   if (p.name.endswith(".tf") or p.name.endswith(".tf.json"))
                   and (p.is_symlink() or not p.is_dir()))
    if not names:
        raise DiagnosticsError([Diagnostic("No configuration files", None,
                                           f"{str(directory)!r} holds no .tf or .tf.json files.",
                                           "run clbplan in the directory of your configuration")])
    return names


def _read_config_texts(root: Path, directory: str | Path, names: list[str], bag: DiagnosticBag,
                       hasher: hashlib._Hash) -> list[_ConfigText]:
    """Each file's text (UTF-8, BOM dropped); a file that cannot be read or decoded is reported in
    ``bag`` and left out. ``hasher`` takes every readable file's name and bytes (the module's hash)."""
    texts: list[_ConfigText] = []
    for name in names:
        disp = display_path(directory, name)
        try:
            raw = _read_config_file(root / name)
        except OSError as e:
            bag.add("Failed to read file", SourcePos(disp, 1, 1),
                    detail=_unreadable_reason(root / name, e),
                    hint="fix or remove the file (a .tf file that cannot be read would otherwise drop "
                         "everything it declares from the plan)")
            continue
        hasher.update(name.encode() + b"\0" + raw + b"\0")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as e:
            bag.add("Invalid file encoding", SourcePos(disp, 1, 1),
                    detail=f"The file is not valid UTF-8 (byte {e.start}).", hint="save the file as UTF-8")
            continue
        if text.startswith("\ufeff"):
            text = text[1:]
        texts.append((disp, text, hashlib.sha256(raw).hexdigest(), name.endswith(".json")))
    return texts


def _parse_bodies(cache_dir: Path, texts: list[_ConfigText], use_cache: bool
                  ) -> dict[str, ir.Body | SyntaxProblem]:
    """Each file's body (or its syntax problem) by display name: from the parse cache when trusted,
    else parsed (in worker processes when there is enough text), and the cache refreshed."""
    bodies: dict[str, ir.Body | SyntaxProblem] = {}
    todo: list[_ConfigText] = []
    key = parse_cache.user_key() if use_cache else None
    with gc_paused():
        for disp, text, sha, is_json in texts:
            cached = _read_cache(_cache_path(cache_dir, sha), sha, key) if key is not None else None
            if cached is not None:
                bodies[disp] = cached
            else:
                todo.append((disp, text, sha, is_json))
    big = [t for t in todo if len(t[1]) >= PARALLEL_MIN_BYTES // 4]
    workers = min(usable_cpus(), len(big))
    if workers >= 2 and sum(len(t[1]) for t in todo) >= PARALLEL_MIN_BYTES:
        _parse_in_workers(todo, workers, bodies, cache_dir, key)
    else:
        _parse_here(todo, bodies, cache_dir, key)
    if key is not None and todo:
        _prune_cache(cache_dir, {t[2] for t in texts})
    return bodies


def usable_cpus() -> int:
    """The cores this process may run on (``taskset``, a container's cpuset), not the machine's: on one
    core, worker processes only add their start-up and the copy of every tree back to the parent."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except (AttributeError, OSError):  # not Linux
        return os.cpu_count() or 1


def _parse_in_workers(todo: list[_ConfigText], workers: int, bodies: dict[str, ir.Body | SyntaxProblem],
                      cache_dir: Path, key: bytes | None) -> None:
    """Parse ``todo`` in ``workers`` processes; they send back the cache encoding, kept as is."""
    ctx = multiprocessing.get_context("fork") if hasattr(os, "fork") else None
    with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
        results = list(pool.map(_parse_worker, [(t[1], t[3]) for t in todo]))
    with gc_paused():
        for t, blob in zip(todo, results, strict=True):
            try:
                bodies[t[0]] = parse_cache.decode(blob)
            except parse_cache.CacheFormatError:  # too deep to rebuild here: parse it in this process
                bodies[t[0]] = _parse_one(t[1], t[3])
                continue
            if key is not None:
                _store_cache(cache_dir, t[2], blob, key)


def _parse_here(todo: list[_ConfigText], bodies: dict[str, ir.Body | SyntaxProblem], cache_dir: Path,
                key: bytes | None) -> None:
    """Parse ``todo`` in this process, caching each result that is shallow enough to encode."""
    with gc_paused():
        for disp, text, sha, is_json in todo:
            result = _parse_one(text, is_json)
            bodies[disp] = result
            if key is not None:
                try:
                    blob = parse_cache.encode(result)
                except RecursionError:
                    continue  # too deep to cache; parsing it again next time is fine
                _store_cache(cache_dir, sha, blob, key)


MAX_CONFIG_FILE_BYTES = 64 * 1024 * 1024  # far above any real .tf file; keeps a stray dump from eating memory


def _read_config_file(path: Path) -> bytes:
    """The bytes of one configuration file; OSError for anything that is not a readable regular file."""
    with open(path, "rb") as f:
        st = os.fstat(f.fileno())
        if not stat.S_ISREG(st.st_mode):
            raise IsADirectoryError(errno.EISDIR, "not a regular file") if stat.S_ISDIR(st.st_mode) \
                else OSError(errno.EINVAL, "not a regular file")
        if st.st_size > MAX_CONFIG_FILE_BYTES:
            raise OSError(errno.EFBIG, f"the file is {st.st_size} bytes; the limit is "
                                       f"{MAX_CONFIG_FILE_BYTES // (1024 * 1024)} MiB")
        return f.read()


def _unreadable_reason(path: Path, e: OSError) -> str:
    """Why a configuration file could not be read, in words (a dangling link names its target)."""
    if path.is_symlink():
        try:
            target = os.readlink(path)
        except OSError:
            target = "?"
        if e.errno == errno.ELOOP:
            return f"The file is a symbolic link that loops (-> {target})."
        if not path.exists():
            return f"The file is a symbolic link to {target}, which does not exist."
    if e.errno == errno.EISDIR:
        return "The name is a link to a directory, not a file."
    if e.errno == errno.EACCES:
        return "Permission denied: the file cannot be read by this user."
    return f"The file cannot be read: {e.strerror or e}."


def _prune_cache(cache_dir: Path, live: set[str]) -> None:
    """Drop entries for file contents that no longer exist, so the cache does not grow forever, and the
    half-written entries of writers that were killed."""
    parse_cache.sweep_temps(cache_dir)
    keep = {_cache_name(sha) for sha in live}
    try:
        for p in cache_dir.glob("hcl2-*"):
            if p.name not in keep:
                p.unlink(missing_ok=True)
    except OSError:
        pass


def _store_cache(cache_dir: Path, sha: str, payload: bytes, key: bytes) -> None:
    """Write one sealed entry (it holds the configuration's text: see ``parse_cache.write_private``)."""
    parse_cache.write_private(_cache_path(cache_dir, sha), parse_cache.seal(key, _cache_name(sha), payload))


def check_duplicate_attributes(body: ir.Body, filename: str, bag: DiagnosticBag) -> None:
    """Terraform rejects ``x = 1`` twice in one body ("Attribute redefined"); so do we, recursively."""
    seen: dict[str, ir.Attr] = {}
    for a in body.attributes:
        if a.name in seen:
            first = seen[a.name]
            bag.add("Attribute redefined", SourcePos(filename, a.line, a.col),
                    detail=f'The argument "{a.name}" was already set at {filename}:{first.line},{first.col}. '
                           "Each argument may be set only once.",
                    hint=f'remove one of the two "{a.name}" lines')
        else:
            seen[a.name] = a
    for b in body.blocks:
        check_duplicate_attributes(b.body, filename, bag)


def _index(module: Module, bag: DiagnosticBag) -> None:
    for f in module.files:
        fn = f.filename
        check_duplicate_attributes(f.body, fn, bag)
        for a in f.body.attributes:
            bag.add("Unsupported argument", SourcePos(fn, a.line, a.col),
                    detail=f'An argument named "{a.name}" is not expected at the top level of a file.',
                    hint="arguments belong inside a block such as resource, locals or provider")
        for b in f.body.blocks:
            b.filename = fn
            pos = SourcePos(fn, b.line, b.col)
            if b.type not in TOP_LEVEL:
                bag.add("Unsupported block type", pos,
                        detail=f'Blocks of type "{b.type}" are not expected here.',
                        hint="top-level blocks are: " + ", ".join(sorted(TOP_LEVEL)))
                continue
            want = TOP_LEVEL[b.type]
            if len(b.labels) != want:
                noun = {0: "no labels", 1: "one label (a name)", 2: "two labels (type and name)"}[want]
                bag.add(f"Wrong number of labels on {b.type} block", pos,
                        detail=f'A "{b.type}" block takes {noun}; this one has {len(b.labels)}.',
                        hint={0: f"write {b.type} {{ ... }}", 1: f'write {b.type} "NAME" {{ ... }}',
                              2: f'write {b.type} "TYPE" "NAME" {{ ... }}'}[want])
                continue
            if b.type == "variable":
                _unique(module.variables, b.labels[0], b, bag, "variable", fn)
            elif b.type == "output":
                _unique(module.outputs, b.labels[0], b, bag, "output", fn)
            elif b.type == "resource" or b.type == "data":
                key = (b.labels[0], b.labels[1])
                target = module.resources if b.type == "resource" else module.data
                if key in target:
                    first = target[key]
                    kind = "resource" if b.type == "resource" else "data"
                    addr = ("" if kind == "resource" else "data.") + f"{key[0]}.{key[1]}"
                    bag.add(f"Duplicate {kind} \"{key[0]}\" configuration", pos,
                            detail=f"A {kind} named {addr} was already declared at "
                                   f"{first.filename}:{first.line},{first.col}. Resource names must be unique "
                                   "per type in a module.",
                            hint="rename one of them")
                else:
                    target[key] = b
            elif b.type == "locals":
                for a in b.body.attributes:
                    if a.name in module.locals:
                        first, ffn = module.locals[a.name]
                        bag.add("Duplicate local value definition", SourcePos(fn, a.line, a.col),
                                detail=f'A local value named "{a.name}" was already defined at '
                                       f"{ffn}:{first.line},{first.col}. Local value names must be unique.",
                                hint="rename or remove one of them")
                    else:
                        module.locals[a.name] = (a, fn)
                for nb in b.body.blocks:
                    bag.add("Unexpected block in locals", SourcePos(fn, nb.line, nb.col),
                            detail="A locals block holds only NAME = VALUE arguments.")
            elif b.type == "provider":
                module.providers.append(b)
            elif b.type == "terraform":
                module.terraform_blocks.append(b)
            elif b.type == "module":
                _unique(module.calls, b.labels[0], b, bag, "module call", fn)
            elif b.type == "moved":
                module.moved.append(b)
            elif b.type == "removed":
                module.removed.append(b)


def _unique(target: dict, name: str, b: ir.Block, bag: DiagnosticBag, kind: str, fn: str) -> None:
    if name in target:
        first = target[name]
        bag.add(f"Duplicate {kind} declaration", SourcePos(fn, b.line, b.col),
                detail=f'A {kind} named "{name}" was already declared at {first.filename}:{first.line},'
                       f"{first.col}. {kind.capitalize()} names must be unique within a module.",
                hint="rename or remove one of them")
    else:
        target[name] = b


# ---- .tf.json -----------------------------------------------------------------------------------

# Nested keys of JSON bodies that are blocks, not object-valued arguments. Resource-specific block
# names (servers, x_forwarded_for...) are recognised when the value is an object or a list of objects.
_JSON_BLOCKS = {"lifecycle", "dynamic", "content", "validation", "endpoints", "required_providers",
                "servers", "x_forwarded_for", "backend_servers", "rules", "entry", "entrys", "backends"}


def parse_json_text(text: str) -> ir.Body:
    """Terraform's JSON syntax -> IR. Strings are templates; positions are line-approximate."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise SyntaxProblem("Invalid JSON", e.msg, e.lineno, e.colno) from None
    except ValueError as e:  # a number of more than 4,300 digits
        raise SyntaxProblem("Invalid JSON", str(e).split(";")[0], 1, 1) from None
    except RecursionError:  # (too_deep refuses these first; parse_json_text may be called alone)
        raise SyntaxProblem("Expression too deeply nested", "The JSON nests too deeply to read.",
                            *limits.too_deep(text, 1) or (1, 1), hint=limits.HINT) from None
    if not isinstance(data, dict):
        raise SyntaxProblem("Invalid JSON configuration", "The root of a .tf.json file must be an object.", 1, 1)
    finder = _LineFinder(text)
    body = ir.Body()
    for btype, content in data.items():
        if btype.startswith("//"):
            continue
        line = finder.line_of(btype)
        depth = TOP_LEVEL.get(btype, 0)
        for labels, inner in _json_label_walk(content, depth):
            if btype == "locals" or btype == "terraform":
                inner_body = _json_body(inner, finder, line, block_keys=set())
            else:
                inner_body = _json_body(inner, finder, line)
            body.blocks.append(ir.Block(btype, labels, inner_body, finder.line_of(labels[-1]) if labels
                                        else line, 1))
    return body


def _json_label_walk(content, depth: int):
    items = content if isinstance(content, list) else [content]
    for item in items:
        if depth == 0:
            yield [], item
        elif isinstance(item, dict):
            for label, sub in item.items():
                for labels, inner in _json_label_walk(sub, depth - 1):
                    yield [label, *labels], inner


class _LineFinder:
    def __init__(self, text: str):
        self.text = text
        self.cursor = 0

    def line_of(self, key: str) -> int:
        idx = self.text.find(json.dumps(key), self.cursor)
        if idx < 0:
            idx = self.text.find(json.dumps(key))
        if idx < 0:
            return 1
        self.cursor = idx + 1
        return self.text.count("\n", 0, idx) + 1


def _json_body(obj, finder: _LineFinder, line: int, block_keys: set[str] | None = None) -> ir.Body:
    body = ir.Body()
    if not isinstance(obj, dict):
        return body
    blocks = _JSON_BLOCKS if block_keys is None else block_keys
    for key, value in obj.items():
        if key.startswith("//"):
            continue
        kl = finder.line_of(key)
        if key in blocks and (isinstance(value, dict) or (isinstance(value, list) and value
                                                          and all(isinstance(v, dict) for v in value))):
            if key == "dynamic":
                for label, inner in value.items():
                    body.blocks.append(ir.Block("dynamic", [label], _json_body(inner, finder, kl), kl, 1))
                continue
            for item in value if isinstance(value, list) else [value]:
                body.blocks.append(ir.Block(key, [], _json_body(item, finder, kl), kl, 1))
            continue
        body.attributes.append(ir.Attr(key, _json_expr(value, kl, key), kl, 1))
    return body


def _json_expr(value, line: int, key: str = "") -> ir.Expr:
    if isinstance(value, str):
        if key in ("depends_on", "ignore_changes", "provider", "type", "iterator"):
            return parse_expression(value, line) if value else ir.Lit(value, line, 1)
        if "${" in value or "%{" in value:
            from planner.config.hclparse import build_template, scan_template
            return build_template(scan_template(value, line, 1), line, 1)
        return ir.Lit(value, line, 1)
    if isinstance(value, list):
        if key in ("depends_on", "ignore_changes"):
            return ir.TupleExpr([parse_expression(v, line) if isinstance(v, str) else _json_expr(v, line)
                                 for v in value], line, 1)
        return ir.TupleExpr([_json_expr(v, line) for v in value], line, 1)
    if isinstance(value, dict):
        return ir.ObjectExpr([(ir.Lit(k, line, 1), _json_expr(v, line)) for k, v in value.items()], line, 1)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return ir.Lit(value, line, 1)
