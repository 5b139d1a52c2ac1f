"""Fixtures for the lookup data sources: a provider over a fresh emulated cloud, in one region."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from planner.emulator import Emulator
from planner.providers.alicloud import AlicloudProvider
from planner.providers.alicloud.offline import read_with
from planner.providers.transport import InProcessTransport

REGION_ENV = ("ALICLOUD_REGION", "ALIBABA_CLOUD_REGION_ID")


@pytest.fixture(autouse=True)
def _no_region_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in REGION_ENV:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    emu = Emulator(None)
    yield emu
    emu.close()


@pytest.fixture
def lookup(emulator: Emulator) -> Callable[..., dict]:
    """``lookup("alicloud_images", name_regex=..., region=...)``: one data source read through the provider."""
    def read(type_name: str, region: str = "cn-hangzhou", **attrs: Any) -> dict:
        provider = AlicloudProvider(InProcessTransport(emulator, region), region)
        return read_with(provider, type_name, attrs)
    return read
