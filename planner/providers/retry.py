"""Which cloud errors are worth retrying, and how long to wait between attempts.

CLB applies changes asynchronously, one at a time per instance; a write that overlaps a previous
one fails fast with a retryable code (reference 8.1 / 9.5) instead of queueing. The gateway also
throttles and has transient 5xx failures. Retrying exactly these, with exponential backoff and
jitter (honouring ``x-acs-retry-after``), is what makes an apply converge.
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass, field

from planner.providers.errors import ApiError

# Busy / concurrency codes of reference 8.1 and 9.5, and gateway-level transient codes of 2.1/4.0.
RETRYABLE_CODES: frozenset[str] = frozenset({
    "ServiceIsConfiguring",
    "BackendServer.configuring",
    "VServerGroupProcessing",
    "OperationFailed.ServiceGroupProcessing",
    "OperationBusy",
    "SystemBusy",
    "ServiceIsStopping",
    "ListenerProcessing",
    "OperationFailed.ListenerStatusNotSupport",
    "Operation.Deny",
    "BackendServerProcessing",
    "AclEntryProcessing",
    "ResourceInConfiguring.Acl",
    "OperationFailed.TokenIsProcessing",
    "ProcessingSameRequest",
    "InvalidOperation.ConcurrentModification",
    "TLSPolicyConfiguring",
    "ServiceUnavailable",
    "InternalError",
    "InternalInvokeError",
    "LocationServiceTimeout",
    "VpcSystemBusy",
    "Rejected.Throttling",
    "Throttling",
    "Throttling.User",
    "Throttling.Api",
})


def is_retryable(err: ApiError) -> bool:
    """True for the cloud's "try again later" answers: busy codes, throttling, and any 5xx."""
    if err.code in RETRYABLE_CODES or "Throttling" in err.code:
        return True
    return err.http_status >= 500


@dataclass
class RetryPolicy:
    """Exponential backoff with jitter for retryable API errors.

    ``max_attempts`` bounds the calls for one logical request (first try included); ``deadline``
    bounds the total sleeping time so a stuck instance fails the operation instead of hanging.
    """

    max_attempts: int = 12
    base_delay: float = 0.02
    max_delay: float = 1.0
    multiplier: float = 2.0
    jitter: float = 0.5  # fraction of the delay added at random, 0..jitter
    deadline: float = 60.0
    # the gateway's x-acs-retry-after is honoured up to this many seconds (its unit is not
    # documented; a huge value must not stall an apply)
    max_retry_after: float = 10.0
    seed: int | None = None
    _rng: random.Random = field(default=None, init=False, repr=False)  # type: ignore[assignment]
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)

    def retryable(self, err: ApiError) -> bool:
        return is_retryable(err)

    def delay(self, attempt: int, err: ApiError | None = None) -> float:
        """Seconds to wait before attempt ``attempt + 1`` (attempt counts from 1)."""
        base = min(self.max_delay, self.base_delay * (self.multiplier ** max(0, attempt - 1)))
        with self._lock:
            d = base * (1.0 + self._rng.random() * self.jitter)
        if err is not None and err.retry_after:
            # the gateway told us how long to back off; never go below it
            d = max(d, min(float(err.retry_after), self.max_retry_after))
        return d


NO_RETRY = RetryPolicy(max_attempts=1)
