"""Fixtures for the wire tests: a served emulator on an ephemeral loopback port and SDK clients.

Rule tests are written once against a ``Cloud`` fixture, parametrized over two paths: the in-process
``Emulator.call`` and the official SDK over signed HTTP (tea-openapi's generic ``call_api``), so both
paths must surface identical codes, messages and HTTP statuses.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from planner.emulator.errors import CloudError
from planner.emulator.server import ServedEmulator, serve

AK_ID, AK_SECRET = "test-ak", "test-secret"
VERSION_BY_PRODUCT = {"Slb": "2014-05-15", "Vpc": "2016-04-28", "Ecs": "2014-05-26"}


def sdk_config(endpoint: str, *, access_key_id: str = AK_ID, access_key_secret: str = AK_SECRET,
               signature_algorithm: str | None = None) -> Any:
    from alibabacloud_tea_openapi import models as open_api_models

    return open_api_models.Config(access_key_id=access_key_id, access_key_secret=access_key_secret,
                                  endpoint=endpoint, protocol="http", region_id="cn-hangzhou",
                                  signature_algorithm=signature_algorithm, read_timeout=20000,
                                  connect_timeout=5000)


def slb_client(endpoint: str, **kw: Any) -> Any:
    from alibabacloud_slb20140515.client import Client

    return Client(sdk_config(endpoint, **kw))


@dataclass
class Failure:
    """What a caller sees of an API error, path-independent."""

    code: str
    message: str
    status: int


class ApiFailed(Exception):
    def __init__(self, failure: Failure):
        self.failure = failure
        super().__init__(f"{failure.code} ({failure.status}): {failure.message}")


class InProcessCloud:
    """Calls ``Emulator.call`` directly."""

    name = "in-process"

    def __init__(self, emulator: Any):
        self.emulator = emulator

    def call(self, action: str, params: Mapping[str, Any] | None = None, product: str = "Slb") -> dict:
        p = {k: str(v) for k, v in (params or {}).items()}
        p.setdefault("RegionId", "cn-hangzhou")
        try:
            return self.emulator.call(product, action, p)
        except CloudError as e:
            raise ApiFailed(Failure(e.code, e.message, e.http_status)) from None


class SdkCloud:
    """Calls through the official OpenAPI client (signed V3 over HTTP) with the generic ``call_api``."""

    name = "sdk-http"

    def __init__(self, endpoint: str, signature_algorithm: str | None = None):
        from alibabacloud_tea_openapi.client import Client

        self.client = Client(sdk_config(endpoint, signature_algorithm=signature_algorithm))

    def call(self, action: str, params: Mapping[str, Any] | None = None, product: str = "Slb") -> dict:
        from alibabacloud_tea_openapi import models as open_api_models
        from alibabacloud_tea_openapi.exceptions import AlibabaCloudException
        from darabonba.runtime import RuntimeOptions

        p = {k: str(v) for k, v in (params or {}).items()}
        p.setdefault("RegionId", "cn-hangzhou")
        api = open_api_models.Params(action=action, version=VERSION_BY_PRODUCT[product], protocol="HTTP",
                                     pathname="/", method="POST", auth_type="AK", style="RPC",
                                     req_body_type="formData", body_type="json")
        request = open_api_models.OpenApiRequest(query=p)
        try:
            response = self.client.call_api(api, request, RuntimeOptions())
        except AlibabaCloudException as e:
            data = e.data or {}
            raise ApiFailed(Failure(e.code, data.get("Message", ""), int(e.status_code))) from None
        body = response["body"]
        if product == "Slb":
            _check_typed_model(action, body)
        return body


def _check_typed_model(action: str, body: dict) -> None:
    """The typed SDK client must be able to read the response: its model parses it and gives it back.

    A shape the SDK cannot take (a bare list where it expects ``{"LoadBalancer": [...]}``) raises here.
    """
    from alibabacloud_slb20140515 import models as slb_models

    model_cls = getattr(slb_models, f"{action}ResponseBody", None)
    if model_cls is None:
        return
    model = model_cls().from_map(body)
    round_trip = model.to_map()
    for key, value in body.items():
        if isinstance(value, (str, int, bool)) and key in round_trip:
            assert round_trip[key] == value, f"{action}: SDK model changed {key}"


@pytest.fixture
def emulator(tmp_path: Path) -> Iterator[Any]:
    from planner.emulator import Emulator

    emu = Emulator(tmp_path / "emulator.sqlite")
    yield emu
    emu.close()


@pytest.fixture
def served(emulator: Any) -> Iterator[ServedEmulator]:
    server = serve(emulator, "127.0.0.1", 0, {AK_ID: AK_SECRET})
    yield server
    server.shutdown()


@pytest.fixture(params=["in-process", "sdk-http"])
def make_cloud(request: pytest.FixtureRequest) -> Iterator[Any]:
    """Factory: wrap any Emulator as the parametrized kind of cloud (servers stopped at teardown)."""
    servers: list[ServedEmulator] = []

    def make(emu: Any) -> Any:
        if request.param == "in-process":
            return InProcessCloud(emu)
        server = serve(emu, "127.0.0.1", 0, {AK_ID: AK_SECRET})
        servers.append(server)
        return SdkCloud(server.endpoint)

    yield make
    for server in servers:
        server.shutdown()


@pytest.fixture
def cloud(make_cloud: Any, emulator: Any) -> Any:
    """The same emulated cloud reached in-process or through the SDK over HTTP."""
    return make_cloud(emulator)
