"""Fixtures: the in-process emulator behind the real provider code path."""

from __future__ import annotations

import pytest

from planner.providers.alicloud import AlicloudProvider
from planner.providers.retry import RetryPolicy
from planner.providers.transport import InProcessTransport
from planner.schema import get_schema


def _emulator_cls():
    try:
        from planner.emulator import Emulator
    except ImportError:  # the emulator package exports it once its actions are registered
        from planner.emulator.core import Emulator
    return Emulator


@pytest.fixture
def emulator():
    emu = _emulator_cls()()
    yield emu
    emu.close()


@pytest.fixture
def transport(emulator):
    return InProcessTransport(emulator)


def _check_keys(type_name: str, attrs: dict | None) -> None:
    """What a handler returns uses only the resource type's schema names (plus ``id``), so the
    diff never sees an attribute the configuration cannot have."""
    if attrs is None:
        return
    schema = get_schema(type_name)
    assert schema is not None, f"no schema for {type_name}"
    allowed = set(schema.attributes) | set(schema.blocks) | {"id"}
    extra = sorted(set(attrs) - allowed)
    assert not extra, f"{type_name} returned attributes its schema does not have: {extra}"


class _CheckedHandler:
    def __init__(self, inner):
        self._inner = inner

    def __getattr__(self, name):
        fn = getattr(self._inner, name)
        t = self._inner.type_name
        if name in ("create", "update", "import_", "read_one", "must_read"):
            def wrapped(*a, **kw):
                out = fn(*a, **kw)
                _check_keys(t, out)
                return out
            return wrapped
        if name in ("read_many", "create_many"):
            def wrapped_many(*a, **kw):
                out = fn(*a, **kw)
                for x in out:
                    _check_keys(t, x)
                return out
            return wrapped_many
        return fn


class CheckedProvider(AlicloudProvider):
    def handler(self, type_name):
        return _CheckedHandler(super().handler(type_name))


@pytest.fixture
def provider(transport):
    return CheckedProvider(transport, retry=RetryPolicy(base_delay=0.001, max_delay=0.01, seed=1),
                           poll_interval=0.001, poll_timeout=5.0)


@pytest.fixture
def ctx(provider):
    return provider.context()
