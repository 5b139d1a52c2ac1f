"""The emulator as a program of its own, answering ``Emulator.call`` over inherited socket pairs.

``python -m planner.emulator.pipe_server --fds 3,4,...`` opens the cloud's file named on standard input
(a pickled ``(path, region, FaultConfig)``), says ``("ready", None)`` on the first connection, then answers
every connection: one request ``(product, action, params)`` at a time, one reply ``("ok", result)``,
``("cloud", (code, message, status, headers, request id))``, ``("lost", message)`` or ``("error", text)``.
The planner starts it for a large apply's walk (``planner.engine.cloud_apart``) so the cloud's work runs on
another core.

It is a new program, not a fork: SQLite must not be used across a fork, and a parent's connection to the same
file, even closed in the child, leaves state that makes a new one fail ("locking protocol"). It is the cloud:
it ignores Ctrl-C and SIGTERM, since the calls in flight must still be answered, and ends when every
connection is closed, that is when the planner is done or has died.
"""

from __future__ import annotations

import argparse
import gc
import pickle
import signal
import sys
import threading
from multiprocessing.connection import Connection, wait
from typing import Any

from planner.emulator.core import Emulator
from planner.emulator.errors import CloudError, ResponseLost


def serve(cloud: Emulator, connections: list[Connection]) -> None:
    """Answer every connection until each is closed. The cloud runs one call at a time under its lock, so
    one thread answers whichever connection has a request: a thread per connection spent the cloud's
    CPU on switching between them. Injected latency is slept outside that lock, as round trips overlap
    on a real gateway: then each connection gets its thread."""
    if cloud.faults.latency:
        threads = [threading.Thread(target=_answer_one, args=(cloud, c), daemon=True) for c in connections]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return
    live = list(connections)
    while live:
        for conn in wait(live):
            assert isinstance(conn, Connection)
            if not _answer(cloud, conn):
                live.remove(conn)


def _answer_one(cloud: Emulator, conn: Connection) -> None:
    while _answer(cloud, conn):
        pass


def _answer(cloud: Emulator, conn: Connection) -> bool:
    """Answer one request on ``conn``; False once the planner has closed its end (or ended)."""
    try:
        product, action, params = pickle.loads(conn.recv_bytes())  # (plain pickle, as the planner sends)
    except (OSError, EOFError):
        return False
    try:
        reply: tuple[str, Any] = ("ok", cloud.call(product, action, params))
    except CloudError as e:
        reply = ("cloud", (e.code, e.message, e.http_status, dict(e.headers), getattr(e, "request_id", None)))
    except ResponseLost as e:
        reply = ("lost", str(e))
    except Exception as e:  # noqa: BLE001 - told to the caller, as in one process it would be raised
        reply = ("error", f"{e.__class__.__name__}: {e}")
    try:
        conn.send_bytes(pickle.dumps(reply, pickle.HIGHEST_PROTOCOL))
    except (OSError, EOFError):
        return False
    return True


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m planner.emulator.pipe_server")
    ap.add_argument("--fds", required=True, help="the inherited socket descriptors, comma-separated")
    args = ap.parse_args(argv)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    connections = [Connection(int(fd)) for fd in args.fds.split(",") if fd]
    try:
        path, region, faults = pickle.load(sys.stdin.buffer)
        cloud = Emulator(path, faults=faults, region=region)
    except Exception as e:  # noqa: BLE001 - the planner keeps the cloud in its own process, and says why
        connections[0].send(("error", f"{e.__class__.__name__}: {e}"))
        return 1
    connections[0].send(("ready", None))  # the cloud's file is open: the planner may hand its calls over
    # what a call makes is freed when it returns (no reference cycles): the collector's 3,200 passes in a
    # walk of 10,000 load balancers found nothing, and spent 2.4 s walking the documents kept in the cache
    gc.freeze()
    gc.set_threshold(100_000, 50, 100)
    serve(cloud, connections)
    return 0


if __name__ == "__main__":
    sys.exit(main())
