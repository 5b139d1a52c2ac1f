"""SQLite persistence for the emulated cloud: one JSON document per object, one transaction per call.

Why this shape: every object the API knows (load balancer, listener, group, rule, ACL, VPC...) is
a small document read and written whole, and every query the API needs is "by id", "children of
a load balancer" or "all of a kind in a region"; so a single ``objects`` table keyed by
(kind, id) with indexes on (kind, lb_id) and (kind, region) serves all of it. Cross references
that block deletes (a listener using a group, an ACL or a certificate) go in ``refs`` so "is it in
use?" is one indexed lookup, not a scan of ten thousand load balancers.

Decoded documents are cached. A rolled-back call evicts every document it read or wrote, so a
handler may mutate what it read without corrupting the cache.
"""

from __future__ import annotations

import itertools
import json
import os
import sqlite3
import time
import urllib.parse
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import orjson

SCHEMA = """
CREATE TABLE IF NOT EXISTS objects (
    kind TEXT NOT NULL, id TEXT NOT NULL, region TEXT, lb_id TEXT, doc TEXT NOT NULL,
    PRIMARY KEY (kind, id));
CREATE INDEX IF NOT EXISTS objects_lb ON objects(kind, lb_id);
CREATE INDEX IF NOT EXISTS objects_region ON objects(kind, region);
CREATE TABLE IF NOT EXISTS refs (
    src_kind TEXT NOT NULL, src_id TEXT NOT NULL, dst_kind TEXT NOT NULL, dst_id TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS refs_src ON refs(src_kind, src_id);
CREATE INDEX IF NOT EXISTS refs_dst ON refs(dst_kind, dst_id);
CREATE TABLE IF NOT EXISTS ips (
    net TEXT NOT NULL, ip TEXT NOT NULL, owner TEXT NOT NULL, PRIMARY KEY (net, ip)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS tokens (
    action TEXT NOT NULL, token TEXT NOT NULL, digest TEXT NOT NULL, response TEXT NOT NULL,
    PRIMARY KEY (action, token)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS nonces (
    key_id TEXT NOT NULL, nonce TEXT NOT NULL, seen REAL NOT NULL, PRIMARY KEY (key_id, nonce)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS nonces_seen ON nonces(seen);
"""

TABLES = ("objects", "refs", "ips", "tokens", "meta")  # the cloud; ``nonces`` belong to the server
FILE_MODE = 0o600  # the cloud's contents (and the server's nonces) are nobody else's to read
DIR_MODE = 0o700
# Decoded documents kept (about 1 KB of Python objects each). Every written document is kept, so with
# 200,000 an apply of 10,000 load balancers held all 140,000 it created, twice (the shadow rehearsal,
# then the walk): 120 MB of its 1.75 GB peak. With 20,000 the evicted ones are decoded again when
# asked for: 20,556 decodes (0.4 s) in an apply of 1,000 load balancers that made none before.
CACHE_LIMIT = 20_000

_json_dumps = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode
_ORJSON_OPTIONS = orjson.OPT_NON_STR_KEYS  # (json's str() of an int key, as before)


def _dumps(doc: Any) -> str:
    """A document's compact JSON text, as ``json`` writes it (``separators=(",", ":")``, no ASCII
    escaping). orjson writes the same text six times faster: every call of the cloud stores a few
    documents, in the walk's cloud process and in the plan's rehearsal alike. What orjson refuses
    (an integer beyond 64 bits) or would write otherwise (a NaN, which it writes as null) goes
    through ``json``."""
    try:
        text = orjson.dumps(doc, option=_ORJSON_OPTIONS).decode()
    except TypeError:
        return _json_dumps(doc)
    return text if "null" not in text or not _has_nan(doc) else _json_dumps(doc)


def _has_nan(v: Any) -> bool:
    """Whether a float NaN or infinity is anywhere in ``v`` (orjson writes them as null)."""
    if isinstance(v, float):
        return v != v or v in (float("inf"), float("-inf"))
    if isinstance(v, dict):
        return any(_has_nan(x) for x in v.values())
    if isinstance(v, list | tuple):
        return any(_has_nan(x) for x in v)
    return False


