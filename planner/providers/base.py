"""The provider seam: per-resource-type handlers that turn planned attributes into API calls.

A handler knows one Terraform resource type (``alicloud_slb_listener``...) and the CLB/VPC/ECS
actions behind it. Every call goes through a :class:`CallContext`, which

- retries the cloud's "try again later" answers (busy codes, throttling, 5xx) with backoff;
- reconciles a lost response (``TransportError``): re-issues the call (creates carry a
  deterministic ``ClientToken``, so the cloud answers with the first result) or reads back;
- gives the executor hooks around every mutating call, for journaling and progress;
- hands out deterministic ``ClientToken`` values per step, so a re-run after a crash re-issues
  exactly the same creates and nothing is created twice.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar, runtime_checkable

from planner.logs import log_call
from planner.providers.errors import ApiError, TransportError
from planner.providers.retry import RetryPolicy
from planner.providers.transport import Transport

# a lagging-cloud code (``also_retry``) is retried only briefly: if it persists it is real
ALSO_RETRY_ATTEMPTS = 5

K = TypeVar("K")
V = TypeVar("V")


class ProviderError(Exception):
    """A provider-side failure that is not a single API error (timeout waiting for a state,
    an object the cloud should have but does not, an unsupported request)."""


class NotFoundError(ProviderError):
    """The object an update/import targets does not exist in the cloud."""


class PartialCreateError(ProviderError):
    """A multi-step create made the object but a later step failed.

    ``attributes`` is what exists now (with its ``id``), so the executor records the object in
    state instead of forgetting it; the next plan shows what is still missing.
    """

    def __init__(self, attributes: dict, cause: Exception):
        self.attributes = attributes
        self.cause = cause
        super().__init__(f"{attributes.get('id')}: created, but a follow-up step failed: {cause}")


@dataclass
class CallContext:
    """Everything a handler needs to talk to the cloud for one operation."""

    transport: Transport
    region: str = "cn-hangzhou"
    token_fn: Callable[[str], str] | None = None
    before_call: Callable[[str, dict], None] | None = None
    after_call: Callable[[str, dict], None] | None = None
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    poll_interval: float = 0.02
    poll_timeout: float = 60.0
    on_retry: Callable[[str, Exception, int], None] | None = None
    # set by crash recovery: an "already exists" answer to a re-issued create means our own
    # earlier attempt took effect, so the handler adopts the object instead of failing
    adopt_existing: bool = False
    # a bulk refresh reads up to this many things at once (one call each), as Terraform's
    # -parallelism bounds its reads; a write context keeps 1, the executor parallelises writes
    read_parallelism: int = 1
    # shared by every read of one refresh, so nested fan-outs (types, then items) never exceed the bound
    limiter: threading.BoundedSemaphore | None = None

    def read_each(self, fn: Callable[[K], V], keys: Iterable[K]) -> dict[K, V]:
        """One read per distinct key, up to ``read_parallelism`` at a time; results by key.

        The reads of a refresh are independent, so against a real endpoint (20 ms or more per call)
        doing them one after the other is what made a 10,000 load balancer refresh take minutes."""
        distinct = list(dict.fromkeys(keys))
        if self.read_parallelism <= 1 or len(distinct) <= 1:
            return {k: fn(k) for k in distinct}
        with ThreadPoolExecutor(max_workers=min(self.read_parallelism, len(distinct))) as pool:
            return dict(zip(distinct, pool.map(fn, distinct), strict=True))

    def token(self, step: str) -> str:
        """A ClientToken for one step of this operation: deterministic when the executor gave a
        token function (so a re-run after a crash re-issues the same create), fresh per call
        otherwise. Either way a lost-response retry inside one call reuses the same token."""
        if self.token_fn is not None:
            return self.token_fn(step)
        return uuid.uuid4().hex

    # -- calls ---------------------------------------------------------------------------------

    def read(self, product: str, action: str, params: Mapping[str, Any]) -> dict:
        """A describe call: retried on busy/throttling, re-issued after a lost response."""
        return self._call(product, action, params, write=False, already_done=(), reconcile=None,
                          also_retry=())

    def write(self, product: str, action: str, params: Mapping[str, Any], *,
              already_done: Iterable[str] = (),
              reconcile: Callable[[], dict | None] | None = None,
              also_retry: Iterable[str] = ()) -> dict:
        """A mutating call.

        After a lost response the call is reconciled: ``reconcile()`` (a read-back) may return the
        response-equivalent when the first attempt took effect; otherwise the call is re-issued
        with the same parameters (hence the same ClientToken). If the re-issued call fails with a
        code in ``already_done`` ("already exists", "not found" for a delete), the first attempt
        took effect and the call counts as done.

        ``also_retry`` adds codes retryable for this call only, e.g. ``RspoolVipExist`` on a group
        delete right after its listener's (the cloud lags; reference 9.3).
        """
        return self._call(product, action, params, write=True, already_done=tuple(already_done),
                          reconcile=reconcile, also_retry=tuple(also_retry))

    def _call(self, product: str, action: str, params: Mapping[str, Any], *, write: bool,
              already_done: tuple[str, ...], reconcile: Callable[[], dict | None] | None,
              also_retry: tuple[str, ...]) -> dict:
        p = {k: v for k, v in params.items() if v is not None}
        p.setdefault("RegionId", self.region)
        attempt = 0
        lost = False
        slept = 0.0
        while True:
            attempt += 1
            if write and self.before_call is not None:
                self.before_call(action, p)
            try:
                started = time.monotonic()
                try:
                    if self.limiter is None:
                        resp = self.transport.call(product, action, p)
                    else:
                        with self.limiter:
                            resp = self.transport.call(product, action, p)
                except (ApiError, TransportError) as e:
                    log_call(product, action, p, attempt, started, e)
                    raise
                log_call(product, action, p, attempt, started)
            except ApiError as e:
                if (lost or self.adopt_existing) and e.code in already_done:
                    resp = {"_reconciled": True}
                elif self._should_retry(e, attempt, slept, also_retry):
                    d = self.retry.delay(attempt, e)
                    if self.on_retry is not None:
                        self.on_retry(action, e, attempt)
                    self.sleep(d)
                    slept += d
                    continue
                else:
                    raise
            except TransportError as e:
                lost = True
                if attempt >= self.retry.max_attempts:
                    raise
                if self.on_retry is not None:
                    self.on_retry(action, e, attempt)
                if write and reconcile is not None:
                    got = reconcile()
                    if got is not None:
                        resp = got
                        if self.after_call is not None:
                            self.after_call(action, resp)
                        return resp
                continue
            if write and self.after_call is not None:
                self.after_call(action, resp)
            return resp

    def _should_retry(self, e: ApiError, attempt: int, slept: float, also_retry: tuple[str, ...]) -> bool:
        if slept >= self.retry.deadline:
            return False
        if self.retry.retryable(e):
            return attempt < self.retry.max_attempts
        return e.code in also_retry and attempt < min(self.retry.max_attempts, ALSO_RETRY_ATTEMPTS)

    def wait_for(self, what: str, probe: Callable[[], Any], done: Callable[[Any], bool]) -> Any:
        """Poll ``probe`` until ``done(result)``; the cloud's asynchronous transitions (listener
        starting -> running) need this. Raises ProviderError naming ``what`` on timeout."""
        start = self.clock()
        interval = self.poll_interval
        while True:
            got = probe()
            if done(got):
                return got
            if self.clock() - start > self.poll_timeout:
                raise ProviderError(f"timed out after {self.poll_timeout:.0f}s waiting for {what}")
            self.sleep(interval)
            interval = min(interval * 1.5, 1.0)


@runtime_checkable
class ResourceHandler(Protocol):
    """One resource type's lifecycle against the cloud. Attribute dicts always carry ``id``."""

    type_name: str

    def create(self, planned: dict, ctx: CallContext) -> dict: ...

    def update(self, prior: dict, planned: dict, ctx: CallContext) -> dict: ...

    def delete(self, prior: dict, ctx: CallContext) -> None: ...

    def read_many(self, priors: list[dict], ctx: CallContext) -> list[dict | None]: ...

    def import_(self, id: str, ctx: CallContext) -> dict: ...

    def load_balancer_id(self, attrs: dict) -> str | None: ...


