"""The parse cache: plain, validated, authenticated data, never code.

A cache entry lives in the checkout (``<dir>/.clbplan/parse-cache/``), which anyone who can open a
pull request can write to. So an entry is JSON (no object the reader builds can run anything), it
is decoded against a fixed schema (one tag per IR node type, a fixed arity, typed fields), and it
carries an HMAC-SHA256 made with a per-user key kept outside the checkout
(``$XDG_CACHE_HOME/clbplan/parse-cache.key`` or ``~/.cache/clbplan/parse-cache.key``, 0600 in a
0700 folder). An entry whose tag does not verify, or whose content does not fit the schema, is
ignored and the file is parsed again. The MAC covers the cache key (library and IR versions and
the file's SHA-256) as well as the payload, so an entry cannot be moved to another file's name.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
from pathlib import Path

from planner.config import ir
from planner.config.hclparse import SyntaxProblem
from planner.workdir import user_home

MAGIC = b"clbplan-parse-cache 1\n"
KEY_FILE = "parse-cache.key"
KEY_BYTES = 32


class CacheFormatError(ValueError):
    """An entry that is not one this program wrote: ignored, the file is parsed again."""


# --------------------------------------------------------------------------- the per-user key

def key_dir() -> Path | None:
    """Where the key lives: the user's cache folder, never the checkout. None when the user has none: no
    ``XDG_CACHE_HOME``, no ``HOME`` and no home in the password database (a container started with a
    user id of its own): then nothing is cached, rather than a traceback."""
    base = os.environ.get("XDG_CACHE_HOME") or ""
    if base and os.path.isabs(base):
        return Path(base) / "clbplan"
    home = user_home()
    return None if home is None else home / ".cache" / "clbplan"


_KEYS: dict[str, bytes] = {}


def user_key() -> bytes | None:
    """The per-user MAC key, created (0600 in a 0700 folder) on first use; None if impossible.

    A key that is not ours (wrong size, readable by others, a symlink) is not trusted: without
    a trustworthy key there is simply no cache.
    """
    folder = key_dir()
    if folder is None:
        return None
    path = folder / KEY_FILE
    cached = _KEYS.get(str(path))
    if cached is not None:
        return cached
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "wb") as f:
                f.write(secrets.token_bytes(KEY_BYTES))
                f.flush()
                os.fsync(f.fileno())
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        with os.fdopen(fd, "rb") as f:
            st = os.fstat(f.fileno())
            key = f.read(KEY_BYTES + 1)
    except OSError:
        return None
    if len(key) != KEY_BYTES or st.st_mode & 0o077 or (hasattr(os, "getuid") and st.st_uid != os.getuid()):
        return None
    _KEYS[str(path)] = key
    return key


# --------------------------------------------------------------------------- sealing

def seal(key: bytes, name: str, payload: bytes) -> bytes:
    """MAGIC + hex tag + newline + payload; the tag covers the entry's name and the payload."""
    tag = hmac.new(key, name.encode() + b"\0" + payload, hashlib.sha256).hexdigest().encode()
    return MAGIC + tag + b"\n" + payload


def unseal(key: bytes, name: str, blob: bytes) -> bytes:
    """The payload of a sealed entry; CacheFormatError when it was not sealed with ``key`` for ``name``."""
    if not blob.startswith(MAGIC) or len(blob) < len(MAGIC) + 65:
        raise CacheFormatError("not a parse-cache entry")
    tag = blob[len(MAGIC):len(MAGIC) + 64]
    if blob[len(MAGIC) + 64:len(MAGIC) + 65] != b"\n":
        raise CacheFormatError("not a parse-cache entry")
    payload = blob[len(MAGIC) + 65:]
    want = hmac.new(key, name.encode() + b"\0" + payload, hashlib.sha256).hexdigest().encode()
    if not hmac.compare_digest(tag, want):
        raise CacheFormatError("entry does not verify")
    return payload


def sweep_temps(folder: Path) -> None:
    """Remove what ``write_private`` left half-written in ``folder`` when its writer was killed (its
    ``.tmp-PID-NAME`` file, whose process is gone)."""
    from planner.process import pid_alive

    try:
        names = [n for n in os.listdir(folder) if n.startswith(".tmp-")]
    except OSError:
        return
    for name in names:
        pid = name.split("-", 2)[1]
        if pid.isdigit() and not pid_alive(int(pid)):
            try:
                os.unlink(folder / name)
            except OSError:
                pass


