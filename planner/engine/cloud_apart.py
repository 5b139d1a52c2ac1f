"""The embedded cloud served from a process of its own while a large apply walks (issue 17).

An apply against the embedded emulator runs the planner and the cloud on one Python interpreter: the
walk's re-evaluation, the provider's requests, the journal and every API call's handling take turns on
one core while the machine's others wait (an apply of 10,000 load balancers: about 1.2 ms of one core per
operation, the cloud's share a third of it). During the walk the cloud is reached only through
``Emulator.call``, so it can be another program: this module starts ``planner.emulator.pipe_server`` on
the same cloud file (SQLite in WAL mode: the file is already shared with ``clbplan emulator serve``)
and hands it those calls over socket pairs, one per walk thread.

The server is the cloud, not the planner: it ignores Ctrl-C (the command lets the calls in flight finish,
and they must be answered) and ends when the planner closes its sockets or dies. A call it was making when
the planner was killed completes, as a real cloud's would, and recovery settles its intent with the same
ClientToken. A broken socket is a lost response (``ResponseLost``): the walk leaves that operation's intent
open for recovery, as for any network failure.

Only for a cloud on a file with the real clock, and a one-shot process's walk of at least
``MIN_OPERATIONS`` (the server's start, 0.2 s, is not worth it for fewer).
``CLBPLAN_CLOUD_APART=0`` keeps the cloud in the process; ``=always`` serves it apart whatever the size.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import queue
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from planner import process
from planner.emulator.errors import CloudError, ResponseLost
from planner.logs import log

ENV_SWITCH = "CLBPLAN_CLOUD_APART"
MIN_OPERATIONS = 2000


def wanted(emulator: Any, n_ops: int, env: Mapping[str, str] | None = None) -> bool:
    """Whether the walk of ``n_ops`` operations should hand ``emulator``'s calls to a server process."""
    raw = (env if env is not None else os.environ).get(ENV_SWITCH, "1").strip().lower()
    if process.turned_off(raw):
        return False
    if emulator is None or getattr(emulator, "path", None) is None or getattr(emulator, "clock", None) is not time.time:
        return False  # (a test's clock cannot be handed to another program)
    if getattr(getattr(emulator, "store", None), "read_only", False):
        return False
    return raw == "always" or (process.is_one_shot() and n_ops >= MIN_OPERATIONS)


class CloudServer:
    """The server process and the planner's ends of its connections."""

    def __init__(self, proc: subprocess.Popen, connections: list[Connection]):
        self.proc = proc
        self._all = connections
        self._free: queue.SimpleQueue[Connection] = queue.SimpleQueue()
        for c in connections:
            self._free.put(c)
        self.peak_rss_kib = 0
        self.cpu_seconds = 0.0

    @classmethod
    def start(cls, emulator: Any, connections: int) -> CloudServer | None:
        """Start the server on ``emulator``'s file; None (the cloud stays here) if it cannot open it."""
        pairs = [socket.socketpair() for _ in range(max(1, connections))]
        theirs = [b.fileno() for _a, b in pairs]
        ours = [Connection(a.detach()) for a, _b in pairs]
        # the server runs this process's copy of the emulator, wherever that was imported from
        home = str(Path(__file__).resolve().parents[2])
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (home, os.environ.get("PYTHONPATH", "")) if p)}
        try:
            proc = subprocess.Popen(
                [sys.executable, "-m", "planner.emulator.pipe_server", "--fds", ",".join(map(str, theirs))],
                pass_fds=theirs, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                env=env)
        except OSError as e:
            log.info("cloud apart: the server did not start (%s): the cloud stays in this process", e)
            for c in ours:
                c.close()
            return None
        finally:
            for _a, b in pairs:
                b.close()
        server = cls(proc, ours)
        try:
            assert proc.stdin is not None
            with proc.stdin:
                proc.stdin.write(pickle.dumps((str(Path(emulator.path).resolve()), emulator.region, emulator.faults)))
            kind, detail = ours[0].recv()
            if kind != "ready":
                raise OSError(detail)
        except (OSError, EOFError) as e:
            log.info("cloud apart: the server could not open the cloud (%s): it stays in this process", e)
            server.close()
            return None
        log.info("cloud apart: process %d answers the cloud's calls on %d connection(s)", proc.pid, len(ours))
        return server

    def call(self, product: str, action: str, params: Mapping[str, Any]) -> dict:
        """``Emulator.call`` as the server answers it: the same result, or the same exception."""
        conn = self._free.get()
        try:
            # (plain pickle: Connection.send's ForkingPickler copies the reducers' table for every message)
            conn.send_bytes(pickle.dumps((product, action, params if type(params) is dict else dict(params)),
                                         pickle.HIGHEST_PROTOCOL))  # (the transport's copy)
            kind, payload = pickle.loads(conn.recv_bytes())
        except (OSError, EOFError) as e:
            # the server is gone: the call may or may not have been made, as when a connection drops
            raise ResponseLost(f"{action}: the cloud's process ended ({e.__class__.__name__})") from None
        finally:
            self._free.put(conn)
        if kind == "ok":
            return payload
        if kind == "cloud":
            code, message, status, headers, request_id = payload
            err = CloudError(code, message, status, headers=headers)
            err.request_id = request_id
            raise err
        if kind == "lost":
            raise ResponseLost(payload)
        raise RuntimeError(f"the cloud failed on {action}: {payload}")

    def close(self) -> None:
        """Close the planner's ends (the server sees the end of each and exits) and wait for it."""
        self.peak_rss_kib = _peak_rss_kib(self.proc.pid)
        for c in self._all:
            with contextlib.suppress(OSError):
                c.close()
        with contextlib.suppress(ChildProcessError):
            _pid, status, usage = os.wait4(self.proc.pid, 0)
            self.proc.returncode = os.waitstatus_to_exitcode(status)
            self.cpu_seconds = usage.ru_utime + usage.ru_stime
            log.info("cloud apart: process %d ended (exit %s): %.1f s of CPU, peak RSS %d MiB", self.proc.pid,
                     self.proc.returncode, self.cpu_seconds, self.peak_rss_kib // 1024)


def _peak_rss_kib(pid: int) -> int:
    """The server's own peak (``VmHWM``, reset by its exec; the rusage ``wait4`` reports keeps the peak of
    the fork it was started from: the planner's whole heap). 0 where /proc does not tell."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return 0


@contextlib.contextmanager
def served_apart(emulator: Any, n_ops: int, connections: int) -> Iterator[CloudServer | None]:
    """While the block runs, ``emulator.call`` is answered by a server process when :func:`wanted` says so."""
    server = CloudServer.start(emulator, connections) if wanted(emulator, n_ops) else None
    if server is None:
        yield None
        return
    emulator.call = server.call  # the instance's attribute: InProcessTransport calls emulator.call
    try:
        yield server
    finally:
        del emulator.call
        server.close()
