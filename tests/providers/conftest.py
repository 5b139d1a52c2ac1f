"""Fixtures: the in-process emulator behind the real provider code path."""

from __future__ import annotations

import pytest

from planner.providers.alicloud import AlicloudProvider
from planner.providers.retry import RetryPolicy
from planner.providers.transport import InProcessTransport


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


@pytest.fixture
def provider(transport):
    return AlicloudProvider(transport, retry=RetryPolicy(base_delay=0.001, max_delay=0.01, seed=1),
                            poll_interval=0.001, poll_timeout=5.0)


@pytest.fixture
def ctx(provider):
    return provider.context()