class BaseHandler:
    """Shared behaviour: import reads by id; read one = read_many of one."""

    type_name: str = ""
    # attributes only the configuration knows (the API cannot report them): kept from prior
    config_only: tuple[str, ...] = ()

    def create(self, planned: dict, ctx: CallContext) -> dict:  # pragma: no cover - abstract
        raise NotImplementedError

    def update(self, prior: dict, planned: dict, ctx: CallContext) -> dict:  # pragma: no cover
        raise NotImplementedError

    def delete(self, prior: dict, ctx: CallContext) -> None:  # pragma: no cover
        raise NotImplementedError

    def read_many(self, priors: list[dict], ctx: CallContext) -> list[dict | None]:  # pragma: no cover
        raise NotImplementedError

    def read_one(self, prior: dict, ctx: CallContext) -> dict | None:
        return self.read_many([prior], ctx)[0]

    def must_read(self, prior: dict, ctx: CallContext) -> dict:
        got = self.read_one(prior, ctx)
        if got is None:
            raise NotFoundError(f"{self.type_name} {prior.get('id')!r} does not exist in the cloud")
        return got

    def import_(self, id: str, ctx: CallContext) -> dict:
        """Read an existing object by id. The schema defaults seed the read: what the API does not
        report for this object (``gzip`` of a TCP listener) then equals what a configuration
        gets by default, so the first plan after an import shows no spurious changes."""
        return self.must_read({**schema_defaults(self.type_name), **self.prior_from_id(id)}, ctx)

    def prior_from_id(self, id: str) -> dict:
        """The minimal prior an import reads from: just the id (types with composite ids
        override this to split it)."""
        return {"id": id}

    def load_balancer_id(self, attrs: dict) -> str | None:
        v = attrs.get("load_balancer_id")
        return v if isinstance(v, str) and v else None

    def carry(self, prior: dict, fresh: dict) -> dict:
        """Keep configuration-only attributes from ``prior`` over a fresh read."""
        for k in self.config_only:
            if k in prior and k not in fresh:
                fresh[k] = prior[k]
        return fresh


def schema_defaults(type_name: str) -> dict[str, Any]:
    """Top-level attribute defaults of a type's schema (empty when the schema is unknown)."""
    from planner.schema import get_schema

    schema = get_schema(type_name)
    if schema is None:
        return {}
    return {n: a.default for n, a in schema.attributes.items() if a.default is not None and not a.alias_of}


_REGISTRY: dict[str, type] = {}


def register(*type_names: str) -> Callable[[type], type]:
    """Class decorator: the handler class serves these resource types (aliases included)."""

    def deco(cls: type) -> type:
        for t in type_names:
            _REGISTRY[t] = cls
        if not getattr(cls, "type_name", ""):
            cls.type_name = type_names[0]
        return cls

    return deco


def handler_class(type_name: str) -> type | None:
    return _REGISTRY.get(type_name)


def registered_types() -> list[str]:
    return sorted(_REGISTRY)
