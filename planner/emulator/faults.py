"""Fault injection for the emulated cloud: busy windows, throttling, transient errors, lost responses.

The real CLB API applies changes asynchronously, one at a time per instance, and refuses a second
write that arrives while the first is still being pushed (reference clb-api.md 8.1). The gateway also
throttles and sometimes fails with 503, and a network can lose a response after the write committed.
The planner's retry and reconciliation logic can only be trusted if it is tested against all of these,
so the emulator's dispatcher calls the hooks of :class:`FaultInjector` around every action:

* ``delay()`` first, outside the emulator's lock (injected latency: parallel calls overlap);
* ``before_call(action, load_balancer_id, is_write)`` before the action runs (may raise ``CloudError``);
* ``after_commit(action, load_balancer_id, is_write)`` after a successful write committed (may raise
  ``ResponseLost``).

Everything is off by default so ordinary tests are deterministic. All randomness comes from one
``random.Random(seed)`` so a failing run replays with the same seed.
"""

from __future__ import annotations

import dataclasses
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from planner.emulator.errors import CloudError, ResponseLost

__all__ = [
    "FaultConfig",
    "FaultInjector",
    "BUSY_ERRORS",
    "busy_error_for",
    "throttling_error",
    "transient_error",
]


# Short spec keys accepted by FaultConfig.from_spec (the CLI's --faults), beside the field names.
_SPEC_ALIASES: dict[str, str] = {
    "busy": "busy_window",
    "start_delay": "listener_start_delay",
    "throttle": "throttle_rate",
    "transient": "transient_rate",
    "lost": "lost_response_rate",
    "latency": "latency",
    "seed": "seed",
    "retry_after": "retry_after",
    "reads": "fault_reads",
}
_RATE_FIELDS = ("throttle_rate", "transient_rate", "lost_response_rate")
_DURATION_FIELDS = ("busy_window", "listener_start_delay", "latency")


@dataclass(frozen=True)
class FaultConfig:
    """What the emulator should get wrong, and how often. All off by default.

    busy_window: seconds an LB stays "configuring" after a successful write; writes to it meanwhile
        are refused with a real busy code (``ServiceIsConfiguring`` and friends).
    listener_start_delay: seconds a started listener stays ``starting`` (consumed by the core).
    throttle_rate / transient_rate: probability per call of ``Throttling.User`` / ``ServiceUnavailable``.
    lost_response_rate: probability per committed write that its response is lost (``ResponseLost``).
    latency: seconds every call sleeps before running (simulates a slow gateway).
    seed: seed of the one random generator, so a fault sequence replays.
    retry_after: value of the ``x-acs-retry-after`` header sent with throttling, verbatim. The official
        SDK reads it as MILLISECONDS (``ThrottlingException.retry_after``); the default 1 therefore
        means "retry at once". Use e.g. ``retry_after=1500`` for a 1.5 s back-off hint.
    fault_reads: when False (default) throttling and transient errors only hit writes, so refresh and
        shadow verification stay quiet unless a test asks for read faults too.
    """

    busy_window: float = 0.0
    listener_start_delay: float = 0.0
    throttle_rate: float = 0.0
    transient_rate: float = 0.0
    lost_response_rate: float = 0.0
    latency: float = 0.0
    seed: int = 0
    retry_after: int = 1
    fault_reads: bool = False

    def __post_init__(self) -> None:
        for name in _RATE_FIELDS:
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"fault {name} must be a probability between 0 and 1, got {value}")
        for name in _DURATION_FIELDS:
            value = getattr(self, name)
            if value < 0:
                raise ValueError(f"fault {name} must be a duration >= 0 seconds, got {value}")
        if self.retry_after < 0:
            raise ValueError(f"fault retry_after must be >= 0, got {self.retry_after}")

    @property
    def enabled(self) -> bool:
        """True when any fault can fire (the dispatcher may skip the hooks otherwise)."""
        return any(getattr(self, n) > 0 for n in _RATE_FIELDS + _DURATION_FIELDS)

    @classmethod
    def from_spec(cls, text: str | None) -> FaultConfig:
        """Parse a CLI spec such as ``busy=0.2,transient=0.1,throttle=0.05,lost=0.02,seed=7``.

        Keys are the short aliases (busy, start_delay, throttle, transient, lost, latency, seed,
        retry_after, reads) or the field names. An empty spec means no faults. Raises ValueError with a
        message naming the bad item and the accepted keys.
        """
        if text is None or not text.strip():
            return cls()
        fields = {f.name: f for f in dataclasses.fields(cls)}
        values: dict[str, object] = {}
        for raw in text.split(","):
            item = raw.strip()
            if not item:
                continue
            key, sep, value = item.partition("=")
            key = key.strip().lower()
            value = value.strip()
            name = _SPEC_ALIASES.get(key, key)
            if not sep or name not in fields:
                accepted = ", ".join(sorted(_SPEC_ALIASES))
                raise ValueError(f"bad fault spec item {item!r}: expected KEY=VALUE with KEY one of {accepted}")
            if name in values:
                raise ValueError(f"fault spec sets {key!r} twice")
            try:
                if name == "fault_reads":
                    lowered = value.lower()
                    if lowered not in ("1", "0", "true", "false", "yes", "no", "on", "off"):
                        raise ValueError
                    values[name] = lowered in ("1", "true", "yes", "on")
                elif name in ("seed", "retry_after"):
                    values[name] = int(value)
                else:
                    values[name] = float(value)
            except ValueError:
                raise ValueError(f"bad value {value!r} for fault {key!r}") from None
        return cls(**values)  # type: ignore[arg-type]

    def to_spec(self) -> str:
        """The inverse of from_spec, listing only non-default settings (for banners and logs)."""
        default = FaultConfig()
        reverse = {v: k for k, v in _SPEC_ALIASES.items()}
        parts = []
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if value != getattr(default, f.name):
                if isinstance(value, bool):
                    value = int(value)
                parts.append(f"{reverse.get(f.name, f.name)}={value}")
        return ",".join(parts)


