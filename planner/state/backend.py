"""The local state backend: one JSON file, an exclusive lock for the whole run, atomic writes.

Why each piece exists:

- The lock is an OS-level ``fcntl.flock`` on ``<state>.lock``, so the kernel drops it when the
  holder dies (a SIGKILLed apply never leaves a stuck lock, unlike Terraform's remote backends).
  Who holds it is written next to it in ``<state>.lock.info`` (JSON, Terraform's LockInfo
  fields) so a second run can say who, since when and doing what. An info file whose flock is
  free means its holder died: the next run takes over and says so.
- Writes go to a temp file in the same directory, are fsync'd, then renamed over the state and
  the directory fsync'd: a crash at any point leaves either the old or the new state, never a
  torn one. The previous state is kept as ``<state>.backup`` (a hard link of the old inode, so
  keeping it costs no copy).
- ``serial`` only moves when the content changed, so a saved plan that recorded a serial stays
  valid across no-op writes and becomes stale after any real change.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import getpass
import hashlib
import json
import os
import re
import socket
import sys
import threading
import time
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from planner.diagnostics import Diagnostic, DiagnosticsError, SourcePos
from planner.process import gc_paused, pid_alive
from planner.state import read_cache
from planner.state.model import STATE_VERSION, State

if TYPE_CHECKING:
    from planner.state.journal import Journal

# Operations that only read the state: in a read-only folder they may lock it shared (see lock()).
READ_ONLY_OPERATIONS = frozenset({"plan", "graph"})

# Paths (resolved) of the state files this process holds the lock of: a second lock() on the same
# state from the same process would otherwise wait on itself until the timeout.
_HELD: set[str] = set()
_HELD_GUARD = threading.Lock()


class StateError(DiagnosticsError):
    """A problem with the state file the user must fix (unreadable, corrupt, too new, ...).

    A ``DiagnosticsError`` so the CLI renders it as ``error: ...`` + hint with exit 1, no traceback.
    """

    def __init__(self, summary: str, *, detail: str = "", hint: str = "", pos: SourcePos | None = None):
        self.summary = summary
        super().__init__([Diagnostic(summary, pos, detail, hint)])


class StateWriteError(StateError):
    """The state file could not be written (disk full, file too large, quota, I/O error). The file
    keeps its previous content: writes go to a temp file that is renamed only once complete."""

    def __init__(self, path: Path, err: OSError):
        self.path, self.errno = path, err.errno
        why = err.strerror or str(err)
        super().__init__(
            f"cannot write the state file {path}: {why}",
            detail=f"{path} is unchanged: it still holds the state as it was before this write (clbplan "
                   f"writes a temporary file beside it and renames it only once it is complete; the "
                   f"temporary file was removed)",
            hint=f"free some space on the filesystem of {path.parent} (df -h {path.parent}) and run the "
                 f"command again")


class StateLockedError(StateError):
    """Another run holds the state lock; ``info`` names it (None if it left no lock info)."""

    def __init__(self, summary: str, info: LockInfo | None, *, detail: str = "", hint: str = ""):
        self.info = info
        super().__init__(summary, detail=detail, hint=hint)


def _who() -> str:
    try:
        user = getpass.getuser()
    except Exception:  # noqa: BLE001 - no passwd entry in some containers
        user = f"uid{os.getuid()}"
    return f"{user}@{socket.gethostname()}"


_SECOND: tuple[int, str] = (-1, "")


def _now() -> str:
    """The time now, UTC, to the microsecond. The journal stamps every record (two per operation of an
    apply): the seconds' text is formatted once a second, not each time."""
    global _SECOND
    t = time.time()
    sec = int(t)
    known = _SECOND
    if known[0] != sec:
        known = _SECOND = (sec, time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(sec)))
    return f"{known[1]}.{int((t - sec) * 1_000_000):06d}Z"


