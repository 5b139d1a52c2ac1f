"""How a one-shot process (the ``clbplan`` command, ``bench/engine.py``'s phases) holds a large plan,
and the forks it makes.

A 10,000-LB plan builds millions of objects that all live until the process ends. Two costs follow
that are not work: the cyclic garbage collector re-scanning them (thresholds sized for that heap,
and ``gc.freeze`` in the pipeline), and freeing them one by one when the command's locals go out of
scope and again at interpreter teardown (1.6-3.7 s at 10,000 load balancers). A one-shot process
keeps its run's result referenced here and leaves with ``os._exit`` once its files are closed and
its output flushed (``planner.cli.main._exit_now``), so the heap is handed back to the system whole.
"""

from __future__ import annotations

import gc
import os
import pickle
import signal
import time
from collections.abc import Callable, Collection, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

# With the default thresholds (700, 10, 10) Python re-scans the long-lived heap over and over (about
# 13% of a no-change plan's CPU at 1,000 load balancers). Collections still run, just much less often.
GC_THRESHOLDS = (100_000, 50, 100)

_kept: list[Any] | None = None


def turned_off(value: str) -> bool:
    """Whether an environment switch's value says off: 0, false, no or off, in any case."""
    return value.strip().lower() in ("0", "false", "no", "off")


def switched_on(env: Mapping[str, str], name: str) -> bool:
    """An on/off environment switch that is on unless set to 0, false, no or off (in ``env``, else in
    this process's environment)."""
    return not turned_off(env.get(name, os.environ.get(name, "1")))


def one_shot() -> None:
    """This process runs one command and exits without teardown: tune the collector and keep what
    ``keep`` is given until then. Never called in a long-lived process (tests, a library user)."""
    global _kept
    gc.set_threshold(*GC_THRESHOLDS)
    if _kept is None:
        _kept = []


def is_one_shot() -> bool:
    """Whether :func:`one_shot` was called: the heap the pipeline froze may stay frozen to the exit."""
    return _kept is not None


def keep(obj: Any) -> Any:
    """Keep ``obj`` (a run's outcome: plan, configuration, states) alive until the process exits, when
    :func:`one_shot` was called; otherwise nothing. Returns ``obj``."""
    if _kept is not None:
        _kept.append(obj)
    return obj


@contextmanager
def gc_paused() -> Iterator[None]:
    """No cyclic collection while millions of long-lived objects are built (a parse, a state read):
    it would run again and again and find nothing to free.

    In a one-shot process what was built is frozen before the collector is on again: all of it is
    still in the youngest generation, and the first allocation after ``gc.enable()`` would walk it
    (0.5 s after the state read of 10,000 load balancers, 0.4 s after their evaluation) only to
    move it to the next one."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            if _kept is not None:
                gc.freeze()
            gc.enable()


def fork(keep: Collection[int] = ()) -> int:
    """``os.fork()``; in the child, every descriptor it inherited is closed except stdin, stdout,
    stderr, ``keep`` and the log's files. A lock held through a descriptor (the state's ``flock``, a
    PostgreSQL session's socket) must end when the parent ends: a child still reading the cloud
    after the parent was killed would otherwise hold the state locked against the recovery run."""
    pid = os.fork()
    if pid == 0:
        try:
            kept = sorted({0, 1, 2, *keep, *_log_descriptors()})
            start = 0
            for fd in kept:
                if fd > start:
                    os.closerange(start, fd)
                start = fd + 1
            os.closerange(start, _max_descriptor())
        except BaseException:  # noqa: BLE001 - the child must never run on as a copy of its parent
            os._exit(1)
    return pid


def pid_alive(pid: int) -> bool:
    """Whether process ``pid`` still runs (or its number was given to another process): the temp file
    of a writer whose pid is gone was left by a kill mid-write."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # alive, owned by someone else
        return True
    return True


def behind(work: Callable[[], None], *, lock: Path | None = None) -> bool:
    """Run ``work`` in a forked child the parent never waits for: what it writes is for the next run,
    and this run's output need not wait for it. False (nothing forked) unless this is a one-shot
    process with no other thread (a thread may hold a lock the child would need) on a system that
    forks. ``lock``: a file the child holds an exclusive ``flock`` on until it has finished, so that
    the next run can wait for what it writes (``wait_for``). The child ignores Ctrl-C, runs at a lower
    priority with its standard streams on /dev/null, and leaves with ``os._exit``."""
    import threading

    if not (hasattr(os, "fork") and is_one_shot()) or threading.active_count() != 1:
        return False
    fd = _locked(lock) if lock is not None else None
    if lock is not None and fd is None:
        return False
    try:
        pid = fork(keep=() if fd is None else (fd,))
    except OSError:
        pid = -1
    if pid == 0:
        code = 1
        try:
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            # not the command's output: a pipe reading it (a CI job, ``$(clbplan plan)``) ends with the parent
            null = os.open(os.devnull, os.O_RDWR)
            for std in (0, 1, 2):
                os.dup2(null, std)
            os.nice(10)
            work()
            code = 0
        finally:
            os._exit(code)
    if fd is not None:
        os.close(fd)  # the lock is the child's now (a flock belongs to the open file, shared by the fork)
    return pid > 0


