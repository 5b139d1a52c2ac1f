"""The transport seam: ``call(product, action, params) -> dict`` raising ``ApiError``.

Everything the planner knows about the cloud goes through one of these; the in-process one
calls the emulator's dispatcher directly, the HTTP one (the official OpenAPI client) goes over
the wire. Both count calls so benchmarks and tests can assert API-call budgets.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Mapping
from typing import Any, Protocol

from planner.emulator.errors import CloudError, ResponseLost
from planner.providers.errors import ApiError, TransportError


class Transport(Protocol):
    def call(self, product: str, action: str, params: Mapping[str, Any]) -> dict: ...


class InProcessTransport:
    """Calls an ``planner.emulator.Emulator`` in this process.

    ``client_tokens=False`` sends no ``ClientToken``: the plan's rehearsal on a shadow cloud, where no call
    is retried or recovered and each run's tokens are new, so the cloud's answer cannot depend on one, and
    hashing, looking up and storing one per create was about a sixth of the rehearsal (2,000 and 10,000
    load balancers)."""

    def __init__(self, emulator: Any, region: str = "cn-hangzhou", *, client_tokens: bool = True):
        self.emulator = emulator
        self.region = region
        self.client_tokens = client_tokens
        self.calls: Counter[str] = Counter()
        self._lock = threading.Lock()

    def call(self, product: str, action: str, params: Mapping[str, Any]) -> dict:
        p = dict(params)
        p.setdefault("RegionId", self.region)
        if not self.client_tokens:
            p.pop("ClientToken", None)
        with self._lock:
            self.calls[action] += 1
        try:
            return self.emulator.call(product, action, p)
        except CloudError as e:
            raise ApiError(e.code, e.message, e.http_status, e.request_id,
                           retry_after_seconds(e.headers.get("x-acs-retry-after"))) from None
        except ResponseLost as e:
            raise TransportError(f"{action}: connection lost before the response arrived") from e

    @property
    def total_calls(self) -> int:
        return sum(self.calls.values())

    @property
    def calls_overlap(self) -> bool:
        """Whether calls made side by side take less time than one after the other. The emulator runs
        every call under its one lock on this process's CPU; only its injected latency is slept outside
        the lock. Without latency, reads fanned out over threads only add thread switches (a third more
        CPU for a 1,000 load balancer refresh) and finish no sooner."""
        if not getattr(self.emulator, "thread_safe", False):
            return True  # not the emulator (a test's stand-in): nothing known about its calls
        faults = getattr(self.emulator, "faults", None)
        return bool(getattr(faults, "latency", 0) or 0)


def calls_overlap(transport: Any) -> bool:
    """``transport.calls_overlap`` when it says; True for any other (a network endpoint: each call waits
    for its round trip, and reads side by side overlap those waits)."""
    return bool(getattr(transport, "calls_overlap", True))


def retry_after_seconds(header: str | None) -> float | None:
    """``x-acs-retry-after`` is in milliseconds (the official SDK sleeps ``value / 1000`` s)."""
    try:
        ms = int(header) if header else 0
    except ValueError:
        return None
    return ms / 1000.0 if ms > 0 else None