@dataclass
class LockInfo:
    """What ``<state>.lock.info`` holds: the same fields as Terraform's LockInfo, plus the pid."""

    id: str
    operation: str
    who: str
    created: str
    path: str
    pid: int
    version: str = ""
    info: str = ""

    @classmethod
    def new(cls, operation: str, path: Path) -> LockInfo:
        from planner import __version__

        return cls(id=str(uuid.uuid4()), operation=operation, who=_who(), created=_now(),
                   path=str(path), pid=os.getpid(), version=__version__)

    def to_json(self) -> dict[str, Any]:
        return {"ID": self.id, "Operation": self.operation, "Info": self.info, "Who": self.who,
                "Version": self.version, "Created": self.created, "Path": self.path, "Pid": self.pid}

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> LockInfo:
        return cls(id=str(doc.get("ID", "")), operation=str(doc.get("Operation", "")),
                   who=str(doc.get("Who", "")), created=str(doc.get("Created", "")),
                   path=str(doc.get("Path", "")), pid=int(doc.get("Pid") or 0),
                   version=str(doc.get("Version", "")), info=str(doc.get("Info", "")))

    def describe(self) -> str:
        """The indented block users see in lock errors."""
        rows = [("ID", self.id), ("Path", self.path), ("Operation", self.operation),
                ("Who", self.who), ("Pid", str(self.pid)), ("Version", self.version),
                ("Created", self.created)]
        return "\n".join(f"    {k + ':':<11}{v}" for k, v in rows)


_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h)")


def parse_duration(text: str) -> float:
    """``30s``, ``2m``, ``1m30s``, ``500ms``, ``0s`` (or a bare number of seconds) -> seconds.

    Raises ValueError with a sentence fit for a user; the CLI's ``-lock-timeout`` uses this.
    """
    s = text.strip().lower()
    if re.fullmatch(r"\d+(?:\.\d+)?", s):
        return float(s)
    pos, total = 0, 0.0
    scale = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}
    while pos < len(s):
        m = _DURATION_PART.match(s, pos)
        if not m:
            break
        total += float(m.group(1)) * scale[m.group(2)]
        pos = m.end()
    if not s or pos != len(s):
        raise ValueError(f"invalid duration {text!r}: expected a number with a unit, e.g. 0s, 30s, 2m, 1m30s")
    return total