def _locked(path: Path) -> int | None:
    """A descriptor of ``path`` holding an exclusive flock; None if not. Made 0600 in 0700 folders (its
    own and that one's parent, the checkout's ``.clbplan``), as the parse cache's entries are."""
    import fcntl

    try:
        for folder in (path.parent.parent, path.parent):
            folder.mkdir(mode=0o700, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o600)
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
    except OSError:
        os.close(fd)
        return None
    return fd


def wait_for(lock: Path, timeout: float = 60.0) -> bool:
    """Wait until no child started by ``behind`` holds ``lock`` (at most ``timeout`` seconds). True
    when none does (or there is no such file): what it wrote is all there."""
    try:
        import fcntl
    except ImportError:
        return True
    try:
        fd = os.open(lock, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return True
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
                return True
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    return False
                time.sleep(0.01)
            except OSError:
                return True
    finally:
        os.close(fd)


class ForkedAnswer:
    """One answer worked out in a forked child and sent back pickled through a pipe: ``answer()`` waits
    for it, ``cancel()`` stops the child. The child ignores Ctrl-C (the parent's to handle: it cancels),
    closes what it inherited (``fork``) and leaves with ``os._exit``: no teardown, no atexit handler,
    nothing written anywhere but the pipe. A child that fails sends nothing, and the answer is None."""

    def __init__(self, pid: int, fd: int):
        self.pid, self._fd, self._reaped = pid, fd, False

    @classmethod
    def start(cls, work: Callable[[], Any], keep: Collection[int] = ()) -> ForkedAnswer | None:
        """Fork a child that sends back what ``work()`` returns (the descriptors in ``keep`` stay open in
        it); None when no child can be made."""
        r, w = os.pipe()
        try:
            pid = fork(keep=(w, *keep))
        except OSError:
            os.close(r)
            os.close(w)
            return None
        if pid == 0:  # the child (its copy of ``r`` is closed already): never returns
            code = 1
            try:
                signal.signal(signal.SIGINT, signal.SIG_IGN)
                data = memoryview(pickle.dumps(work(), protocol=pickle.HIGHEST_PROTOCOL))
                while data:
                    data = data[os.write(w, data):]
                code = 0
            except BaseException:  # noqa: BLE001 - the parent sees no answer and does the work itself
                pass
            finally:
                os._exit(code)
        os.close(w)
        return cls(pid, r)

    def answer(self) -> Any:
        """What the child sent, once it has finished; None when it sent nothing (it failed)."""
        chunks = []
        try:
            while chunk := os.read(self._fd, 1 << 20):
                chunks.append(chunk)
        except BaseException:  # Ctrl-C while waiting: stop the child (it ignores SIGINT) rather than wait
            self.cancel()
            raise
        os.close(self._fd)
        self._reap()
        try:
            return pickle.loads(b"".join(chunks))
        except Exception:  # noqa: BLE001 - a child that died half-way
            return None

    def cancel(self) -> None:
        """Stop the child (its answer will not be used); nothing once it is reaped (its pid may be
        another process's by then)."""
        if self._reaped:
            return
        try:
            os.kill(self.pid, signal.SIGKILL)
        except OSError:
            pass
        try:
            os.close(self._fd)
        except OSError:
            pass
        self._reap()

    def _reap(self) -> None:
        if not self._reaped:
            self._reaped = True
            try:
                os.waitpid(self.pid, 0)
            except ChildProcessError:
                pass


def _log_descriptors() -> set[int]:
    from planner.logs import log

    out = set()
    for handler in log.handlers:
        try:
            out.add(handler.stream.fileno())  # type: ignore[attr-defined]
        except (AttributeError, OSError, ValueError):
            pass
    return out


def _max_descriptor() -> int:
    try:
        return int(os.sysconf("SC_OPEN_MAX"))
    except (AttributeError, OSError, ValueError):
        return 65536