# --- the real errors we inject (reference clb-api.md 8.1 and the gateway codes of 2.1) -------------

#: code -> (HTTP status, verbatim message) of the busy codes the emulator uses.
BUSY_ERRORS: dict[str, tuple[int, str]] = {
    "ServiceIsConfiguring": (400, "A previous configuration is pending; please try again later."),
    "BackendServer.configuring": (
        409, "A previous configuration of the load balancer is pending; please try again later."),
    "VServerGroupProcessing": (
        400, "A previous configuration of the VServer group is pending; please try again later."),
    "OperationFailed.ListenerStatusNotSupport": (
        400, "The status of the listener does not support this operation. Please try again later."),
    "Operation.Deny": (400, "The specified listener is configuring, please try again later."),
    "OperationBusy": (400, "The operation is busy."),
}

# Which busy code a write gets while its LB is configuring (reference 8.1 "typical trigger", 8.3).
_BUSY_BY_ACTION: dict[str, str] = {
    "SetBackendServers": "BackendServer.configuring",
    "RemoveBackendServers": "BackendServer.configuring",
    "SetRule": "BackendServer.configuring",
    "AddVServerGroupBackendServers": "VServerGroupProcessing",
    "RemoveVServerGroupBackendServers": "VServerGroupProcessing",
    "ModifyVServerGroupBackendServers": "VServerGroupProcessing",
    "SetVServerGroupAttribute": "VServerGroupProcessing",
    "DeleteRules": "OperationFailed.ListenerStatusNotSupport",
    "SetLoadBalancerTCPListenerAttribute": "OperationFailed.ListenerStatusNotSupport",
    "SetLoadBalancerUDPListenerAttribute": "OperationFailed.ListenerStatusNotSupport",
    "SetLoadBalancerHTTPListenerAttribute": "OperationFailed.ListenerStatusNotSupport",
    "SetLoadBalancerHTTPSListenerAttribute": "OperationFailed.ListenerStatusNotSupport",
    "DeleteLoadBalancerListener": "OperationBusy",
}


def busy_error_for(action: str) -> CloudError:
    """The real busy error an ``action`` gets while its load balancer is still configuring.

    Everything not listed (LB-level writes, listener create/start/stop, AddBackendServers, CreateRules,
    group create/delete) gets ``ServiceIsConfiguring``, the code the provider retries most widely.
    """
    code = _BUSY_BY_ACTION.get(action, "ServiceIsConfiguring")
    status, message = BUSY_ERRORS[code]
    return CloudError(code, message, status)


def throttling_error(retry_after: int = 1) -> CloudError:
    """Gateway flow control: 400 ``Throttling.User`` with the header that makes the SDK raise
    ``ThrottlingException``."""
    return CloudError("Throttling.User", "Request was denied due to user flow control.", 400,
                      headers={"x-acs-retry-after": str(retry_after)})