def _loads(text: str) -> Any:
    """``json.loads`` of a stored document, by orjson (2.3x faster); a text orjson refuses (``NaN``,
    which ``json`` writes) by ``json`` itself. (orjson reads an integer beyond 64 bits as a float: the
    cloud's numbers are ports, weights, bandwidths, sizes and times, far below that.)"""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)


class Store:
    """The emulator's tables plus a document cache that follows transactions."""

    def __init__(self, path: str | Path | None = None, *, read_only: bool | None = None):
        self.path = None if path is None else Path(path)
        # A file in a place this process cannot write (a read-only checkout) is opened read-only: a
        # plan only reads the cloud (its rehearsal runs on an in-memory copy). No file there yet is
        # the empty cloud a first run in a writable folder would create.
        self.read_only = bool(read_only if read_only is not None
                              else self.path is not None and not writable_place(self.path))
        if self.read_only:
            self.conn = _open_read_only(self.path)
            if self.path is None or not self.path.exists():
                self.path = None  # an empty in-memory cloud: nothing to persist, nothing to lock
            self._init_cache()
            return
        if self.path is not None:
            _private_file(self.path)
        self.conn = sqlite3.connect(":memory:" if self.path is None else str(self.path),
                                    isolation_level=None, check_same_thread=False)
        if self.path is not None:
            self.conn.execute("PRAGMA busy_timeout=10000")
            _first_open(self.conn)
        else:
            self.conn.executescript(SCHEMA)
        self._init_cache()

    def _init_cache(self) -> None:
        self._cache: dict[tuple[str, str], dict[str, Any]] = {}
        self._touched: set[tuple[str, str]] = set()
        self._in_txn = False
        self._data_version: int | None = None
        # False inside a read-only call on a file: what it decodes is not kept (see get)
        self._keep = True

    # --- transactions -------------------------------------------------------------------
    def begin(self, write: bool = True) -> None:
        """Start a call's transaction. On a file, another process (``clbplan emulator serve``
        beside an embedded planner) may have committed since our last call: SQLite's
        data_version tells us, and the cache is dropped then."""
        if write and self.read_only:
            raise sqlite3.OperationalError("attempt to write a readonly database (the cloud's file is in a "
                                           "folder this process cannot write)")
        if self.path is None:
            if not write:  # in memory nobody else can write, and reads need no snapshot
                return
            self.conn.execute("BEGIN")
        else:
            self.conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            v = self.conn.execute("PRAGMA data_version").fetchone()[0]
            if v != self._data_version:
                self._cache.clear()
                self._data_version = v
            self._keep = write
        self._in_txn = True

    def commit(self) -> None:
        if self._in_txn:
            self.conn.execute("COMMIT")
        self._in_txn = False
        self._keep = True
        self._touched.clear()
        if len(self._cache) > CACHE_LIMIT:
            # least recently used first: get() and put() move what they touch to the end (dicts keep
            # insertion order), so the load balancer a walk works on and its pool's instances stay
            for key in list(itertools.islice(self._cache, CACHE_LIMIT // 4)):
                del self._cache[key]

    def rollback(self) -> None:
        if self._in_txn:
            self.conn.execute("ROLLBACK")
        self._in_txn = False
        self._keep = True
        for key in self._touched:
            self._cache.pop(key, None)
        self._touched.clear()

    # --- documents ----------------------------------------------------------------------
    def get(self, kind: str, id_: str) -> dict[str, Any] | None:
        """A stored document (the cached object when there is one: a handler mutates it, then puts it).

        A read-only call on a file decodes what is not cached without keeping it: a plan's refresh reads
        each of its 90,000 documents (10,000 load balancers) once, and keeping them all held some
        hundreds of MB that every garbage collection walked. Writes and the in-memory cloud (the
        planner's shadow) keep what they decode."""
        key = (kind, id_)
        cache = self._cache
        doc = cache.pop(key, None)
        if doc is not None:
            cache[key] = doc  # the most recently used last: what commit() evicts is what went unused longest
            self._touched.add(key)
            return doc
        row = self.conn.execute("SELECT doc FROM objects WHERE kind=? AND id=?", key).fetchone()
        if row is None:
            return None
        doc = _loads(row[0])
        if self._keep:
            self._touched.add(key)
            self._cache[key] = doc
        return doc

    def put(self, kind: str, id_: str, doc: dict[str, Any], *, region: str | None = None,
            lb_id: str | None = None, refs: Iterable[tuple[str, str]] | None = None) -> None:
        """Insert or replace a document; ``refs`` (when given) replaces its outgoing references."""
        key = (kind, id_)
        self._touched.add(key)
        self.conn.execute(
            "INSERT INTO objects(kind,id,region,lb_id,doc) VALUES (?,?,?,?,?) "
            "ON CONFLICT(kind,id) DO UPDATE SET doc=excluded.doc, region=excluded.region, "
            "lb_id=excluded.lb_id", (kind, id_, region, lb_id, _dumps(doc)))
        self._cache.pop(key, None)
        self._cache[key] = doc
        if refs is not None:
            self.conn.execute("DELETE FROM refs WHERE src_kind=? AND src_id=?", key)
            rows = [(kind, id_, dk, di) for dk, di in refs if di]
            if rows:
                self.conn.executemany("INSERT INTO refs VALUES (?,?,?,?)", rows)

    def delete(self, kind: str, id_: str) -> None:
        key = (kind, id_)
        self._touched.add(key)
        self.conn.execute("DELETE FROM objects WHERE kind=? AND id=?", key)
        self.conn.execute("DELETE FROM refs WHERE src_kind=? AND src_id=?", key)
        self._cache.pop(key, None)

    def ids(self, kind: str, *, lb_id: str | None = None, region: str | None = None,
            limit: int | None = None, offset: int = 0) -> list[str]:
        """Ids of one kind, in creation order, optionally under one load balancer or region."""
        where, args = _where(kind, lb_id, region)
        sql = f"SELECT id FROM objects WHERE {where} ORDER BY rowid"
        if limit is not None:
            sql += " LIMIT ? OFFSET ?"
            args += [limit, offset]
        return [r[0] for r in self.conn.execute(sql, args)]

    def count(self, kind: str, *, lb_id: str | None = None, region: str | None = None) -> int:
        where, args = _where(kind, lb_id, region)
        return self.conn.execute(f"SELECT count(*) FROM objects WHERE {where}", args).fetchone()[0]

    def docs(self, kind: str, *, lb_id: str | None = None, region: str | None = None) -> list[dict[str, Any]]:
        """Documents of one kind in creation order, as ``get`` gives them (cached ones first), in one
        query: the listeners of a load balancer were one query for their ids and one per listener."""
        where, args = _where(kind, lb_id, region)
        cache, touched = self._cache, self._touched
        out = []
        keep = self._keep
        for id_, text in self.conn.execute(f"SELECT id, doc FROM objects WHERE {where} ORDER BY rowid", args):
            key = (kind, id_)
            d = cache.get(key)
            if d is None:
                d = _loads(text)
                if not keep:
                    out.append(d)
                    continue
                cache[key] = d
            touched.add(key)
            out.append(d)
        return out

    def fields(self, kind: str, names: tuple[str, ...], *, lb_id: str | None = None) -> list[dict[str, Any]]:
        """For each document of a kind (in creation order), its top-level ``names`` that hold a string, an
        integer or null, read by SQLite's JSON functions without decoding the documents in Python; a
        name the document lacks is absent, as in the document. For read-only calls: it reads what is
        committed (or put), not what a handler changed and has not put yet.

        DescribeLoadBalancerAttribute needs four fields of each listener; decoding them all again (a
        read-only call keeps nothing) was 40,000 documents at 10,000 load balancers."""
        if not all(n.isidentifier() for n in names):
            raise ValueError(f"field names must be identifiers: {names!r}")
        cols = ", ".join(f"json_type(doc, '$.{n}'), json_extract(doc, '$.{n}')" for n in names)
        where, args = _where(kind, lb_id, None)
        out = []
        for row in self.conn.execute(f"SELECT {cols} FROM objects WHERE {where} ORDER BY rowid", args):
            d: dict[str, Any] = {}
            for i, n in enumerate(names):
                t = row[2 * i]
                if t is None:
                    continue
                if t not in ("text", "integer", "null"):
                    raise ValueError(f"{kind} field {n} holds JSON {t}, not a string or an integer")
                d[n] = row[2 * i + 1]
            out.append(d)
        return out

    def containing(self, kinds: tuple[str, ...], needle: str) -> list[tuple[str, str]]:
        """(kind, id) of documents whose JSON text contains ``needle`` (a rare-path text scan, e.g.
        which groups still list a released instance)."""
        marks = ",".join("?" * len(kinds))
        pattern = "%" + needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        rows = self.conn.execute(f"SELECT kind, id FROM objects WHERE kind IN ({marks}) AND doc LIKE ? ESCAPE '\\' "
                                 "ORDER BY rowid", (*kinds, pattern))
        return [(r[0], r[1]) for r in rows]

    def region_of(self, kind: str, id_: str) -> str | None:
        """The region of an object (None: no such object) without decoding it: its stored region
        column, which every put writes from the document's RegionId."""
        doc = self._cache.get((kind, id_))
        if doc is not None:
            return doc.get("RegionId")
        row = self.conn.execute("SELECT region FROM objects WHERE kind=? AND id=?", (kind, id_)).fetchone()
        return row[0] if row else None

    def lb_of(self, kind: str, id_: str) -> str | None:
        """The load balancer owning an object, without decoding it (the fault hook needs this)."""
        row = self.conn.execute("SELECT lb_id FROM objects WHERE kind=? AND id=?", (kind, id_)).fetchone()
        return row[0] if row else None

    # --- references ---------------------------------------------------------------------
    def referrers(self, dst_kind: str, dst_id: str, src_kind: str | None = None) -> list[tuple[str, str]]:
        """Objects pointing at (dst_kind, dst_id), in the order they were created."""
        sql = ("SELECT r.src_kind, r.src_id FROM refs r JOIN objects o ON o.kind = r.src_kind AND o.id = r.src_id "
               "WHERE r.dst_kind=? AND r.dst_id=?")
        args = [dst_kind, dst_id]
        if src_kind is not None:
            sql += " AND r.src_kind=?"
            args.append(src_kind)
        return [(r[0], r[1]) for r in self.conn.execute(sql + " ORDER BY o.rowid", args)]

    def referrers_of_many(self, dst_kind: str, dst_ids: list[str], src_kind: str) -> dict[str, list[tuple[str, str]]]:
        """``referrers(dst_kind, i, src_kind)`` for every ``i`` of ``dst_ids`` in one query (a page of
        100 instances asked for its network interfaces one query each)."""
        out: dict[str, list[tuple[str, str]]] = {i: [] for i in dst_ids}
        for start in range(0, len(dst_ids), 500):  # within SQLite's bound on parameters
            part = dst_ids[start:start + 500]
            sql = ("SELECT r.dst_id, r.src_kind, r.src_id FROM refs r JOIN objects o ON o.kind = r.src_kind "
                   f"AND o.id = r.src_id WHERE r.dst_kind=? AND r.dst_id IN ({','.join('?' * len(part))}) "
                   "AND r.src_kind=? ORDER BY o.rowid")
            for dst, kind, src in self.conn.execute(sql, [dst_kind, *part, src_kind]):
                out[dst].append((kind, src))
        return out

    # --- IP addresses -------------------------------------------------------------------
    def ip_owner(self, net: str, ip: str) -> str | None:
        row = self.conn.execute("SELECT owner FROM ips WHERE net=? AND ip=?", (net, ip)).fetchone()
        return row[0] if row else None

    def ip_take(self, net: str, ip: str, owner: str) -> None:
        self.conn.execute("INSERT INTO ips VALUES (?,?,?)", (net, ip, owner))

    def ip_release(self, net: str, ip: str) -> None:
        self.conn.execute("DELETE FROM ips WHERE net=? AND ip=?", (net, ip))

    def ip_release_owner(self, owner: str) -> None:
        self.conn.execute("DELETE FROM ips WHERE owner=?", (owner,))

    def ip_count(self, net: str) -> int:
        return self.conn.execute("SELECT count(*) FROM ips WHERE net=?", (net,)).fetchone()[0]

    # --- idempotency tokens and counters -----------------------------------------------
    def token(self, action: str, token: str) -> tuple[str, dict[str, Any]] | None:
        row = self.conn.execute("SELECT digest, response FROM tokens WHERE action=? AND token=?",
                                (action, token)).fetchone()
        return None if row is None else (row[0], _loads(row[1]))

    def save_token(self, action: str, token: str, digest: str, response: dict[str, Any]) -> None:
        self.conn.execute("INSERT OR REPLACE INTO tokens VALUES (?,?,?,?)",
                          (action, token, digest, _dumps(response)))

    def next_counter(self, name: str, start: int = 1) -> int:
        row = self.conn.execute("SELECT value FROM meta WHERE key=?", (name,)).fetchone()
        n = start if row is None else int(row[0]) + 1
        self.conn.execute("INSERT OR REPLACE INTO meta VALUES (?,?)", (name, str(n)))
        return n

    # --- whole-store operations ---------------------------------------------------------
    def dump(self) -> dict[str, list[list[Any]]]:
        out: dict[str, list[list[Any]]] = {}
        for t in TABLES:
            cols = "rowid, *" if t in ("objects", "refs") else "*"
            out[t] = [list(r) for r in self.conn.execute(f"SELECT {cols} FROM {t} ORDER BY 1")]
        return out

    def load(self, dump: dict[str, list[list[Any]]]) -> None:
        self.conn.execute("BEGIN")
        try:
            for t in TABLES:
                self.conn.execute(f"DELETE FROM {t}")
                rows = dump.get(t, [])
                if not rows:
                    continue
                n = len(rows[0])
                if t in ("objects", "refs"):
                    cols = "(rowid, kind, id, region, lb_id, doc)" if t == "objects" else \
                        "(rowid, src_kind, src_id, dst_kind, dst_id)"
                else:
                    cols = ""
                self.conn.executemany(f"INSERT INTO {t}{cols} VALUES ({','.join('?' * n)})", rows)
            self.conn.execute("COMMIT")
        except Exception:
            self.conn.execute("ROLLBACK")
            raise
        self._cache.clear()

    def copy_into(self, other: Store) -> None:
        """Byte-for-byte copy through SQLite's backup API (fast: the planner's shadow copy)."""
        self.conn.backup(other.conn)
        other._cache.clear()

    def snapshot(self) -> bytes:
        """The whole database as bytes, for a copy made in another process (a connection must not be
        used across a fork: the child opens its own and loads these bytes with ``restore``).

        A copy of a file in WAL mode says so in its header (bytes 18 and 19 are 2), and SQLite then
        looks for a WAL file that an in-memory database cannot have ("unable to open database file"):
        the bytes are marked for the rollback journal (1), as a memory database uses."""
        data = self.conn.serialize()
        if len(data) > 19 and (data[18], data[19]) == (2, 2):
            data = bytearray(data)
            data[18] = data[19] = 1
            data = bytes(data)
        return data

    def restore(self, data: bytes) -> None:
        """Replace this in-memory database with a ``snapshot``."""
        self.conn.deserialize(data)
        self._cache.clear()

    def reset(self) -> None:
        self.conn.execute("BEGIN")
        for t in TABLES:
            self.conn.execute(f"DELETE FROM {t}")
        self.conn.execute("COMMIT")
        self._cache.clear()

    def iter_kind(self, kind: str) -> Iterator[dict[str, Any]]:
        for i in self.ids(kind):
            d = self.get(kind, i)
            if d is not None:
                yield d

    def close(self) -> None:
        self.conn.close()

    # --- the served emulator's replay protection ---------------------------------------
    def remember_nonce(self, key_id: str, nonce: str, now: float, horizon: float) -> bool:
        """Record a signature nonce; False if it was already seen at or after ``horizon``.

        Kept in the file (not in memory) so a captured signed request cannot be replayed after the
        server restarts. Must not run inside another call's transaction (the caller serialises)."""
        if self._in_txn:
            raise RuntimeError("remember_nonce inside a call's transaction")
        conn = self.conn
        conn.execute("BEGIN IMMEDIATE" if self.path is not None else "BEGIN")
        try:
            row = conn.execute("SELECT seen FROM nonces WHERE key_id=? AND nonce=?", (key_id, nonce)).fetchone()
            if row is not None and row[0] >= horizon:
                conn.execute("ROLLBACK")
                return False
            conn.execute("INSERT OR REPLACE INTO nonces VALUES (?,?,?)", (key_id, nonce, now))
            conn.execute("DELETE FROM nonces WHERE seen < ?", (horizon,))
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        return True


def writable_place(path: Path) -> bool:
    """Whether ``path`` (or, when it does not exist, its nearest existing folder) can be written:
    False on a read-only mount even for root, as ``access(2)`` reports EROFS."""
    p = Path(path)
    if p.exists():
        return os.access(p, os.W_OK) and os.access(p.parent, os.W_OK)
    for folder in p.parents:
        if folder.exists():
            return os.access(folder, os.W_OK)
    return False


FIRST_OPEN_PATIENCE = 10.0  # seconds, as the busy timeout


def _first_open(conn: sqlite3.Connection) -> None:
    """WAL mode and the schema on a cloud's file, retried while another process does the same.

    Two processes opening a new file at once (a plan and its refresh child, two commands started
    together) each hold a shared lock and want an exclusive one to turn on WAL or create the tables;
    SQLite answers one of them "database is locked" at once instead of waiting (it would deadlock).
    A new try after the other has finished finds WAL on and the tables there: it only reads."""
    deadline = time.monotonic() + FIRST_OPEN_PATIENCE
    while True:
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.executescript(SCHEMA)
            return
        except sqlite3.OperationalError as e:
            if "locked" not in str(e) or time.monotonic() > deadline:
                raise
            if conn.in_transaction:
                conn.rollback()
            time.sleep(0.01)


def _open_read_only(path: Path | None) -> sqlite3.Connection:
    """A read-only connection to ``path``; an in-memory empty cloud when there is no file.

    ``mode=ro`` reads a WAL database whose ``-shm`` file exists; without one (a clean checkout on a
    read-only mount) SQLite cannot build its index there, and ``immutable=1`` reads the file as it is
    (nobody can write it through this mount)."""
    if path is None or not path.exists():
        conn = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
        conn.executescript(SCHEMA)
        return conn
    uri = "file:" + urllib.parse.quote(str(path.resolve()))
    last: sqlite3.Error | None = None
    for flags in ("mode=ro", "mode=ro&immutable=1"):
        try:
            conn = sqlite3.connect(f"{uri}?{flags}", uri=True, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA busy_timeout=10000")
            conn.execute("SELECT count(*) FROM objects").fetchone()
            return conn
        except sqlite3.Error as e:
            last = e
    assert last is not None
    raise last


def _private_file(path: Path) -> None:
    """Create the SQLite file 0600 (its -wal/-shm files inherit the mode) in a 0700 folder.

    A folder we create is 0700; an existing file of ours that is readable by others is tightened."""
    folder = path.parent
    if not folder.exists():
        folder.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
        os.chmod(folder, DIR_MODE)  # mkdir's mode is masked by the umask
    elif folder.name == ".clbplan" and folder.stat().st_uid == os.getuid():
        os.chmod(folder, folder.stat().st_mode & 0o7700 | DIR_MODE)
    # Never open and close a descriptor of an existing database file: closing any descriptor drops
    # every POSIX lock this process holds on it, including those of a connection already open here
    # (a run opens the embedded cloud more than once). Without its locks that connection's WAL could be
    # checkpointed and unlinked under it, and a SIGKILL then lost every call it committed afterwards.
    try:
        if path.exists():
            st = path.stat()
            if st.st_uid == os.getuid() and st.st_mode & 0o077:
                os.chmod(path, FILE_MODE)
        else:
            os.close(os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, FILE_MODE))
    except FileExistsError:
        pass  # created meanwhile by another opener: sqlite3 opens it as it is
    except OSError:
        return  # sqlite3 reports the problem with its own words
    for suffix in ("-wal", "-shm"):
        side = path.with_name(path.name + suffix)
        try:
            if side.exists() and side.stat().st_uid == os.getuid() and side.stat().st_mode & 0o077:
                os.chmod(side, FILE_MODE)
        except OSError:
            pass


def _where(kind: str, lb_id: str | None, region: str | None) -> tuple[str, list[Any]]:
    """The filter ``ids`` and ``count`` share (placeholders only: values never enter the SQL text)."""
    clauses, args = ["kind=?"], [kind]
    if lb_id is not None:
        clauses.append("lb_id=?")
        args.append(lb_id)
    if region is not None:
        clauses.append("region=?")
        args.append(region)
    return " AND ".join(clauses), args