class LocalBackend:
    """State in a local JSON file, with a lock file beside it.

    ``lock_timeout`` is how long ``lock()`` waits for another run to finish (0 = fail at once).
    """

    def __init__(self, path: Path | str = Path("clbplan.tfstate"), *, lock_timeout: float = 0.0):
        self.path = Path(path)
        self.lock_timeout = float(lock_timeout)
        self._known: _Summary | None = None  # the file as last read/written, to skip re-parsing it

    def __repr__(self) -> str:
        return f"LocalBackend({str(self.path)!r}, lock_timeout={self.lock_timeout:g})"

    workspace = "default"

    @property
    def where(self) -> str:
        """How messages name this state."""
        return str(self.path)

    def exists(self) -> bool:
        """Whether a state has been stored yet (an absent file is an empty state)."""
        return self.path.exists()

    # ------------------------------------------------------------------ paths
    @property
    def lock_path(self) -> Path:
        return self.path.with_name(self.path.name + ".lock")

    @property
    def lock_info_path(self) -> Path:
        return self.path.with_name(self.path.name + ".lock.info")

    @property
    def backup_path(self) -> Path:
        return self.path.with_name(self.path.name + ".backup")

    @property
    def journal_dir(self) -> Path:
        """Where the crash-safety journals of this state live (one file per lineage)."""
        return self.path.parent / ".clbplan" / "journal"

    def check_writable(self, operation: str) -> None:
        """Refuse a run that would write the state (and its journal) where it cannot, before it calls
        the cloud: otherwise the cloud would change and the record of it could not be kept."""
        folder = self.path.parent
        if folder.is_dir() and not os.access(folder, os.W_OK):
            raise StateError(f"cannot {operation}: the state's folder {folder} cannot be written",
                             hint=f"`{operation}` records every change in {self.path.name} and in "
                                  f"{self.journal_dir} as it goes; run it in a writable checkout (or pass "
                                  f"-state=PATH to a writable place). Nothing was changed")

    def journal(self, lineage: str) -> Journal:
        """The journal of the given state lineage, next to this state file (lazy import: journal imports us)."""
        from planner.state.journal import Journal

        return Journal(self.journal_dir / f"{lineage}.jsonl")

    # ------------------------------------------------------------------ lock
    def read_lock_info(self) -> LockInfo | None:
        """The current lock info file, or None if absent/unreadable (a holder may be writing it)."""
        try:
            doc = json.loads(self.lock_info_path.read_text(encoding="utf-8"))
            return LockInfo.from_json(doc) if isinstance(doc, dict) else None
        except (OSError, ValueError, TypeError):
            return None

    def _open_lock_file(self, operation: str) -> tuple[int, bool]:
        """The lock file's descriptor, and whether it is a read-only one (a shared lock).

        In a folder this process cannot write (a read-only checkout) a run that only reads the state
        (``plan``, ``graph``) takes a shared lock on the existing lock file through a read-only
        descriptor: it still waits for an apply and holds one off, but writes no lock info. Without
        a lock file it cannot lock at all; like Terraform it then says so and names ``-lock=false``."""
        try:
            return os.open(self.lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600), False
        except OSError as e:
            read_only = e.errno in (errno.EROFS, errno.EACCES, errno.EPERM)
            if read_only and operation in READ_ONLY_OPERATIONS:
                with contextlib.suppress(OSError):
                    return os.open(self.lock_path, os.O_RDONLY | os.O_CLOEXEC), True
            if read_only and operation in READ_ONLY_OPERATIONS:
                hint = (f"{self.lock_path.parent} cannot be written, so the lock file cannot be created: "
                        f"run `clbplan {operation} -lock=false` (as Terraform: the state is then read without "
                        f"the lock, so an apply running at the same time may change it under the plan), or "
                        f"run where the state's folder is writable")
            elif read_only:
                hint = (f"{self.lock_path.parent} cannot be written: `{operation}` records its results in the "
                        f"state there, so run it in a writable checkout (or pass -state=PATH to a writable "
                        f"place)")
            else:
                hint = "check that the state file's directory exists and is writable"
            raise StateError(f"Error acquiring the state lock: cannot create the state lock file "
                             f"{self.lock_path}: {e.strerror}", hint=hint) from None

    @staticmethod
    def _try_flock(fd: int, shared: bool = False) -> bool:
        try:
            fcntl.flock(fd, (fcntl.LOCK_SH if shared else fcntl.LOCK_EX) | fcntl.LOCK_NB)
            return True
        except OSError as e:
            if e.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                return False
            raise

    def _locked_error(self, waited: float) -> StateLockedError:
        info = self.read_lock_info()
        waited_txt = f" (waited {waited:.1f}s)" if waited > 0 else ""
        if info is None:
            detail = "Lock Info: the holder has not written its lock info yet (it is starting up)."
            hint = "wait for the other run to finish, or pass -lock-timeout=2m to wait for it"
        else:
            detail = "Lock Info:\n" + info.describe()
            hint = (f"the run above is still running (process {info.pid} on {info.who}): wait for it to "
                    f"finish, or pass -lock-timeout=2m to wait for it; if it hangs, stop that process (its "
                    f"lock is released when it exits). A lock whose run is gone is removed with: "
                    f"clbplan force-unlock {info.id}")
        holder = f" by {info.who} ({info.operation}, since {info.created}, lock ID {info.id})" if info else ""
        return StateLockedError(f"Error acquiring the state lock: {self.path} is locked{holder}{waited_txt}",
                                info, detail=detail, hint=hint)

    @contextlib.contextmanager
    def lock(self, operation: str) -> Iterator[LockInfo]:
        """Hold the state lock for the ``with`` body; waits up to ``lock_timeout`` for another run.

        Raises StateLockedError naming the holder when the wait runs out.
        """
        key = str(self.path.resolve())
        with _HELD_GUARD:
            if key in _HELD:
                raise StateError(f"the state lock on {self.path} is already held by this process",
                                 hint="this is a bug in clbplan: a run took the lock twice")
            _HELD.add(key)
        fd = -1
        try:
            fd, shared = self._open_lock_file(operation)
            deadline = time.monotonic() + max(0.0, self.lock_timeout)
            started = time.monotonic()
            delay = 0.02
            while not self._try_flock(fd, shared):
                now = time.monotonic()
                if now >= deadline:
                    raise self._locked_error(now - started)
                time.sleep(min(delay, deadline - now))
                delay = min(delay * 2, 0.25)
            if shared:
                yield LockInfo.new(operation, self.path)  # nothing written: the folder is read-only
                return
            stale = self.read_lock_info()
            if stale is not None or self.lock_info_path.exists():
                if stale is None:
                    print(f"clbplan: removing an unreadable lock info file {self.lock_info_path} left by a "
                          f"run that is no longer running.", file=sys.stderr)
                else:
                    print(f"clbplan: taking over a stale state lock (ID {stale.id}, {stale.operation} by "
                          f"{stale.who}, pid {stale.pid}, since {stale.created}): that run is no longer "
                          f"running. If it was killed during an apply, its unfinished operations are "
                          f"recovered from the journal.", file=sys.stderr)
            info = LockInfo.new(operation, self.path)
            try:
                _atomic_write_bytes(self.lock_info_path, json.dumps(info.to_json(), indent=2).encode() + b"\n")
            except OSError as e:  # the flock above is the lock; the info only names its holder
                print(f"clbplan: could not write the lock info file {self.lock_info_path} ({e.strerror}); "
                      f"the state is locked all the same, but a second run cannot say by whom.", file=sys.stderr)
            try:
                yield info
            finally:
                current = self.read_lock_info()
                if current is not None and current.id == info.id:
                    with contextlib.suppress(FileNotFoundError):
                        self.lock_info_path.unlink()
        finally:
            if fd >= 0:
                with contextlib.suppress(OSError):
                    fcntl.flock(fd, fcntl.LOCK_UN)
                os.close(fd)
            with _HELD_GUARD:
                _HELD.discard(key)

    def force_unlock(self, lock_id: str) -> None:
        """Remove a lock left behind by a run that is gone.

        A live holder keeps its OS lock whatever we delete, so unlocking it is refused with a
        message naming the process to stop; a wrong ID is refused so nobody unlocks by accident.
        """
        info = self.read_lock_info()
        if info is None and not self.lock_info_path.exists():
            raise StateError(f"the state {self.path} is not locked: there is no lock to remove",
                             hint="nothing to do")
        if info is not None and info.id != lock_id:
            raise StateError(
                f"lock ID {lock_id!r} does not match the current lock of {self.path}",
                detail="Lock Info:\n" + info.describe(),
                hint=f"pass the current lock ID: clbplan force-unlock {info.id}",
            )
        fd, _ = self._open_lock_file("force-unlock")
        try:
            if not self._try_flock(fd):
                who = f"process {info.pid} on {info.who}" if info else "another process"
                raise StateLockedError(
                    f"cannot force-unlock {self.path}: the lock is held by a running {who}",
                    info,
                    detail=("Lock Info:\n" + info.describe()) if info else "",
                    hint="the operating system releases the lock when that process exits: let it finish, "
                         "or stop it (e.g. kill its pid) and retry",
                )
            try:
                with contextlib.suppress(FileNotFoundError):
                    self.lock_info_path.unlink()
                _fsync_dir(self.lock_info_path.parent)
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)

    # ------------------------------------------------------------------ read
    def read(self) -> State:
        """The stored state, or a new empty one (fresh lineage) when there is no state file yet."""
        return self._read_path(self.path)

    def read_backup(self) -> State | None:
        """The state before the last write, if any."""
        if not self.backup_path.exists():
            return None
        return self._read_path(self.backup_path)

    def _read_path(self, path: Path) -> State:
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            return State()
        except IsADirectoryError:
            raise StateError(f"the state path {path} is a directory, not a state file",
                             hint="pass the state file itself with -state PATH")
        except OSError as e:
            raise StateError(f"cannot read the state file {path}: {e.strerror}",
                             hint="check the file's permissions (clbplan writes it with mode 0600 "
                                  "for the user that runs it)")
        # the decode of these very bytes, cached by an earlier run (see planner.state.read_cache)
        source = hashlib.sha256(raw).hexdigest() if path == self.path else ""
        digest = source if len(raw) >= read_cache.MIN_BYTES else None
        if digest:
            with gc_paused():  # millions of new objects, none of them garbage (as below)
                cached = read_cache.load(path, digest)
            if cached is not None:
                from planner.state.tfstate import report_foreign

                report_foreign(cached, str(path))
                cached.source_digest = source
                return cached
        restore = (f"restore the previous state with: cp {self.backup_path} {path}"
                   if path != self.backup_path and self.backup_path.exists()
                   else "restore it from a copy, or move it away to start with an empty state "
                        "(the cloud objects it tracked would then no longer be managed)")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as e:
            raise StateError(f"the state file {path} is corrupt: not UTF-8 text (byte {e.start})",
                             hint=restore)
        size = len(raw)
        del raw  # the text holds it: at 10,000 load balancers each is 140 MB, and the decoded state is built next
        if not text or text.isspace():  # (strip() would copy a 100 MB state only to test it)
            if path != self.backup_path:
                self._refuse_empty_beside_history(path, size)
            return State()  # an empty file with nothing beside it is "no state yet", as in Terraform
        # a state of 10,000 load balancers is millions of new objects, none of them garbage: the
        # collector would scan them over and over while they are built (a third of the read)
        with gc_paused():
            try:
                doc = json.loads(text)
            except json.JSONDecodeError as e:
                raise StateError(f"the state file is corrupt: {e.msg}",
                                 pos=SourcePos(str(path), e.lineno, e.colno), hint=restore)
            except (ValueError, RecursionError) as e:  # a 5,000-digit number; arrays nested 100,000 deep
                why = ("a number has more digits than Python reads (4,300)" if isinstance(e, ValueError)
                       else "its values are nested too deeply to read")
                raise StateError(f"the state file {path} is corrupt: {why}", hint=restore) from None
            del text  # parsed: not kept while the state is built from the document
            state = self._decode(doc, path, restore)
            if digest:
                read_cache.save_off_path(path, digest, state)
            state.source_digest = source
            return state

    def _refuse_empty_beside_history(self, path: Path, size: int) -> None:
        """An empty state file next to a non-empty backup or journal is a truncation (a failed copy, a
        full disk, a bad merge), not "no state": planning from it would create everything again."""
        beside: list[str] = []
        try:
            if self.backup_path.stat().st_size > 0:
                try:
                    held = self._read_path(self.backup_path)
                    n = len(held.resources) + len(held.foreign)
                    beside.append(f"its backup {self.backup_path} is not (it holds {n} resource instance(s)"
                                  f"{'' if n else ': the state before the first apply'})")
                except StateError:
                    beside.append(f"its backup {self.backup_path} is not empty (and not readable either)")
        except OSError:
            pass
        try:
            journals = [j for j in self.journal_dir.glob("*.jsonl") if j.stat().st_size > 0]
        except OSError:
            journals = []
        if journals:
            beside.append(f"the journal {journals[0]} records operations of an unfinished run")
        if not beside:
            return
        what = "empty (0 bytes)" if size == 0 else "blank (only white space)"
        restore = (f"if the empty file is a mistake, restore the previous state with: cp {self.backup_path} "
                   f"{path}" if self.backup_path.exists() and "backup" in beside[0] else
                   "if the empty file is a mistake, restore the state from a copy; the next apply then "
                   "recovers the journal's operations")
        raise StateError(f"the state file {path} is {what}, but " + " and ".join(beside),
                         detail="clbplan refuses to read it as \"no state\": the plan would create every "
                                "resource a second time. Nothing was changed.",
                         hint=f"{restore}; to really start from no state, delete {path}"
                              + (f" and {self.backup_path}" if self.backup_path.exists() else "")
                              + (" and the journal" if journals else ""))

    def _decode(self, doc: Any, path: Path, restore: str) -> State:
        from planner.state.tfstate import report_foreign

        state = decode_document(doc, str(path), restore, take=True)  # the document is dropped after this
        report_foreign(state, str(path))
        return state

    # ------------------------------------------------------------------ write
    def write(self, state: State) -> None:
        """Persist ``state`` atomically (0600), keeping the previous file as ``<state>.backup``.

        The serial moves to one past the stored one only when the content changed, and
        ``state.serial`` is updated to match what is on disk. A state of another lineage is
        refused: it would silently replace a different workspace's history.
        """
        old = self._stored_summary()
        lines, digest = _encode(state)
        if old is not None:
            if old.lineage and old.lineage != state.lineage:
                raise StateError(
                    f"refusing to write state of lineage {state.lineage} over {self.path}, which holds "
                    f"lineage {old.lineage}",
                    hint="these are different states; use a different -state path",
                )
            if old.version > STATE_VERSION:
                raise StateError(f"refusing to overwrite {self.path}: it was written by a newer clbplan "
                                 f"(state format version {old.version})", hint="upgrade clbplan")
            if old.digest == digest:
                state.serial = old.serial
                return  # nothing changed: the serial (and any saved plan made from it) stays valid
            state.serial = max(old.serial, state.serial) + 1
        else:
            state.serial = state.serial + 1
        _sweep_temps(self.path)
        _sweep_temps(self.backup_path)
        self._store(_render_chunks(state, lines))
        self._known = _Summary(_stat_key(self.path), state.lineage, state.version, state.serial, digest)

    def _store(self, data: Iterable[bytes]) -> None:
        """Keep the backup, then replace the state file; a full disk leaves the old file as it was."""
        try:
            if self.path.exists():
                self._keep_backup()
            _atomic_write_bytes(self.path, data)
        except OSError as e:
            raise StateWriteError(self.path, e) from None

    def replace(self, state: State) -> None:
        """Store ``state`` exactly as given (its lineage and serial): ``state push`` and migration,
        after their own checks. The previous file is kept as the backup."""
        lines, digest = _encode(state)
        _sweep_temps(self.path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._store(_render_chunks(state, lines))
        self._known = _Summary(_stat_key(self.path), state.lineage, state.version, state.serial, digest)

    def _stored_summary(self) -> _Summary | None:
        """Lineage/version/serial/content digest of the file on disk (cached while it is unchanged)."""
        try:
            key = _stat_key(self.path)
        except FileNotFoundError:
            return None
        known = self._known
        if known is not None and known.key == key:
            return known
        try:
            raw = self.path.read_bytes()
        except OSError as e:
            raise StateError(f"cannot read the state file {self.path} before writing it: {e.strerror}",
                             hint="check the file's permissions")
        fast = _summary_of_own_layout(raw)
        if fast is not None:
            return _Summary(key, *fast)
        try:
            doc = json.loads(raw) if raw.strip() else None
        except ValueError:
            doc = None  # corrupt: it is overwritten, and the backup keeps the bad bytes for inspection
        if not isinstance(doc, dict):
            return None
        serial = doc.get("serial") if isinstance(doc.get("serial"), int) else 0
        version = doc.get("version") if isinstance(doc.get("version"), int) else STATE_VERSION
        lineage = doc.get("lineage") if isinstance(doc.get("lineage"), str) else ""
        try:
            digest = _digest(lineage, version, [_dump(r) for r in doc.get("resources") or []],
                             _dump(doc.get("outputs") or {}))  # format 4 only: an older file always differs
        except (TypeError, ValueError):
            digest = ""
        return _Summary(key, lineage, version, serial, digest)

    def _keep_backup(self) -> None:
        """Make ``<state>.backup`` the current file, atomically (hard link, or a copy if links fail).
        An empty current file never replaces a backup: it holds nothing worth keeping."""
        try:
            if self.path.stat().st_size < 64 and not self.path.read_bytes().strip() and self.backup_path.exists():
                return
        except OSError:
            pass
        tmp = _temp_name(self.backup_path)
        try:
            os.link(self.path, tmp)
        except OSError:
            try:
                _write_temp(tmp, self.path.read_bytes())
            except BaseException:  # a full disk: no half-written backup left behind
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
                raise
        try:
            os.replace(tmp, self.backup_path)
        finally:
            # rename(2) is a no-op when both names are links to one inode (a writer killed after
            # linking the backup): the temp name would stay behind, so drop it in every case
            with contextlib.suppress(OSError):
                os.unlink(tmp)


def decode_document(doc: Any, where: str, restore: str, *, take: bool = False) -> State:
    """A parsed state document -> State: Terraform's format 4 (clbplan's or Terraform's), or the
    layout clbplan wrote before format 4. ``where`` names the file or database row in messages.
    ``take``: the caller drops ``doc`` afterwards, so its attribute objects become the state's as they
    are (changed in place) instead of being copied: no second copy of 100,000 dicts while reading."""
    from planner.state.tfstate import FormatError, decode_legacy, decode_v4

    if not isinstance(doc, dict):
        raise StateError(f"{where} is not a state file: expected a JSON object", hint=restore)
    if "version" not in doc:
        raise StateError(f"{where} is not a valid state file: the 'version' field is missing", hint=restore)
    version = doc["version"]
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise StateError(f"{where} has an invalid state format version {version!r}", hint=restore)
    if version > STATE_VERSION:
        from planner import __version__

        writer = (f"clbplan {doc['clbplan_version']}" if doc.get("clbplan_version")
                  else f"Terraform {doc['terraform_version']}" if doc.get("terraform_version") else "a newer release")
        raise StateError(
            f"the state {where} was written by {writer} in state format version {version}; "
            f"this clbplan ({__version__}) reads format version {STATE_VERSION} (and clbplan's older format 1)",
            hint="upgrade clbplan to a version that reads this state (do not edit the file by hand)",
        )
    if version == 1 and "terraform_version" not in doc:
        return _decode_legacy(doc, where, restore, decode_legacy)
    if version != STATE_VERSION:
        raise StateError(
            f"{where} is a Terraform state in the old format version {version}",
            hint="let Terraform 1.x upgrade it first (terraform state pull > upgraded.tfstate, then "
                 "terraform state push upgraded.tfstate), then run clbplan again")
    try:
        return decode_v4(doc, take=take)
    except FormatError as e:
        raise StateError(f"{where} is not a valid state (format 4): {e}",
                         hint=f"correct that value in {where}, or {restore}") from None
    except (KeyError, TypeError, ValueError) as e:
        raise StateError(f"{where} is not a valid state (format 4): {e}", hint=restore)


def _decode_legacy(doc: dict, where: str, restore: str, decode: Any) -> State:
    for k in ("serial", "lineage"):
        if k not in doc:
            raise StateError(f"{where} is not a valid clbplan state file: the {k!r} field is missing",
                             hint=restore)
    if not isinstance(doc["serial"], int) or isinstance(doc["serial"], bool) or doc["serial"] < 0:
        raise StateError(f"{where} has an invalid serial {doc['serial']!r}", hint=restore)
    if not isinstance(doc["lineage"], str) or not doc["lineage"]:
        raise StateError(f"{where} has an invalid lineage {doc['lineage']!r}", hint=restore)
    resources = doc.get("resources", [])
    if not isinstance(resources, list):
        raise StateError(f"{where}: 'resources' must be a list", hint=restore)
    for i, r in enumerate(resources):
        if not isinstance(r, dict) or not all(k in r for k in ("type", "name", "id")):
            raise StateError(f"{where}: resource #{i + 1} is malformed (it needs type, name and id)",
                             hint=restore)
    try:
        return decode(doc)
    except (KeyError, TypeError, ValueError) as e:
        raise StateError(f"{where} is not a valid clbplan state file: {e}", hint=restore)


@dataclass
class _Summary:
    key: tuple[int, int, int]
    lineage: str
    version: int
    serial: int
    digest: str


def _stat_key(path: Path) -> tuple[int, int, int]:
    st = os.stat(path)
    return (st.st_ino, st.st_size, st.st_mtime_ns)


def _dump(value: Any) -> str:
    """Canonical one-line JSON (sorted keys, the C encoder): the file's resource lines and the digest."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(", ", ": "), default=_json_default)


def _digest(lineage: str, version: int, resource_lines: Iterable[str | bytes | memoryview], outputs: str) -> str:
    h = hashlib.sha256(f"{lineage}\n{version}\n".encode())
    for line in resource_lines:
        h.update(line.encode("utf-8") if isinstance(line, str) else line)
        h.update(b"\n")
    h.update(outputs.encode("utf-8"))
    return h.hexdigest()


_RESOURCES_OPEN = b'\n  "resources": [\n'
_RESOURCES_CLOSE = b'\n  ],\n'


def _summary_of_own_layout(raw: bytes) -> tuple[str, int, int, str] | None:
    """(lineage, version, serial, digest) of a file in the layout ``_render_chunks`` writes, without
    parsing its resources: each resource line already is the canonical form the digest hashes. Parsing
    the whole file for this (the first write of every apply over an existing state) held the decoded
    document of 140 MB of JSON at 10,000 load balancers. None for any other layout (Terraform's own,
    an edited file): the caller parses it. A line edited by hand only makes the digest differ, and a
    differing digest only means the state is written again, with the next serial."""
    start = raw.find(_RESOURCES_OPEN)
    end = raw.rfind(_RESOURCES_CLOSE)
    if start < 0 or end <= start:
        return None
    try:
        rest = json.loads(raw[:start + 1] + b'  "resources": [],\n' + raw[end + len(_RESOURCES_CLOSE):])
    except ValueError:
        return None
    if not isinstance(rest, dict) or not isinstance(rest.get("lineage"), str) or rest.get("version") != STATE_VERSION:
        return None
    serial = rest.get("serial") if isinstance(rest.get("serial"), int) else 0
    view = memoryview(raw)
    lines: list[memoryview] = []
    pos = start + len(_RESOURCES_OPEN)  # each line: 4 spaces, the object, a comma unless it is the last
    while pos <= end:
        nl = raw.find(b"\n", pos, end + 1)
        last = nl == end
        body = view[pos + 4:nl if last else nl - 1]
        if view[pos:pos + 5] != b"    {" or (not last and view[nl - 1:nl] != b",") or body[-1:] != b"}":
            return None
        lines.append(body)
        pos = nl + 1
    return rest["lineage"], STATE_VERSION, serial, _digest(rest["lineage"], STATE_VERSION, lines,
                                                           _dump(rest.get("outputs") or {}))


def _encode(state: State) -> tuple[list[str], str]:
    from planner.state.tfstate import iter_resource_objects, outputs_v4

    lines = [_dump(r) for r in iter_resource_objects(state)]
    return lines, _digest(state.lineage, STATE_VERSION, lines, _dump(outputs_v4(state.outputs)))


def _render(state: State, resource_lines: list[str]) -> bytes:
    """The whole file in one piece (``state pull``, the pg backend's row)."""
    return b"".join(_render_chunks(state, resource_lines))


_CHUNK = 1 << 20


def _render_chunks(state: State, resource_lines: list[str]) -> Iterator[bytes]:
    """Terraform's format 4, one resource object per line: readable, diffable, and fast to write.

    (``json.dumps(indent=2)`` falls back to the pure-Python encoder: 3x slower on 40k resources.)
    Terraform reads it as any JSON; the field order at the top is Terraform's. Yielded in pieces of
    about a megabyte, so the writer never holds the file as one string and again as its bytes (two
    copies of 140 MB at 10,000 load balancers, at the apply's peak of memory).
    """
    from planner import __version__
    from planner.state.tfstate import outputs_v4
    from planner.version import TERRAFORM_LANGUAGE_VERSION

    head = (f'{{\n  "version": {STATE_VERSION},\n  "terraform_version": {json.dumps(TERRAFORM_LANGUAGE_VERSION)},\n'
            f'  "serial": {state.serial},\n  "lineage": {json.dumps(state.lineage)},\n')
    outs = "".join(f"\n    {json.dumps(k, ensure_ascii=False)}: {_dump(v)}," for k, v in outputs_v4(state.outputs).items())
    outs = '  "outputs": {' + (outs.rstrip(",") + "\n  }" if outs else "}") + ",\n"
    tail = f'  "check_results": null,\n  "clbplan_version": {json.dumps(__version__)}\n}}\n'
    if not resource_lines:
        yield (head + outs + '  "resources": [],\n' + tail).encode("utf-8")
        return
    parts, size = [head, outs, '  "resources": [\n'], 0
    last = len(resource_lines) - 1
    for i, line in enumerate(resource_lines):
        parts += ("    ", line, ",\n" if i < last else "\n")
        size += len(line)
        if size >= _CHUNK:
            yield "".join(parts).encode("utf-8")
            parts, size = [], 0
    parts += ("  ],\n", tail)
    yield "".join(parts).encode("utf-8")


def _json_default(o: Any) -> Any:
    if isinstance(o, set | frozenset):
        return sorted(o, key=str)
    if isinstance(o, tuple):
        return list(o)
    raise TypeError(f"value of type {type(o).__name__} cannot be stored in state: {o!r}")


def _temp_name(target: Path) -> Path:
    return target.with_name(f".{target.name}.tmp-{os.getpid()}-{uuid.uuid4().hex[:8]}")


def _sweep_temps(target: Path) -> None:
    """Remove temp files that writers killed mid-write left beside ``target`` (their pid is gone)."""
    prefix = f".{target.name}.tmp-"
    try:
        names = [n for n in os.listdir(target.parent) if n.startswith(prefix)]
    except OSError:
        return
    for name in names:
        pid_text = name[len(prefix):].split("-", 1)[0]
        if not pid_text.isdigit() or pid_alive(int(pid_text)):
            continue  # still running (this process too), or a reused pid: leave it
        with contextlib.suppress(OSError):
            os.unlink(target.parent / name)


def _write_temp(tmp: Path, data: bytes | Iterable[bytes]) -> None:
    """``data`` whole, or in pieces (each written and dropped before the next is made)."""
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
    try:
        os.fchmod(fd, 0o600)
        for piece in (data,) if isinstance(data, bytes | bytearray) else data:
            view = memoryview(piece)
            while view:
                n = os.write(fd, view)
                view = view[n:]
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some filesystems refuse fsync on directories; the rename is still atomic
    finally:
        os.close(fd)


def _atomic_write_bytes(target: Path, data: bytes | Iterable[bytes]) -> None:
    """temp file in the same directory, fsync, rename over ``target``, fsync the directory."""
    tmp = _temp_name(target)
    try:
        _write_temp(tmp, data)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_dir(target.parent)
