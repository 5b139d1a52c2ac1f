"""Fixtures for clbplan over the wire: a served emulator on an ephemeral loopback port (its own SQLite
file) and work directories whose provider block points at it with endpoints and keys."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from planner.emulator import Emulator
from planner.emulator.faults import FaultConfig
from planner.emulator.server import ServedEmulator, serve

AK_ID = "LTAI5tTransportTestKey"
AK_SECRET = "s3cr3t-Transport-Test-Value-9f2c"
REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"

#: environment variables that would change which keys/region clbplan resolves
CREDENTIAL_ENV = ("ALIBABA_CLOUD_ACCESS_KEY_ID", "ALIBABA_CLOUD_ACCESS_KEY_SECRET", "ALICLOUD_ACCESS_KEY",
                  "ALICLOUD_SECRET_KEY", "ALICLOUD_REGION", "ALIBABA_CLOUD_REGION_ID",
                  "ALIBABA_CLOUD_SECURITY_TOKEN", "ALICLOUD_SECURITY_TOKEN", "CLBPLAN_REAL_CLOUD")

_PROVIDER_OPEN = re.compile(r'^provider\s+"alicloud"\s*\{[ \t]*$', re.M)


@dataclass
class Cloud:
    """A served emulator and the in-process emulator behind it (for assertions only)."""

    server: ServedEmulator
    emulator: Any

    @property
    def endpoint(self) -> str:
        return self.server.endpoint


def start_cloud(path: Path, faults: FaultConfig | None = None,
                credentials: dict[str, str] | None = None) -> Cloud:
    emu = Emulator(path, faults=faults)
    server = serve(emu, "127.0.0.1", 0, credentials or {AK_ID: AK_SECRET})
    return Cloud(server, emu)


@pytest.fixture(autouse=True)
def _clean_credential_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keys of the developer's shell must not leak into (or rescue) a test."""
    for name in CREDENTIAL_ENV:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def cloud(tmp_path: Path) -> Iterator[Cloud]:
    c = start_cloud(tmp_path / "served-emulator.sqlite")
    yield c
    c.server.shutdown()
    c.emulator.close()


def endpoints_block(endpoint: str) -> str:
    return (f'  endpoints {{\n    slb = "{endpoint}"\n    vpc = "http://{endpoint}"\n'
            f'    ecs = "{endpoint}"\n  }}\n')


def point_at(work: Path, endpoint: str, *, access_key: str | None = AK_ID,
             secret_key: str | None = AK_SECRET) -> None:
    """Rewrite the .tf files of ``work`` so provider "alicloud" talks to ``endpoint`` over HTTP.

    Keys are written into the block when given; pass None to leave them to the environment.
    """
    inject = endpoints_block(endpoint)
    if access_key is not None:
        inject += f'  access_key = "{access_key}"\n'
    if secret_key is not None:
        inject += f'  secret_key = "{secret_key}"\n'
    found = False
    for tf in sorted(work.glob("*.tf")):
        text = tf.read_text()
        new, n = _PROVIDER_OPEN.subn(lambda m: m.group(0) + "\n" + inject.rstrip("\n"), text)
        if n:
            found = True
            tf.write_text(new)
    if not found:
        (work / "provider_http.tf").write_text('provider "alicloud" {\n' + inject + "}\n")
