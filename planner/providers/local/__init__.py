"""Local providers: the utility providers (``random``, ``null``, ``time``, ``tls``, ``local``) and the
built-in ``terraform_data``, run on this machine behind the same handler interface as alicloud.

Their handlers never touch a transport, so they make no API calls. ``LocalProvider(dry_run=True)``
is the copy plan verification uses: values are computed (a certificate is really signed, so the
alicloud steps after it are checked with a real PEM) but nothing waits and no file is written.
Which types exist is said once, in ``planner.schema.utility.UTILITY_PROVIDERS``.
"""

from __future__ import annotations

import importlib
import os
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from planner.addresses import ResourceAddress
from planner.providers.base import BaseHandler, CallContext, ProviderError
from planner.schema.utility import is_utility_type
from planner.state.model import ResourceState
from planner.workdir import base_dir, resolve

_LOCAL: dict[str, type] = {}
# modules whose handlers register when a type of theirs is first asked for: the tls provider's needs
# cryptography, 80 ms of every command's start, which a configuration without tls_* resources never uses
_ON_DEMAND = (("tls_", "tls"),)


def _handler_class(type_name: str) -> type | None:
    cls = _LOCAL.get(type_name)
    if cls is None:
        for prefix, module in _ON_DEMAND:
            if type_name.startswith(prefix):
                importlib.import_module(f"{__name__}.{module}")
                return _LOCAL.get(type_name)
    return cls


def register_local(*type_names: str) -> Callable[[type], type]:
    """Class decorator: this local handler serves these resource types."""

    def deco(cls: type) -> type:
        for t in type_names:
            _LOCAL[t] = cls
        if not getattr(cls, "type_name", ""):
            cls.type_name = type_names[0]
        return cls

    return deco


class LocalEnv:
    """What local handlers need from the outside world: a clock, a way to wait, whether to act."""

    def __init__(self, *, dry_run: bool = False, sleep: Callable[[float], None] = time.sleep,
                 now: Callable[[], datetime] | None = None, base: str | None = None):
        self.dry_run = dry_run
        self.sleep = sleep
        self._now = now
        self.base = base

    def now(self) -> datetime:
        return self._now() if self._now is not None else datetime.now(UTC)

    def path(self, name: str) -> Path:
        return resolve(name, self.base)


class LocalHandler(BaseHandler):
    """A resource that lives only in state: read gives back what state holds (no drift), update
    keeps the id and takes the planned values, delete forgets."""

    env: LocalEnv

    def create(self, planned: dict, ctx: CallContext) -> dict:  # pragma: no cover - abstract
        raise NotImplementedError

    def update(self, prior: dict, planned: dict, ctx: CallContext) -> dict:
        return {**prior, **planned, "id": prior["id"]}

    def delete(self, prior: dict, ctx: CallContext) -> None:
        return None

    def read_many(self, priors: list[dict], ctx: CallContext) -> list[dict | None]:
        return [self.read(dict(p)) for p in priors]

    def read(self, prior: dict) -> dict | None:
        return prior

    def import_(self, id: str, ctx: CallContext) -> dict:
        return {"id": id}

    def load_balancer_id(self, attrs: dict) -> str | None:
        return None


class LocalProvider:
    """Handlers for the local types; the same surface as ``AlicloudProvider``."""

    name = "local"
    calls = 0  # nothing here is an API call

    def __init__(self, env: LocalEnv | None = None):
        self.env = env or LocalEnv()
        self._handlers: dict[str, LocalHandler] = {}

    @staticmethod
    def types() -> list[str]:
        for _prefix, module in _ON_DEMAND:
            importlib.import_module(f"{__name__}.{module}")
        return sorted(_LOCAL)

    @staticmethod
    def supports(type_name: str) -> bool:
        return _handler_class(type_name) is not None

    def handler(self, type_name: str) -> LocalHandler:
        h = self._handlers.get(type_name)
        if h is None:
            cls = _handler_class(type_name)
            if cls is None:
                raise ProviderError(f"no local provider serves resource type {type_name!r}")
            h = cls()
            h.type_name = type_name
            h.env = self.env
            self._handlers[type_name] = h
        return h

    def refresh(self, resources: list[ResourceState], ctx: CallContext | None = None) -> dict[ResourceAddress, dict | None]:
        out: dict[ResourceAddress, dict | None] = {}
        for r in resources:
            out[r.address] = self.handler(r.type).read(dict(r.attributes, id=r.id))
        return out

    def import_(self, type_name: str, id: str) -> dict:
        return self.handler(type_name).import_(id, None)  # type: ignore[arg-type]


class Providers:
    """The providers of one run: local types go to the local provider, everything else to the
    cloud provider (alicloud). Only the cloud provider's calls are counted as API calls."""

    def __init__(self, cloud: Any, local: LocalProvider | None = None):
        self.cloud = cloud
        self.local = local or LocalProvider()

    def __getattr__(self, name: str) -> Any:
        # transport, region, retry, sleep...: the cloud provider's
        return getattr(self.cloud, name)

    @property
    def calls(self) -> int:
        return self.cloud.calls

    def _for(self, type_name: str) -> Any:
        return self.local if self.local.supports(type_name) else self.cloud

    def supports(self, type_name: str) -> bool:
        return self._for(type_name).supports(type_name)

    def types(self) -> list[str]:
        return sorted(set(self.cloud.types()) | set(self.local.types()))

    def handler(self, type_name: str) -> Any:
        return self._for(type_name).handler(type_name)

    def context(self, **kw: Any) -> CallContext:
        return self.cloud.context(**kw)

    def refresh(self, resources: list[ResourceState]) -> dict[ResourceAddress, dict | None]:
        local = [r for r in resources if self.local.supports(r.type)]
        cloud = [r for r in resources if not self.local.supports(r.type)]
        out = self.cloud.refresh(cloud) if cloud else {}
        out.update(self.local.refresh(local))
        return out

    def import_(self, type_name: str, id: str) -> dict:
        return self._for(type_name).import_(type_name, id)


def with_local(cloud: Any, *, dry_run: bool = False, base: str | os.PathLike | None = None) -> Providers:
    """``cloud`` plus the local providers (``dry_run`` for plan verification)."""
    return Providers(cloud, LocalProvider(LocalEnv(dry_run=dry_run, base=str(base) if base else None)))


# importing the modules registers their handlers
from . import builtin, files, randoms, times  # noqa: E402,F401

__all__ = ["LocalEnv", "LocalHandler", "LocalProvider", "Providers", "base_dir", "is_utility_type",
           "register_local", "resolve", "with_local"]
