"""``backend "pg"``: state in PostgreSQL, laid out exactly as Terraform's pg backend lays it out.

Why Terraform's layout: a team can point Terraform and clbplan at the same database and each sees
the other's workspaces. So (see shared/reference/terraform-interop.md, section 2):

- schema ``terraform_remote_state`` (``schema_name``), table ``states(id, name, data)``, one row
  per workspace (``default`` for the default one), ``data`` the whole format-4 state JSON;
- the same DDL (sequence ``public.global_states_id_seq``, unique index ``states_by_name``), each
  step skippable with ``skip_*_creation``;
- locks are session-level advisory locks: the row ``id`` for a workspace that exists, ``-1`` while
  a workspace is being created. The kernel-free consequence: a holder whose connection drops
  (killed process, dead machine) releases its lock, as with the local flock.

What clbplan adds, in tables of its own in the same schema (Terraform never reads them):

- ``clbplan_locks(workspace, info)``: who holds the lock (who, where, operation, since, pg
  backend pid), because advisory locks carry no metadata and a team needs to know whom to ask;
- ``clbplan_journal(workspace, lineage, seq, record)``: the crash-safety journal. An intent is
  committed before its call returns control to the caller (group commit: completions waiting
  in memory are written in the same transaction), so a second runner on another machine
  recovers a dead run's pending calls with the same client tokens.

Passwords never appear in messages: the connection is named by user@host:port/dbname.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from planner import compact_json
from planner.diagnostics import SourcePos
from planner.state.backend import (
    LockInfo,
    StateError,
    StateLockedError,
    _encode,
    _json_default,
    _render,
    decode_document,
)
from planner.state.journal import Journal, JournalRecord
from planner.state.model import STATE_VERSION, State

DEFAULT_SCHEMA = "terraform_remote_state"
READ_ONLY_OPERATIONS = frozenset({"plan", "refresh", "state list", "state show", "output", "show",
                                  "state pull"})
# the key of the advisory lock that serialises clbplan's DDL: negative, so never a states row id, and not
# Terraform's -1 (workspace creation)
DDL_LOCK_KEY = -0x636C62706C616E  # "clbplan"
HOLDER_GRACE = 1.0  # seconds to wait for a just-started holder to record who it is
CREATION_GRACE = 5.0  # seconds a run waits for another's brief workspace creation (lock -1)
_TRUE = {"1", "true", "t", "yes", "y", "on"}


def _env_bool(env: Mapping[str, str], name: str) -> bool:
    return env.get(name, "").strip().lower() in _TRUE


@dataclass
class PgSettings:
    """The backend block's arguments with Terraform's environment-variable fallbacks."""

    conn_str: str = ""
    schema_name: str = DEFAULT_SCHEMA
    skip_schema_creation: bool = False
    skip_table_creation: bool = False
    skip_index_creation: bool = False
    pos: SourcePos | None = None

    @classmethod
    def from_config(cls, config: Mapping[str, Any], pos: SourcePos | None = None,
                    env: Mapping[str, str] | None = None) -> PgSettings:
        env = os.environ if env is None else env

        def flag(name: str, var: str) -> bool:
            v = config.get(name)
            return bool(v) if v is not None else _env_bool(env, var)

        # an empty conn_str lets libpq take everything from PGHOST, PGUSER, PGPASSWORD, PGDATABASE...
        return cls(conn_str=str(config.get("conn_str") or env.get("PG_CONN_STR") or ""),
                   schema_name=str(config.get("schema_name") or env.get("PG_SCHEMA_NAME") or DEFAULT_SCHEMA),
                   skip_schema_creation=flag("skip_schema_creation", "PG_SKIP_SCHEMA_CREATION"),
                   skip_table_creation=flag("skip_table_creation", "PG_SKIP_TABLE_CREATION"),
                   skip_index_creation=flag("skip_index_creation", "PG_SKIP_INDEX_CREATION"),
                   pos=pos)

    def safe_target(self) -> str:
        """``user@host:port/dbname``: the connection as messages name it (never the password)."""
        try:
            from psycopg.conninfo import conninfo_to_dict

            d = conninfo_to_dict(self.conn_str)
        except Exception:  # noqa: BLE001 - a malformed string is reported by connect(); name what we can
            d = {}
        env = os.environ
        host = d.get("host") or env.get("PGHOST") or "localhost (unix socket)"
        port = d.get("port") or env.get("PGPORT") or "5432"
        db = d.get("dbname") or env.get("PGDATABASE") or d.get("user") or env.get("PGUSER") or ""
        user = d.get("user") or env.get("PGUSER") or ""
        return f"{user + '@' if user else ''}{host}:{port}/{db}"

    def secrets(self) -> list[str]:
        """Strings that must never be printed (the password, from conn_str or PGPASSWORD)."""
        out = []
        try:
            from psycopg.conninfo import conninfo_to_dict

            pw = conninfo_to_dict(self.conn_str).get("password")
            if pw:
                out.append(str(pw))
        except Exception:  # noqa: BLE001
            pass
        if os.environ.get("PGPASSWORD"):
            out.append(os.environ["PGPASSWORD"])
        if self.conn_str and out:
            out.append(self.conn_str)
        return [s for s in out if s]


def _quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class PgBackend:
    """The state of one workspace in a Terraform-compatible pg backend (see the module docstring)."""

    def __init__(self, settings: PgSettings, workspace: str = "default", *, lock_timeout: float = 0.0):
        self.settings = settings
        self.workspace = workspace
        self.lock_timeout = float(lock_timeout)
        self.schema = _quote_ident(settings.schema_name)
        self._conn: Any = None
        self._conn_guard = threading.RLock()
        self._configured = False
        self._known: tuple[str, str, int, str] | None = None  # (md5 of data, lineage, serial, digest)
        self._lock_key: int | None = None

    def __repr__(self) -> str:
        return f"PgBackend({self.where!r})"

    # ------------------------------------------------------------------ connection
    @property
    def path(self):
        """An identity for saved plans ("made against this backend"): never a file."""
        from pathlib import Path

        return Path(f"/pg:{self.settings.safe_target()}/{self.settings.schema_name}/{self.workspace}")

    @property
    def where(self) -> str:
        return (f'pg workspace "{self.workspace}" ({self.settings.safe_target()}, schema '
                f"{self.settings.schema_name})")

    def _scrub(self, text: str) -> str:
        for s in self.settings.secrets():
            text = text.replace(s, "***")
        return text

    def _db_error(self, e: Exception, doing: str) -> StateError:
        msg = self._scrub(str(e).strip()) or type(e).__name__
        target = self.settings.safe_target()
        import psycopg

        if isinstance(e, psycopg.OperationalError):
            if "password" in msg.lower() or "authentication" in msg.lower():
                hint = ("check the user and password in conn_str (or PGUSER/PGPASSWORD/PG_CONN_STR); "
                        "nothing was read or written")
            else:
                hint = ("check that PostgreSQL is running and reachable at that address (conn_str, or "
                        "PG_CONN_STR and the PG* variables); nothing was lost: the state in the database is "
                        "the last one saved")
            return StateError(f"cannot {doing}: the PostgreSQL connection to {target} failed",
                              detail=msg, hint=hint)
        return StateError(f"cannot {doing} in PostgreSQL at {target} (schema {self.settings.schema_name})",
                          detail=msg, hint="check the database user's privileges on that schema")

    def _connect(self) -> Any:
        with self._conn_guard:
            if self._conn is not None and not self._conn.closed:
                return self._conn
            if self._conn is not None and self._lock_key is not None:
                raise StateError(
                    f"lost the connection to PostgreSQL at {self.settings.safe_target()} while holding the "
                    f"state lock of {self.where}",
                    detail="the database restarted or the network dropped; the lock went with the connection",
                    hint="nothing after the last saved state was written by this run; run the command again "
                         "(an apply recovers what the journal recorded)")
            import psycopg

            try:
                conn = psycopg.connect(self.settings.conn_str, autocommit=True, connect_timeout=10,
                                       application_name="clbplan")
            except psycopg.Error as e:
                raise self._db_error(e, "open the state") from None
            self._conn = conn
            if not self._configured:
                self._configure(conn)
                self._configured = True
            return conn

    def _exec(self, sql: str, params: tuple | list = (), *, doing: str = "read the state",
              fetch: str = "none") -> Any:
        import psycopg

        conn = self._connect()
        try:
            with self._conn_guard:
                cur = conn.execute(sql, params)
                if fetch == "one":
                    return cur.fetchone()
                if fetch == "all":
                    return cur.fetchall()
                return None
        except psycopg.Error as e:
            raise self._db_error(e, doing) from None

    def close(self) -> None:
        with self._conn_guard:
            if self._conn is not None:
                with contextlib.suppress(Exception):
                    self._conn.close()
            self._conn = None

    # ------------------------------------------------------------------ DDL (Terraform's, then ours)
    def _configure(self, conn: Any) -> None:
        import psycopg

        for attempt in (1, 2):
            try:
                with conn.transaction():
                    # CREATE ... IF NOT EXISTS is not safe against itself: eight runs starting at once on a
                    # fresh database collide in pg_type. One transaction-scoped advisory lock (a key neither
                    # Terraform nor the workspace locks use) serialises clbplan's DDL; a racing Terraform
                    # is met by the retry below.
                    conn.execute("SELECT pg_advisory_xact_lock(%s)", (DDL_LOCK_KEY,))
                    self._check_layout(self._create_tables(conn))
                    self._create_index(conn)
                break
            except (psycopg.errors.UniqueViolation, psycopg.errors.DuplicateTable,
                    psycopg.errors.DuplicateObject, psycopg.errors.DuplicateSchema) as e:
                if attempt == 2:
                    raise self._db_error(e, "prepare the state tables") from None
            except psycopg.Error as e:
                raise self._db_error(e, "prepare the state tables") from None

    def _create_tables(self, conn: Any) -> dict[str, str]:
        """Terraform's schema, sequence and ``states`` table, then clbplan's journal and lock-holder tables."""
        s, name = self.schema, self.settings.schema_name
        exists = conn.execute("select count(1) from information_schema.schemata where schema_name = %s",
                              (name,)).fetchone()[0]
        if not exists:
            if self.settings.skip_schema_creation:
                raise StateError(f"the schema {name} does not exist in {self.settings.safe_target()}",
                                 hint="create it, or drop skip_schema_creation so clbplan creates it")
            conn.execute(f"CREATE SCHEMA IF NOT EXISTS {s}")
        if not self.settings.skip_table_creation:
            conn.execute("CREATE SEQUENCE IF NOT EXISTS public.global_states_id_seq AS bigint")
            conn.execute(f"CREATE TABLE IF NOT EXISTS {s}.states (id bigint NOT NULL DEFAULT "
                         f"nextval('public.global_states_id_seq') PRIMARY KEY, name text UNIQUE, data text)")
            conn.execute(f"CREATE TABLE IF NOT EXISTS {s}.clbplan_journal (workspace text NOT NULL, "
                         f"lineage text NOT NULL, seq bigint NOT NULL, record text NOT NULL, "
                         f"PRIMARY KEY (workspace, lineage, seq))")
            conn.execute(f"CREATE TABLE IF NOT EXISTS {s}.clbplan_locks (workspace text PRIMARY KEY, "
                         f"info text NOT NULL)")
        cols = {r[0]: r[1] for r in conn.execute(
            "select column_name, data_type from information_schema.columns "
            "where table_schema = %s and table_name = 'states'", (name,)).fetchall()}
        return cols

    def _check_layout(self, cols: dict[str, str]) -> None:
        name = self.settings.schema_name
        want = {"id": "bigint", "name": "text", "data": "text"}
        if not cols:
            raise StateError(f"there is no table {name}.states in {self.settings.safe_target()}",
                             hint="create it as Terraform's pg backend does, or drop skip_table_creation")
        wrong = {k: cols.get(k) for k, t in want.items() if cols.get(k) != t}
        if wrong:
            have = ", ".join(f"{k} {t}" for k, t in sorted(cols.items()))
            raise StateError(
                f"the table {name}.states in {self.settings.safe_target()} has another layout than Terraform's "
                f"pg backend",
                detail=f"expected columns id bigint, name text, data text; found: {have}",
                hint="point schema_name (or PG_SCHEMA_NAME) at a schema of its own for clbplan/Terraform state; "
                     "nothing was changed in this one")

    def _create_index(self, conn: Any) -> None:
        if not self.settings.skip_index_creation:
            conn.execute(f"CREATE UNIQUE INDEX IF NOT EXISTS states_by_name ON {self.schema}.states (name)")

    # ------------------------------------------------------------------ rows
    def _row(self, name: str | None = None) -> tuple[int, str | None] | None:
        return self._exec(f"SELECT id, data FROM {self.schema}.states WHERE name = %s",
                          (name or self.workspace,), fetch="one")

    def exists(self) -> bool:
        row = self._row()
        return row is not None and bool((row[1] or "").strip())

    def workspaces(self) -> list[str]:
        rows = self._exec(f"SELECT name FROM {self.schema}.states WHERE name != 'default' ORDER BY name",
                          fetch="all")
        return ["default"] + [r[0] for r in rows]

    def read(self) -> State:
        row = self._row()
        return self._decode(row[1] if row else None)

    def _decode(self, data: str | None) -> State:
        if data is None or not data.strip():
            return State()
        restore = ("restore the row from a backup of the database (or `clbplan state push` a good copy with "
                   "-force)")
        where = f'the state row "{self.workspace}" of {self.settings.schema_name}.states ' \
                f"({self.settings.safe_target()})"
        try:
            doc = json.loads(data)
        except json.JSONDecodeError as e:
            raise StateError(f"{where} is corrupt: not JSON ({e.msg} at line {e.lineno} column {e.colno})",
                             hint=restore)
        state = decode_document(doc, where, restore)
        from planner.state.tfstate import report_foreign

        report_foreign(state, self.where)
        lines, digest = _encode(state)
        self._known = (hashlib.md5(data.encode("utf-8")).hexdigest(), state.lineage, state.serial, digest)
        return state

    def _stored(self) -> tuple[str, int, str, int] | None:
        """(lineage, serial, digest, version) of the stored row, cached by the row's md5."""
        row = self._exec(f"SELECT md5(data), data IS NULL FROM {self.schema}.states WHERE name = %s",
                         (self.workspace,), fetch="one")
        if row is None or row[1]:
            return None
        known = self._known
        if known is not None and known[0] == row[0]:
            return known[1], known[2], known[3], STATE_VERSION
        data = self._row()[1] or ""
        try:
            doc = json.loads(data) if data.strip() else None
        except ValueError:
            doc = None
        if not isinstance(doc, dict):
            return None
        version = doc.get("version") if isinstance(doc.get("version"), int) else STATE_VERSION
        if version > STATE_VERSION:
            return str(doc.get("lineage") or ""), int(doc.get("serial") or 0), "", version
        self._decode(data)
        k = self._known
        return k[1], k[2], k[3], STATE_VERSION

    def write(self, state: State) -> None:
        """Persist ``state`` in the workspace's row with the local backend's serial rules."""
        old = self._stored()
        lines, digest = _encode(state)
        if old is not None:
            lineage, serial, old_digest, version = old
            if lineage and lineage != state.lineage:
                raise StateError(f"refusing to write state of lineage {state.lineage} over {self.where}, which "
                                 f"holds lineage {lineage}", hint="these are different states")
            if version > STATE_VERSION:
                raise StateError(f"refusing to overwrite {self.where}: it was written in a newer state format "
                                 f"(version {version})", hint="upgrade clbplan")
            if old_digest == digest:
                state.serial = serial
                return
            state.serial = max(serial, state.serial) + 1
        else:
            state.serial = state.serial + 1
        data = _render(state, lines).decode("utf-8")
        self._put(data)
        self._known = (hashlib.md5(data.encode("utf-8")).hexdigest(), state.lineage, state.serial, digest)

    def _put(self, data: str, name: str | None = None) -> None:
        n = name or self.workspace
        self._exec(f"INSERT INTO {self.schema}.states (name, data) VALUES (%s, %s) ON CONFLICT (name) DO UPDATE "
                   f"SET data = %s WHERE states.name = %s", (n, data, data, n), doing="write the state")

    def replace(self, state: State) -> None:
        """Store ``state`` exactly as given (its lineage and serial): ``state push`` and migration."""
        lines, digest = _encode(state)
        data = _render(state, lines).decode("utf-8")
        self._put(data)
        self._known = (hashlib.md5(data.encode("utf-8")).hexdigest(), state.lineage, state.serial, digest)

    def raw(self) -> str | None:
        row = self._row()
        return row[1] if row else None

    # ------------------------------------------------------------------ workspaces
    def create_workspace(self) -> None:
        """Terraform's ``workspace new``: under the creation lock (-1), an empty state (serial 1) as the row."""
        if self._row() is not None:
            return
        # -1 is held only for an instant by another run creating a workspace: wait for that a little
        deadline = time.monotonic() + CREATION_GRACE
        while not (got := self._exec("SELECT pg_try_advisory_lock(-1)", fetch="one")[0]):
            if self._row() is not None:
                return
            if time.monotonic() >= deadline:
                break
            time.sleep(0.05)
        if not got:
            raise StateLockedError(f"Already locked for workspace creation: {self.workspace}", None,
                                   hint="another run is creating a workspace; retry in a moment")
        try:
            if self._row() is None:
                self.write(State())
        finally:
            self._exec("SELECT pg_advisory_unlock(-1)")

    def delete_workspace(self) -> None:
        if self.workspace == "default":
            raise StateError("can't delete default state")
        self._exec(f"DELETE FROM {self.schema}.states WHERE name = %s", (self.workspace,),
                   doing="delete the workspace")
        self._exec(f"DELETE FROM {self.schema}.clbplan_journal WHERE workspace = %s", (self.workspace,),
                   doing="delete the workspace's journal")

    # ------------------------------------------------------------------ locks
    def read_lock_info(self) -> LockInfo | None:
        row = self._exec(f"SELECT info FROM {self.schema}.clbplan_locks WHERE workspace = %s",
                         (self.workspace,), fetch="one")
        if row is None:
            return None
        try:
            return LockInfo.from_json(json.loads(row[0]))
        except (ValueError, TypeError):
            return None

    def _try_lock(self) -> tuple[bool, str]:
        """One attempt, Terraform's queries. (got it, why not)."""
        row = self._exec(f"SELECT states.id, pg_try_advisory_lock(states.id), pg_try_advisory_lock(-1) "
                         f"FROM {self.schema}.states WHERE states.name = %s", (self.workspace,), fetch="one")
        if row is None:
            got = self._exec("SELECT pg_try_advisory_lock(-1)", fetch="one")[0]
            if not got:
                return False, f"Already locked for workspace creation: {self.workspace}"
            self._lock_key = -1
            return True, ""
        rid, got_id, got_create = row
        if got_id and got_create:
            self._exec("SELECT pg_advisory_unlock(-1)")
            self._lock_key = int(rid)
            return True, ""
        if got_create:
            self._exec("SELECT pg_advisory_unlock(-1)")
        if got_id:
            self._exec("SELECT pg_advisory_unlock(%s)", (int(rid),))
            return False, f"Cannot lock workspace; already locked for workspace creation: {self.workspace}"
        return False, f"Workspace is already locked: {self.workspace}"

    @contextlib.contextmanager
    def lock(self, operation: str) -> Iterator[LockInfo]:
        """Hold the workspace's advisory lock for the ``with`` body, waiting up to ``lock_timeout``.

        A mutating run on a workspace that has no row yet first creates it (an empty state,
        briefly under the creation lock, as Terraform's StateMgr does), so that it holds the row's
        lock and not the database-wide ``-1`` for the whole run.
        """
        if self._lock_key is not None:
            raise StateError(f"the state lock on {self.where} is already held by this process",
                             hint="this is a bug in clbplan: a run took the lock twice")
        if operation not in READ_ONLY_OPERATIONS and self._row() is None:
            with contextlib.suppress(StateLockedError):
                self.create_workspace()
        started = time.monotonic()
        deadline = started + max(0.0, self.lock_timeout)
        delay = 0.05
        while True:
            got, why = self._try_lock()
            if got:
                break
            now = time.monotonic()
            creating = "creation" in why and now - started < CREATION_GRACE  # an instant, not a run
            if now >= deadline and not creating:
                raise self._locked_error(why, now - started)
            time.sleep(max(0.02, min(delay, deadline - now)))
            delay = min(delay * 2, 1.0)
        info = LockInfo.new(operation, self.where)
        info.path = str(self._lock_key)
        try:
            pid, host = self._exec("SELECT pg_backend_pid(), coalesce(inet_client_addr()::text, 'local socket')",
                                   fetch="one")
            info.info = f"PostgreSQL backend pid {pid}, client {host}"
            self._exec(f"INSERT INTO {self.schema}.clbplan_locks (workspace, info) VALUES (%s, %s) "
                       f"ON CONFLICT (workspace) DO UPDATE SET info = EXCLUDED.info",
                       (self.workspace, json.dumps(info.to_json())), doing="record the lock holder")
        except BaseException:
            self._unlock()
            raise
        try:
            yield info
        finally:
            with contextlib.suppress(StateError):
                current = self.read_lock_info()
                if current is not None and current.id == info.id:
                    self._exec(f"DELETE FROM {self.schema}.clbplan_locks WHERE workspace = %s",
                               (self.workspace,))
            self._unlock()

    def _unlock(self) -> None:
        key, self._lock_key = self._lock_key, None
        if key is None:
            return
        with contextlib.suppress(StateError):
            if self._conn is not None and not self._conn.closed:
                self._exec("SELECT pg_advisory_unlock(%s)", (key,))

    def _holder_pid(self, key: int) -> int | None:
        if key == -1:
            cond = "classid = 4294967295 AND objid = 4294967295"
        else:
            cond = f"classid = {(key >> 32) & 0xFFFFFFFF} AND objid = {key & 0xFFFFFFFF}"
        row = self._exec(f"SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND objsubid = 1 AND granted "
                         f"AND database = (SELECT oid FROM pg_database WHERE datname = current_database()) "
                         f"AND {cond}", fetch="one")
        return int(row[0]) if row else None

    def _locked_error(self, why: str, waited: float) -> StateLockedError:
        info = self.read_lock_info()
        settle = time.monotonic() + HOLDER_GRACE
        while info is None and time.monotonic() < settle:
            # a clbplan holder records itself right after taking the lock; a Terraform holder never does
            time.sleep(0.05)
            info = self.read_lock_info()
        waited_txt = f" (waited {waited:.1f}s)" if waited > 0.05 else ""
        if info is None:
            session = self._unrecorded_holder(why)
            detail = (f"Error message: {why}\nLock Info: the holder recorded none: {session['what']}"
                      + "".join(f"\n    {k + ':':<11}{v}" for k, v in session["rows"]))
            holder = f" by {session['who']}"
            if session.get("pid") is not None and not session.get("clbplan"):
                return StateLockedError(
                    f"Error acquiring the state lock: {self.where} is locked{holder}{waited_txt}", None,
                    detail=detail,
                    hint="wait for that run to finish, or pass -lock-timeout=2m to wait for it. Its lock goes with "
                         "its database connection; a hung one can be ended by someone allowed to, with "
                         f"SELECT pg_terminate_backend({session['pid']})")
        else:
            detail = f"Error message: {why}\nLock Info:\n" + info.describe() + f"\n    {'Info:':<11}{info.info}"
            holder = f" by {info.who} ({info.operation}, since {info.created}, lock ID {info.id})"
        return StateLockedError(
            f"Error acquiring the state lock: {self.where} is locked{holder}{waited_txt}", info, detail=detail,
            hint="wait for that run to finish, or pass -lock-timeout=2m to wait for it. A run that dies releases "
                 "the lock with its database connection; a hung one can be ended with "
                 f"clbplan force-unlock {info.id if info else 'LOCK_ID'}")

    def _unrecorded_holder(self, why: str) -> dict[str, Any]:
        """Who holds a lock that left no record, from pg_locks and pg_stat_activity.

        Terraform's pg backend stores no lock info (its LockInfo lives only in the holder's memory),
        and a clbplan run records itself right after taking the lock; so a session that is not
        clbplan's (application_name "clbplan") is named as Terraform or another tool.
        """
        unknown = {"who": "a session that recorded no lock info",
                   "what": "Terraform (whose pg backend records no lock info) or another tool, or a clbplan run "
                           "starting up.", "rows": []}
        try:
            if "creation" in why:
                key: int | None = -1
            else:
                row = self._exec(f"SELECT id FROM {self.schema}.states WHERE name = %s", (self.workspace,),
                                 fetch="one")
                key = int(row[0]) if row else None
            pid = self._holder_pid(key) if key is not None else None
            if pid is None:
                return unknown
            act = self._exec("SELECT application_name, usename, coalesce(client_addr::text, 'local socket'), "
                             "backend_start FROM pg_stat_activity WHERE pid = %s", (pid,), fetch="one")
        except StateError:
            return unknown
        rows: list[tuple[str, str]] = [("Session", f"PostgreSQL backend pid {pid}")]
        if act is not None:
            app, user, client, since = act
            rows += [("App", repr(app or "")), ("DB user", str(user or "")), ("Client", str(client)),
                     ("Connected", since.isoformat() if since is not None else "")]
            if app == "clbplan":
                return {"who": f"a clbplan run (PostgreSQL backend pid {pid}) that has not recorded itself",
                        "pid": pid, "clbplan": True, "what": "a clbplan run that is starting up, or could not write clbplan_locks.", "rows": rows}
        return {"who": f"Terraform or another tool (PostgreSQL backend pid {pid}, not a clbplan session)",
                "pid": pid, "what": "this session is not clbplan's: Terraform's pg backend (or another tool) holds it, and "
                        "Terraform records no lock info. Ask whoever runs Terraform against this database; its lock "
                        "goes with its connection.", "rows": rows}

    def force_unlock(self, lock_id: str) -> None:
        """End the session holding the lock (``pg_terminate_backend``): a hung run on another machine."""
        info = self.read_lock_info()
        if info is None:
            raise StateError(f"{self.where} has no recorded lock holder", hint="nothing to unlock")
        if info.id != lock_id:
            raise StateError(f"lock ID {lock_id!r} does not match the current lock of {self.where}",
                             detail="Lock Info:\n" + info.describe(),
                             hint=f"pass the current lock ID: clbplan force-unlock {info.id}")
        try:
            key = int(info.path)
        except ValueError:
            key = None
        pid = self._holder_pid(key) if key is not None else None
        if pid is not None:
            ok = self._exec("SELECT pg_terminate_backend(%s)", (pid,), fetch="one",
                            doing="end the session holding the lock")[0]
            if not ok:
                raise StateError(f"PostgreSQL refused to end session {pid} holding the lock of {self.where}",
                                 hint="ask a database administrator to run SELECT pg_terminate_backend(...)")
        self._exec(f"DELETE FROM {self.schema}.clbplan_locks WHERE workspace = %s", (self.workspace,),
                   doing="remove the lock record")

    # ------------------------------------------------------------------ journal
    def journal(self, lineage: str) -> PgJournal:
        return PgJournal(self, lineage)