def write_private(target: Path, blob: bytes) -> bool:
    """Write a sealed entry atomically, 0600 in 0700 folders (the target's folder and its parent, the
    checkout's ``.clbplan``): entries hold configuration text, state or plan values. False when the
    folder cannot be written: that just means no cache."""
    tmp = target.with_name(f".tmp-{os.getpid()}-{target.name}")
    try:
        for folder in (target.parent.parent, target.parent):
            folder.mkdir(mode=0o700, exist_ok=True)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0), 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(blob)
        os.replace(tmp, target)
        return True
    except OSError:
        try:
            tmp.unlink(missing_ok=True)
        except OSError:
            pass
        return False


# --------------------------------------------------------------------------- encoding

def _enc(e) -> list:  # noqa: C901 - one branch per node type is the schema
    t = type(e)
    if t is ir.Lit:
        return ["L", e.line, e.col, e.value]
    if t is ir.Name:
        return ["N", e.line, e.col, e.name]
    if t is ir.GetAttr:
        return ["G", e.line, e.col, _enc(e.obj), e.name]
    if t is ir.Index:
        return ["X", e.line, e.col, _enc(e.obj), _enc(e.key)]
    if t is ir.Template:
        return ["T", e.line, e.col, [p if type(p) is str else _enc(p) for p in e.parts]]
    if t is ir.TIf:
        return ["I", e.line, e.col, _enc(e.cond), [p if type(p) is str else _enc(p) for p in e.then],
                [p if type(p) is str else _enc(p) for p in e.else_]]
    if t is ir.TFor:
        return ["F", e.line, e.col, e.key, e.value, _enc(e.coll),
                [p if type(p) is str else _enc(p) for p in e.body]]
    if t is ir.Splat:
        return ["S", e.line, e.col, _enc(e.obj),
                [["a", v] if k == "attr" else ["i", _enc(v)] for k, v in e.ops], e.full]
    if t is ir.Call:
        return ["C", e.line, e.col, e.name, [_enc(a) for a in e.args], e.expand]
    if t is ir.TupleExpr:
        return ["U", e.line, e.col, [_enc(a) for a in e.items]]
    if t is ir.ObjectExpr:
        return ["O", e.line, e.col, [[_enc(k), _enc(v)] for k, v in e.items]]
    if t is ir.Unary:
        return ["Y", e.line, e.col, e.op, _enc(e.operand)]
    if t is ir.Binary:
        return ["B", e.line, e.col, e.op, _enc(e.left), _enc(e.right)]
    if t is ir.Cond:
        return ["Q", e.line, e.col, _enc(e.cond), _enc(e.then), _enc(e.else_)]
    if t is ir.ForExpr:
        return ["R", e.line, e.col, e.key_var, e.val_var, _enc(e.coll),
                None if e.key is None else _enc(e.key), _enc(e.value),
                None if e.cond is None else _enc(e.cond), e.group, e.is_object]
    if t is ir.Paren:
        return ["P", e.line, e.col, _enc(e.inner)]
    raise CacheFormatError(f"cannot cache a {t.__name__}")


def _enc_body(b: ir.Body) -> list:
    return [[[a.name, _enc(a.expr), a.line, a.col] for a in b.attributes],
            [[k.type, k.labels, _enc_body(k.body), k.line, k.col, k.filename, k.label_cols] for k in b.blocks]]


def encode(result: ir.Body | SyntaxProblem) -> bytes:
    """A parse result as compact JSON; RecursionError for a tree too deep to cache."""
    if isinstance(result, SyntaxProblem):
        doc: dict = {"problem": [result.summary, result.detail, result.line, result.col, result.hint]}
    else:
        doc = {"body": _enc_body(result)}
    return json.dumps(doc, separators=(",", ":"), ensure_ascii=False).encode()


# --------------------------------------------------------------------------- decoding (the schema)

_LIT_TYPES = (str, int, float, bool, type(None))


def _int(v) -> int:
    if type(v) is not int:
        raise CacheFormatError("position is not an integer")
    return v


def _str(v) -> str:
    if type(v) is not str:
        raise CacheFormatError("name is not a string")
    return v


def _opt_str(v) -> str | None:
    return None if v is None else _str(v)


def _bool(v) -> bool:
    if type(v) is not bool:
        raise CacheFormatError("flag is not a boolean")
    return v


def _list(v) -> list:
    if type(v) is not list:
        raise CacheFormatError("expected a list")
    return v


def _parts(v) -> list:
    return [p if type(p) is str else _dec(p) for p in _list(v)]


def _splat_op(op) -> tuple:
    kind, v = _list(op)
    if kind == "a":
        return ("attr", _str(v))
    if kind == "i":
        return ("index", _dec(v))
    raise CacheFormatError("unknown splat step")


