"""Waiting on a pseudo-terminal's output without ``select()``'s limit.

``select.select`` refuses a descriptor numbered 1,024 or more ("filedescriptor out of range"), and a
test worker that has run a thousand tests may hand out such numbers; ``poll`` has no such limit.
"""

from __future__ import annotations

import select


def readable(fd: int, timeout: float) -> bool:
    """Whether ``fd`` has output (or was closed by the other side) within ``timeout`` seconds."""
    poller = select.poll()
    poller.register(fd, select.POLLIN | select.POLLPRI | select.POLLHUP | select.POLLERR)
    return bool(poller.poll(max(0, int(timeout * 1000))))
