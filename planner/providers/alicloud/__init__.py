"""The ``alicloud`` provider: Terraform's alicloud resource types on the CLB/VPC/ECS APIs.

``AlicloudProvider(transport, region)`` is what the planner and the executor talk to: a handler per
resource type (``.handler(type)``), bulk refresh of a whole state (``.refresh(resources)``: one
describe per load balancer or per page, never one per resource where the API allows), and the
number of API calls made so far (``.calls``).
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping
from typing import Any

from planner.addresses import ResourceAddress
from planner.providers.base import (
    CallContext,
    ProviderError,
    ResourceHandler,
    handler_class,
    registered_types,
)
from planner.providers.retry import RetryPolicy
from planner.providers.transport import Transport, calls_overlap
from planner.state.model import ResourceState

# importing the modules registers their handlers
from . import _handlers  # noqa: F401,E402


class CountingTransport:
    """Wraps any transport to count calls per action (the in-process one counts already)."""

    def __init__(self, inner: Transport):
        self.inner = inner
        self.calls: Counter[str] = Counter()
        self._lock = threading.Lock()

    def call(self, product: str, action: str, params: Mapping[str, Any]) -> dict:
        with self._lock:
            self.calls[action] += 1
        return self.inner.call(product, action, params)

    @property
    def total_calls(self) -> int:
        return sum(self.calls.values())

    @property
    def calls_overlap(self) -> bool:
        return calls_overlap(self.inner)


def alias_pairs(type_name: str) -> tuple[tuple[str, str], ...]:
    """(deprecated alias, canonical) attribute pairs of a type's schema."""
    from planner.schema import get_schema

    schema = get_schema(type_name)
    if schema is None:
        return ()
    return tuple((n, a.alias_of) for n, a in schema.attributes.items() if a.alias_of)


def fill_aliases(pairs: tuple[tuple[str, str], ...], attrs: dict | None) -> dict | None:
    """The provider still sets its deprecated alias attributes on read (``name`` of a VPC is its
    ``vpc_name``): a reference to ``alicloud_vpc.main.name`` must see that value, not null."""
    if attrs is None or not pairs:
        return attrs
    for alias, canonical in pairs:
        if canonical in attrs:
            attrs[alias] = attrs[canonical]
    return attrs


class _AliasFilling:
    """A handler whose every result carries the deprecated alias attributes the provider sets."""

    def __init__(self, inner: ResourceHandler, pairs: tuple[tuple[str, str], ...]):
        self._inner = inner
        self._pairs = pairs

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._inner, name)
        if name in ("create", "update", "import_", "read_one", "must_read"):
            return lambda *a, **kw: fill_aliases(self._pairs, attr(*a, **kw))
        if name in ("read_many", "create_many"):
            return lambda *a, **kw: [fill_aliases(self._pairs, x) for x in attr(*a, **kw)]
        return attr


class AlicloudProvider:
    """Resource handlers bound to one transport and region."""

    name = "alicloud"

    def __init__(self, transport: Transport, region: str = "cn-hangzhou", *,
                 retry: RetryPolicy | None = None, sleep: Callable[[float], None] = time.sleep,
                 poll_interval: float = 0.02, poll_timeout: float = 60.0):
        if not hasattr(transport, "total_calls"):
            transport = CountingTransport(transport)
        self.transport = transport
        self.region = region
        self.retry = retry or RetryPolicy()
        self.sleep = sleep
        self.poll_interval = poll_interval
        self.poll_timeout = poll_timeout
        # reads in flight during a refresh (Terraform's default -parallelism)
        self.read_parallelism = 10
        self._handlers: dict[str, ResourceHandler] = {}
        # provider configuration key ("alicloud", "alicloud.sg") -> its region: one cloud, several
        # regions; every call of a resource goes to the region of its provider configuration
        self.key_regions: dict[str, str] = {}

    def region_for(self, provider_key: str | None) -> str:
        """The region of a resource's provider configuration (the default provider's when unknown)."""
        return self.key_regions.get(provider_key or "alicloud", self.region)

    @property
    def calls(self) -> int:
        """API calls made through this provider's transport so far."""
        return int(self.transport.total_calls)  # type: ignore[attr-defined]

    @staticmethod
    def types() -> list[str]:
        return registered_types()

    def supports(self, type_name: str) -> bool:
        return handler_class(type_name) is not None

    def handler(self, type_name: str) -> ResourceHandler:
        h = self._handlers.get(type_name)
        if h is None:
            cls = handler_class(type_name)
            if cls is None:
                raise ProviderError(f"the alicloud provider does not support resource type {type_name!r}")
            h = cls()
            h.type_name = type_name  # aliases keep their own name in messages
            pairs = alias_pairs(type_name)
            if pairs:
                h = _AliasFilling(h, pairs)
            self._handlers[type_name] = h
        return h

    def context(self, *, token_fn: Callable[[str], str] | None = None,
                before_call: Callable[[str, dict], None] | None = None,
                after_call: Callable[[str, dict], None] | None = None,
                retry: RetryPolicy | None = None,
                on_retry: Callable[[str, Exception, int], None] | None = None,
                provider_key: str | None = None) -> CallContext:
        return CallContext(
            transport=self.transport, region=self.region_for(provider_key), token_fn=token_fn,
            before_call=before_call, after_call=after_call, retry=retry or self.retry,
            sleep=self.sleep, poll_interval=self.poll_interval, poll_timeout=self.poll_timeout,
            on_retry=on_retry,
        )

    def refresh(self, resources: list[ResourceState]) -> dict[ResourceAddress, dict | None]:
        """Read every resource back from the cloud, in bulk per region and type (None = gone).

        Region/type groups are read side by side and each group's per-object reads fan out, all
        under one bound of ``read_parallelism`` calls in flight."""
        by_type: dict[tuple[str, str], list[ResourceState]] = {}
        for r in resources:
            by_type.setdefault((self.region_for(r.provider), r.type), []).append(r)
        # side by side only where calls can overlap (see calls_overlap): one at a time otherwise
        parallelism = max(1, self.read_parallelism) if calls_overlap(self.transport) else 1
        limiter = threading.BoundedSemaphore(parallelism) if parallelism > 1 else None
        contexts: dict[str, CallContext] = {}
        for region, type_name in sorted(by_type):
            if region not in contexts:
                ctx = self.context(provider_key=by_type[(region, type_name)][0].provider)
                ctx.read_parallelism, ctx.limiter = parallelism, limiter
                contexts[region] = ctx

        def read_group(key: tuple[str, str]) -> list[dict | None]:
            region, type_name = key
            priors = [dict(r.attributes, id=r.id) for r in by_type[key]]
            return self.handler(type_name).read_many(priors, contexts[region])

        pool = self.context()
        pool.read_parallelism = parallelism
        got = pool.read_each(read_group, sorted(by_type))
        out: dict[ResourceAddress, dict | None] = {}
        for key in sorted(by_type):
            for r, attrs in zip(by_type[key], got[key], strict=True):
                out[r.address] = attrs
        return out

    def import_(self, type_name: str, id: str) -> dict:
        return self.handler(type_name).import_(id, self.context())


__all__ = ["AlicloudProvider", "CountingTransport", "fill_aliases"]