_DECODERS = {  # n[1], n[2] (line, col) are checked once in _dec
    "N": lambda n: ir.Name(_str(n[3]), n[1], n[2]),
    "G": lambda n: ir.GetAttr(_dec(n[3]), _str(n[4]), n[1], n[2]),
    "X": lambda n: ir.Index(_dec(n[3]), _dec(n[4]), n[1], n[2]),
    "T": lambda n: ir.Template(_parts(n[3]), n[1], n[2]),
    "I": lambda n: ir.TIf(_dec(n[3]), _parts(n[4]), _parts(n[5]), n[1], n[2]),
    "F": lambda n: ir.TFor(_opt_str(n[3]), _str(n[4]), _dec(n[5]), _parts(n[6]), n[1], n[2]),
    "S": lambda n: ir.Splat(_dec(n[3]), [_splat_op(o) for o in _list(n[4])], _bool(n[5]), n[1], n[2]),
    "C": lambda n: ir.Call(_str(n[3]), [_dec(a) for a in _list(n[4])], _bool(n[5]), n[1], n[2]),
    "U": lambda n: ir.TupleExpr([_dec(a) for a in _list(n[3])], n[1], n[2]),
    "O": lambda n: ir.ObjectExpr([(_dec(k), _dec(v)) for k, v in map(_list, _list(n[3]))], n[1], n[2]),
    "Y": lambda n: ir.Unary(_str(n[3]), _dec(n[4]), n[1], n[2]),
    "B": lambda n: ir.Binary(_str(n[3]), _dec(n[4]), _dec(n[5]), n[1], n[2]),
    "Q": lambda n: ir.Cond(_dec(n[3]), _dec(n[4]), _dec(n[5]), n[1], n[2]),
    "R": lambda n: ir.ForExpr(_opt_str(n[3]), _str(n[4]), _dec(n[5]), None if n[6] is None else _dec(n[6]),
                              _dec(n[7]), None if n[8] is None else _dec(n[8]), _bool(n[9]), _bool(n[10]),
                              n[1], n[2]),
    "P": lambda n: ir.Paren(_dec(n[3]), n[1], n[2]),
}
_ARITY = {"L": 4, "N": 4, "G": 5, "X": 5, "T": 4, "I": 6, "F": 7, "S": 6, "C": 6, "U": 4, "O": 4, "Y": 5,
          "B": 6, "Q": 6, "R": 11, "P": 4}


def _dec(n) -> ir.Expr:
    if type(n) is not list or _ARITY.get(n[0]) != len(n) or type(n[1]) is not int or type(n[2]) is not int:
        raise CacheFormatError("unknown node, wrong arity or a position that is not a number")
    if n[0] == "L":  # the commonest node, decoded inline
        if not isinstance(n[3], _LIT_TYPES):
            raise CacheFormatError("literal of a non-scalar type")
        return ir.Lit(n[3], n[1], n[2])
    return _DECODERS[n[0]](n)


def _dec_body(b) -> ir.Body:
    attrs, blocks = _list(b)
    body = ir.Body()
    add_attr, add_block = body.attributes.append, body.blocks.append
    Attr, Block = ir.Attr, ir.Block  # noqa: N806 - local aliases: this loop is the warm load's hot path
    for a in _list(attrs):
        name, expr, line, col = _list(a)
        if type(name) is not str or type(line) is not int or type(col) is not int:
            raise CacheFormatError("attribute of the wrong shape")
        add_attr(Attr(name, _dec(expr), line, col))
    for k in _list(blocks):
        btype, labels, inner, line, col, filename, label_cols = _list(k)
        if (type(btype) is not str or type(line) is not int or type(col) is not int
                or type(filename) is not str):
            raise CacheFormatError("block of the wrong shape")
        add_block(Block(btype, [_str(x) for x in _list(labels)], _dec_body(inner), line, col, filename,
                        [_int(x) for x in _list(label_cols)]))
    return body


def decode(payload: bytes) -> ir.Body | SyntaxProblem:
    """The parse result in ``payload``; CacheFormatError for anything outside the schema."""
    try:
        doc = json.loads(payload)
        if type(doc) is not dict or len(doc) != 1:
            raise CacheFormatError("not a parse-cache document")
        if "problem" in doc:
            summary, detail, line, col, hint = _list(doc["problem"])
            return SyntaxProblem(_str(summary), _str(detail), _int(line), _int(col), _str(hint))
        if "body" in doc:
            return _dec_body(doc["body"])
        raise CacheFormatError("not a parse-cache document")
    except CacheFormatError:
        raise
    except (ValueError, TypeError, KeyError, IndexError, RecursionError) as e:
        raise CacheFormatError(f"malformed entry: {type(e).__name__}") from None