class PgJournal(Journal):
    """The journal in ``clbplan_journal``: same records and rules as the file journal.

    Durable appends (intents, "refused" completions) commit every record buffered so far in one
    transaction before returning; other completions wait in memory for the next durable append,
    ``checkpoint`` or ``close`` (a completion lost to a crash only leaves its intent pending).
    """

    def __init__(self, backend: PgBackend, lineage: str):
        self.backend = backend
        self.lineage = lineage
        self._buffer: list[JournalRecord] = []
        self._committed = 0  # every record with seq <= this is committed in the database
        super().__init__(f"{backend.where}, lineage {lineage}")
        self._committed = self._seq  # what was loaded is in the database

    def __repr__(self) -> str:
        return f"PgJournal({self.path!s}, pending={len(self._pending)})"

    def _load(self, after_seq: int = 0) -> list[JournalRecord]:
        b = self.backend
        rows = b._exec(f"SELECT record FROM {b.schema}.clbplan_journal WHERE workspace = %s AND lineage = %s "
                       f"AND seq > %s ORDER BY seq", (b.workspace, self.lineage, after_seq), fetch="all",
                       doing="read the journal")
        out: list[JournalRecord] = []
        skipped = 0
        for (text,) in rows:
            try:
                doc = json.loads(text)
                out.append(JournalRecord.from_json(doc))
            except (ValueError, KeyError, TypeError):
                skipped += 1
        self.skipped_lines = skipped
        return out

    def _stored(self) -> list[JournalRecord]:
        """Every record, from the table (buffered completions written first): only the pending
        intents stay in memory."""
        with self._sync:
            self._flush()
            skipped = self.skipped_lines
            try:
                return self._load()
            finally:
                self.skipped_lines = skipped

    def _flush(self) -> None:
        """Write every buffered record in one transaction. On any failure the batch goes back to
        the front of the buffer, so a record is never dropped on behalf of another thread."""
        import psycopg

        b = self.backend
        with self._guard:
            batch, self._buffer = self._buffer, []
        if not batch:
            return
        try:
            rows = [(b.workspace, self.lineage, r.seq,
                     compact_json.dumps(r.to_json(), default=_json_default))
                    for r in batch]
            conn = b._connect()
            with b._conn_guard, conn.transaction(), conn.cursor() as cur:
                cur.executemany(f"INSERT INTO {b.schema}.clbplan_journal (workspace, lineage, seq, record) "
                                f"VALUES (%s, %s, %s, %s) ON CONFLICT DO NOTHING", rows)
        except BaseException as e:
            with self._guard:
                self._buffer = batch + self._buffer  # not written: kept for a retry (and for close())
            if isinstance(e, psycopg.Error):
                raise b._db_error(e, "record the journal (before the API call)") from None
            raise
        self._committed = max(self._committed, batch[-1].seq)
        self.fsyncs += 1

    def _append(self, rec: JournalRecord, durable: bool = True) -> None:
        with self._guard:
            rec.seq = self._seq + 1
            self._seq = rec.seq
            self._track(rec)
            self._buffer.append(rec)
        if durable:
            with self._sync:
                if rec.seq > self._committed:
                    self._flush()
                if rec.seq > self._committed:  # never acknowledge a record the database does not hold
                    raise StateError(f"the journal record for {rec.address} was not written to {self.path}",
                                     hint="the database connection failed; run the command again")
                self._synced = rec.seq

    def checkpoint(self, through_seq: int | None = None) -> None:
        with self._sync:
            self._flush()
            with self._guard:
                limit = self._seq if through_seq is None else through_seq
                kept = [r.seq for r in self._pending.values() if r.seq <= limit]
            b = self.backend
            # every record through ``limit`` goes, except the intents still waiting for a completion
            b._exec(f"DELETE FROM {b.schema}.clbplan_journal WHERE workspace = %s AND lineage = %s "
                    f"AND seq <= %s AND NOT (seq = ANY(%s::bigint[]))", (b.workspace, self.lineage, limit, kept),
                    doing="trim the journal")
            with self._guard:
                self._synced = self._seq

    def close(self) -> None:
        with self._sync:
            with contextlib.suppress(StateError):
                self._flush()
