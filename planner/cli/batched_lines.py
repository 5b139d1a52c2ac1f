"""Progress lines written a few at a time instead of one write per line (issue 17).

An apply of 10,000 load balancers prints about 260,000 progress lines. ``click.echo`` asks whether
its stream is a terminal and flushes it for every line, and it is called on the walk's scheduler
thread: a fifth of that thread's time went there. Lines are collected here and written together at
most ``EVERY`` seconds after the first of them, by a thread of this module's own, so a person
watching a terminal or a CI log still sees each line within a twentieth of a second.
"""

from __future__ import annotations

import threading
import time
from typing import TextIO

EVERY = 0.05  # seconds a line may wait for others before it is written


class BatchedLines:
    """Lines to ``stream``, written by a background thread shortly after they arrive; thread-safe.

    ``close`` writes what is left and must be called before anything else is written to the stream
    (the summary, an error), so the order of the output is the order of the calls. A reader slower than
    the walk (a terminal over a slow link) holds up only the writing thread: the lines wait in memory
    (about 100 bytes each), the walk does not wait for them."""

    def __init__(self, stream: TextIO, every: float = EVERY):
        self._stream = stream
        self._every = every
        self._lock = threading.Lock()  # the queue
        self._writing = threading.Lock()  # the stream: one writer at a time, in the queue's order
        self._pending: list[str] = []
        self._wake = threading.Event()
        self._closed = False
        self._broken = False
        self._thread: threading.Thread | None = None

    def line(self, text: str) -> None:
        """Queue one line (without its newline)."""
        with self._lock:
            closed = self._closed
            if not closed:
                self._pending.append(text)
                if len(self._pending) > 1:
                    return  # a write is already due
                if self._thread is None:
                    self._thread = threading.Thread(target=self._run, name="progress-lines", daemon=True)
                    self._thread.start()
        if closed:
            with self._writing:
                self._write([text])
            return
        self._wake.set()

    def flush(self) -> None:
        """Write every queued line now."""
        with self._writing:
            with self._lock:
                pending, self._pending = self._pending, []
            self._write(pending)

    def close(self) -> None:
        """Write what is left and stop the background thread; later lines are written at once."""
        with self._lock:
            self._closed = True
            thread = self._thread
        self._wake.set()
        if thread is not None and thread is not threading.current_thread():
            thread.join()
        self.flush()

    def _write(self, lines: list[str]) -> None:
        if not lines or self._broken:
            return
        try:
            self._stream.write("\n".join(lines) + "\n")
            self._stream.flush()
        except (OSError, ValueError):
            # the reader went away (``clbplan apply | head``): the walk goes on without its progress lines,
            # as the cloud's changes must still be recorded; what comes after the walk reports the pipe
            self._broken = True

    def _run(self) -> None:
        while True:
            self._wake.wait()
            self._wake.clear()
            with self._lock:
                if self._closed:
                    return
            # the lines that arrive meanwhile go out with the first one (``line`` does not set the event
            # again until the queue has been emptied)
            time.sleep(self._every)
            self.flush()


__all__ = ["EVERY", "BatchedLines"]