def transient_error() -> CloudError:
    """A temporary gateway failure (503), retried by the provider's NeedRetry."""
    return CloudError("ServiceUnavailable", "The request has failed due to a temporary failure of the server.",
                      503)


class FaultInjector:
    """Decides, per call, which fault fires. Thread-safe; one instance per emulator.

    Busy windows are kept per load balancer. A write that passes ``before_call`` *reserves* its LB at
    once (the window opens at arrival), so two concurrent writes to one LB cannot both pass even if the
    dispatcher runs the hooks outside its own lock; ``after_commit`` re-opens the window from the commit
    time. If the write then fails, the dispatcher should call ``after_failure`` to drop the reservation
    (if it does not, the LB merely stays busy for one window, as a real LB would after any attempt).
    """

    def __init__(self, config: FaultConfig | None = None, clock: Callable[[], float] = time.time):
        self.config = config or FaultConfig()
        self.clock = clock
        self._rng = random.Random(self.config.seed)
        self._lock = threading.Lock()
        # LB id -> (time the busy window closes, thread id of the write holding it, provisional):
        # provisional means reserved by before_call and not yet confirmed by after_commit.
        self._busy_until: dict[str, tuple[float, int, bool]] = {}
        #: every fault that fired, in order: (action, code or "ResponseLost"); for tests and logs.
        self.history: list[tuple[str, str]] = []

    def reset(self) -> None:
        """Forget busy windows and restart the random sequence from the seed (Emulator.reset)."""
        with self._lock:
            self._rng = random.Random(self.config.seed)
            self._busy_until.clear()
            self.history.clear()

    def is_busy(self, load_balancer_id: str) -> bool:
        """Whether writes to this LB would currently be refused as busy."""
        with self._lock:
            entry = self._busy_until.get(load_balancer_id)
            return entry is not None and self.clock() < entry[0]

    # before_call/after_commit/after_failure look at the load balancer of writes only, so the
    # dispatcher need not work out a read's (another injector, without this attribute, is told it)
    reads_need_target = False

    def delay(self) -> None:
        """Sleep the injected latency; the caller holds no lock, so parallel calls overlap as on a real gateway."""
        if self.config.latency > 0:
            time.sleep(self.config.latency)

    def before_call(self, action: str, load_balancer_id: str | None, is_write: bool) -> None:
        """Run before an action (after `delay`): maybe throttle, fail transiently or refuse as busy."""
        cfg = self.config
        if not is_write and not cfg.fault_reads:
            return  # nothing here applies to a read (the refresh of 10,000 load balancers makes 40,000)
        error: CloudError | None = None
        with self._lock:
            if is_write or cfg.fault_reads:
                if cfg.throttle_rate > 0 and self._rng.random() < cfg.throttle_rate:
                    error = throttling_error(cfg.retry_after)
                elif cfg.transient_rate > 0 and self._rng.random() < cfg.transient_rate:
                    error = transient_error()
            if error is None and is_write and load_balancer_id and cfg.busy_window > 0:
                now = self.clock()
                entry = self._busy_until.get(load_balancer_id)
                if entry is not None and now < entry[0]:
                    error = busy_error_for(action)
                else:
                    self._busy_until[load_balancer_id] = (now + cfg.busy_window, threading.get_ident(), True)
            if error is not None:
                self.history.append((action, error.code))
        if error is not None:
            raise error

    def after_commit(self, action: str, load_balancer_id: str | None, is_write: bool) -> None:
        """Run after a write committed: open the LB's busy window, maybe lose the response."""
        if not is_write:
            return
        cfg = self.config
        lost = False
        with self._lock:
            if load_balancer_id and cfg.busy_window > 0:
                self._busy_until[load_balancer_id] = (self.clock() + cfg.busy_window, threading.get_ident(), False)
            if cfg.lost_response_rate > 0 and self._rng.random() < cfg.lost_response_rate:
                lost = True
                self.history.append((action, "ResponseLost"))
        if lost:
            raise ResponseLost(f"{action}: the write committed but its response was lost")

    def after_failure(self, action: str, load_balancer_id: str | None, is_write: bool) -> None:
        """Optional hook: a write that passed ``before_call`` was rejected; release its reservation."""
        if not is_write or not load_balancer_id:
            return
        with self._lock:
            entry = self._busy_until.get(load_balancer_id)
            if entry is not None and entry[2] and entry[1] == threading.get_ident():
                del self._busy_until[load_balancer_id]
