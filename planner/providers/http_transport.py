"""The transport seam over the wire: Alibaba's official OpenAPI client (``alibabacloud-tea-openapi``).

``HttpTransport.call(product, action, params)`` sends one RPC-style call, signed by the SDK itself (V3,
``ACS3-HMAC-SHA256``), to a served emulator (``clbplan emulator serve``) or to the real CLB/VPC/ECS
endpoints, and maps what comes back onto the seam's errors:

* an error response -> ``ApiError(code, message, http_status, request_id, retry_after)`` (seconds, from the
  SDK's ``ThrottlingException.retry_after`` = ``x-acs-retry-after`` in milliseconds);
* a refused signature or unknown key -> :class:`AuthenticationError`, which is both an ``ApiError`` (never
  retried) and a ``DiagnosticsError`` (the CLI prints it located at the provider block, exit 1);
* no response (refused connection, reset, timeout) -> ``TransportError``: the call may have happened.

The SDK's own retries are switched off (``RetryOptions(retryable=False)``): the executor's RetryPolicy is
the only retry loop, so budgets and journal records stay exact.

Thread safety: one SDK ``Client`` per product, built once and shared by the executor's worker threads.
That is safe because ``Client.call_api`` keeps every per-request value in locals (the client's fields are
set in ``__init__`` and only read afterwards), the static-AK credential provider is immutable, and the
HTTP connection pool is darabonba's process-wide ``requests.Session`` per host (urllib3's pool is
thread-safe and keeps connections alive, so calls reuse sockets).
"""

from __future__ import annotations

import sys
import threading
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

from planner.diagnostics import Diagnostic, DiagnosticsError, SourcePos
from planner.providers.credentials import Credentials, Endpoint, HttpTarget, parse_endpoint, scrub
from planner.providers.errors import ApiError, TransportError

__all__ = ["API_VERSIONS", "AUTH_CODES", "AuthenticationError", "DumpShadow", "EndpointUnreachable", "HttpTransport",
           "open_http_target"]

#: product -> OpenAPI version (RPC style)
API_VERSIONS: dict[str, str] = {"Slb": "2014-05-15", "Vpc": "2016-04-28", "Ecs": "2014-05-26"}

#: codes that mean the endpoint did not accept who we are: retrying cannot help
AUTH_CODES: frozenset[str] = frozenset({
    "SignatureDoesNotMatch", "IncompleteSignature", "InvalidAccessKeyId", "InvalidAccessKeyId.NotFound",
    "InvalidAccessKeyId.Inactive", "InvalidSecurityToken.Expired", "InvalidSecurityToken.MismatchWithAccessKey",
    "InvalidSecurityToken.Malformed", "InvalidTimeStamp.Expired", "SignatureNonceUsed", "Forbidden.AccessKeyDisabled",
})

DUMP_PATH = "/_clbplan/dump"


class AuthenticationError(ApiError, DiagnosticsError):
    """The endpoint refused our signature or key: an ApiError for the provider, a diagnostic for the CLI."""

    def __init__(self, code: str, message: str, http_status: int, request_id: str, endpoint: str,
                 pos: SourcePos | None = None, provider_key: str = "alicloud"):
        self.code = code
        self.message = message
        self.http_status = http_status
        self.request_id = request_id
        self.retry_after = None
        self.endpoint = endpoint
        if code in ("InvalidTimeStamp.Expired", "SignatureNonceUsed"):
            hint = "the request's time stamp was refused: check this machine's clock (it must be within 15 " \
                   "minutes of the endpoint's)"
        else:
            hint = (f'check the access key and secret for provider "{provider_key}" (access_key/secret_key in '
                    "the provider block, or ALIBABA_CLOUD_ACCESS_KEY_ID/ALIBABA_CLOUD_ACCESS_KEY_SECRET); a "
                    "served emulator accepts the keys `clbplan emulator serve` printed")
        self.diagnostics = [Diagnostic(
            f"authentication failed at {endpoint}: {code}",
            pos, detail=f"{message} (HTTP {http_status}, RequestId {request_id or '-'})", hint=hint)]
        Exception.__init__(self, f"authentication failed at {endpoint}: {code}: {message} "
                                 f"(HTTP {http_status}, RequestId {request_id or '-'})")


class EndpointUnreachable(TransportError, DiagnosticsError):
    """No response from the endpoint: a TransportError for the provider (the call may have happened, so it
    reconciles), a diagnostic for the CLI (a plan that cannot read the cloud stops with a clear message)."""

    def __init__(self, action: str, endpoint: str, reason: str, pos: SourcePos | None = None):
        self.action = action
        self.endpoint = endpoint
        self.reason = reason
        self.diagnostics = [Diagnostic(
            f"cannot reach the cloud at {endpoint}: {reason}", pos, detail=f"while calling {action}",
            hint="check the endpoints block of the provider; for a shared emulator, is `clbplan emulator "
                 "serve` running there?")]
        Exception.__init__(self, f"{action} to {endpoint}: {reason}")


def _wire(value: Any) -> str:
    """A parameter value as the gateway reads it (the SDK would send ``str(v)``: 'True', Python reprs)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple, dict)):
        import json

        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    return str(value)


class HttpTransport:
    """Calls a CLB/VPC/ECS endpoint through the official OpenAPI client; counts calls like InProcessTransport."""

    def __init__(self, endpoints: Mapping[str, str], region: str, access_key_id: str, access_key_secret: str, *,
                 protocol: str = "http", timeout: float = 10.0, security_token: str | None = None,
                 real_cloud: bool = False, pos: SourcePos | None = None, provider_key: str = "alicloud"):
        """endpoints: product ("Slb", "Vpc", "Ecs"; or "slb", ...) -> ``host:port`` or ``http(s)://host:port``.
        A scheme in the endpoint wins over ``protocol``. ``real_cloud`` says there is no emulator dump."""
        if protocol not in ("http", "https"):
            raise ValueError(f"protocol must be http or https, not {protocol!r}")
        self.region = region
        self.timeout = float(timeout)
        self.real_cloud = real_cloud
        self.pos = pos
        self.provider_key = provider_key
        self._credentials = Credentials(access_key_id, access_key_secret, security_token)
        self.endpoints: dict[str, Endpoint] = {}
        for name, value in endpoints.items():
            product = name if name in API_VERSIONS else name.capitalize()
            if product not in API_VERSIONS:
                raise ValueError(f"unknown product {name!r} (expected one of {', '.join(API_VERSIONS)})")
            ep = parse_endpoint(value)
            self.endpoints[product] = ep if "://" in value else Endpoint(ep.host, protocol)
        self.calls: Counter[str] = Counter()
        self.dump_fetches = 0  # GET /_clbplan/dump requests (not API calls, so not in ``calls``)
        self._lock = threading.Lock()
        self._clients: dict[str, Any] = {}

    @classmethod
    def from_target(cls, target: HttpTarget, *, timeout: float = 10.0) -> HttpTransport:
        c = target.credentials
        return cls({p: e.url for p, e in target.endpoints.items()}, target.region, c.access_key_id,
                   c.access_key_secret, timeout=timeout, security_token=c.security_token,
                   real_cloud=target.real_cloud, pos=target.pos, provider_key=target.provider_key)

    def __repr__(self) -> str:
        where = ", ".join(f"{p}={e}" for p, e in sorted(self.endpoints.items()))
        return f"HttpTransport({where}, region={self.region!r}, credentials=***)"

    # --- the seam ----------------------------------------------------------------------------------
    @property
    def total_calls(self) -> int:
        return sum(self.calls.values())

    def endpoint_of(self, product: str) -> Endpoint:
        try:
            return self.endpoints[product]
        except KeyError:
            raise TransportError(f"no endpoint configured for product {product}") from None

    def call(self, product: str, action: str, params: Mapping[str, Any]) -> dict:
        """One RPC call; returns the response body (a dict), raises ApiError / TransportError."""
        version = API_VERSIONS.get(product)
        if version is None:
            raise TransportError(f"unknown product {product!r}")
        query = {k: _wire(v) for k, v in params.items() if v is not None}
        query.setdefault("RegionId", self.region)
        with self._lock:
            self.calls[action] += 1
        response = self._send(product, action, version, "/", "POST", query)
        body = response.get("body")
        if not isinstance(body, dict):
            raise TransportError(f"{action}: the endpoint answered with a body that is not a JSON object")
        return body

    def fetch_emulator_dump(self) -> dict | None:
        """The served emulator's whole state (``GET /_clbplan/dump``, signed), or None for a real cloud or an
        endpoint that does not serve it (404). The planner builds its shadow copy from it."""
        if self.real_cloud:
            return None
        with self._lock:
            self.dump_fetches += 1
        try:
            response = self._send("Slb", "Dump", API_VERSIONS["Slb"], DUMP_PATH, "GET", {})
        except AuthenticationError:
            raise
        except ApiError as e:
            if e.http_status == 404:
                return None
            raise
        body = response.get("body")
        if not isinstance(body, dict) or "tables" not in body:
            return None
        return body

    def close(self) -> None:
        """Close the kept-alive connections to this transport's endpoints (see close_pooled_connections)."""
        close_pooled_connections(self.endpoints.values())
        self._clients.clear()

    # --- the SDK ---------------------------------------------------------------------------------------
    def _client(self, product: str) -> Any:
        client = self._clients.get(product)
        if client is not None:
            return client
        with self._lock:
            client = self._clients.get(product)
            if client is None:
                client = self._new_client(self.endpoint_of(product))
                self._clients[product] = client
            return client

    def _new_client(self, ep: Endpoint) -> Any:
        from alibabacloud_tea_openapi import models as open_api_models
        from alibabacloud_tea_openapi.client import Client
        from darabonba.policy.retry import RetryOptions

        ms = max(1, int(self.timeout * 1000))
        c = self._credentials
        config = open_api_models.Config(
            access_key_id=c.access_key_id, access_key_secret=c.access_key_secret,
            security_token=c.security_token, endpoint=ep.host, protocol=ep.protocol, region_id=self.region,
            read_timeout=ms, connect_timeout=min(ms, 5000), max_idle_conns=64,
            retry_options=RetryOptions({"retryable": False}), user_agent="clbplan")
        return Client(config)

    def _send(self, product: str, action: str, version: str, path: str, method: str,
              query: dict[str, str]) -> dict:
        from alibabacloud_tea_openapi import models as open_api_models
        from alibabacloud_tea_openapi.exceptions import AlibabaCloudException, ThrottlingException
        from darabonba.runtime import RuntimeOptions

        ep = self.endpoint_of(product)
        client = self._client(product)
        api = open_api_models.Params(action=action, version=version, protocol=ep.protocol.upper(),
                                     pathname=path, method=method, auth_type="AK", style="RPC",
                                     req_body_type="formData", body_type="json")
        request = open_api_models.OpenApiRequest(query=query)
        secrets = self._credentials.secrets()
        try:
            return client.call_api(api, request, RuntimeOptions())
        except AlibabaCloudException as e:
            data = e.data if isinstance(e.data, dict) else {}
            code = str(data.get("Code") or data.get("code") or e.code or "Unknown")
            message = " ".join(scrub(str(data.get("Message") or data.get("message") or e.message or ""),
                                     secrets).split())
            status = int(getattr(e, "status_code", None) or data.get("statusCode") or 400)
            request_id = str(data.get("RequestId") or data.get("requestId") or getattr(e, "request_id", "") or "")
            if code in AUTH_CODES:
                raise AuthenticationError(code, message, status, request_id, ep.url, self.pos,
                                          self.provider_key) from None
            retry_after = None
            if isinstance(e, ThrottlingException) and e.retry_after:
                retry_after = float(e.retry_after) / 1000.0
            raise ApiError(code, message, status, request_id, retry_after) from None
        except Exception as e:  # noqa: BLE001 - the SDK wraps socket errors in several exception types
            raise EndpointUnreachable(action, ep.url, _reason(e, secrets, self.timeout), self.pos) from None


def close_pooled_connections(endpoints: Iterable[Endpoint] | None = None) -> None:
    """Close the SDK's kept-alive connections to ``endpoints`` (all when None). The SDK pools them in a
    process-wide ``requests.Session`` per endpoint (``DaraCore._sessions``, keyed
    ``scheme://host:port:pool=N``) that nothing else ever closes: a process that runs many plans (the
    console, a library caller, the test suite) would keep one socket per endpoint it ever reached.
    A session closed here opens new connections if it is used again."""
    core = sys.modules.get("darabonba.core")  # not imported: no connection was ever made
    sessions = getattr(getattr(core, "DaraCore", None), "_sessions", None)
    if not isinstance(sessions, dict):
        return
    prefixes = None if endpoints is None else tuple(f"{e.protocol}://{e.host}:" for e in endpoints)
    for key in list(sessions):
        if prefixes is None or (isinstance(key, str) and key.startswith(prefixes)):
            session = sessions.pop(key, None)
            if session is not None:
                session.close()


def _reason(e: BaseException, secrets: list[str], timeout: float) -> str:
    """Why no response came, in a few words (requests' messages are long and repeat the URL)."""
    inner = getattr(e, "inner_exception", None) or e
    text = getattr(inner, "message", None) or str(inner)
    low = str(text).lower()
    if "refused" in low:
        return "connection refused"
    if "timed out" in low or "timeout" in low:
        return f"no answer within {timeout:g} s"
    if "reset by peer" in low or "remotedisconnected" in low or "connection aborted" in low:
        return "the connection was closed before the response arrived"
    if "name or service not known" in low or "nodename nor servname" in low or "failed to resolve" in low:
        return "the host name does not resolve"
    return _short(scrub(str(text), secrets))


def _short(text: str, limit: int = 300) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


class DumpShadow:
    """Stands where the planner expects the embedded emulator: ``copy()`` returns an in-memory Emulator
    rebuilt from the served emulator's dump, so plans over HTTP are verified on a shadow too."""

    def __init__(self, transport: HttpTransport):
        self.transport = transport

    def copy(self) -> Any:
        from planner.emulator import Emulator

        dump = self.transport.fetch_emulator_dump()
        if dump is None:
            eps = ", ".join(sorted({str(e) for e in self.transport.endpoints.values()}))
            raise DiagnosticsError([Diagnostic(
                f"cannot verify the plan: {eps} does not serve the emulator's state ({DUMP_PATH})",
                self.transport.pos,
                hint="point the endpoints at `clbplan emulator serve`, or set CLBPLAN_REAL_CLOUD=1 for a "
                     "real cloud (plans are then not verified on a shadow copy)")])
        return Emulator.from_dump(dump)


def open_http_target(provider_config: Any, env: Mapping[str, str] | None = None, *,
                     timeout: float = 10.0) -> tuple[HttpTransport, DumpShadow | None] | None:
    """``(transport, shadow source)`` for a provider block that asks for HTTP, else None (embedded emulator).

    The shadow source is None for a real cloud: there is nothing to copy, so plans are not verified.
    """
    from planner.providers.credentials import resolve_target

    target = resolve_target(provider_config, env)
    if target is None:
        return None
    transport = HttpTransport.from_target(target, timeout=timeout)
    return transport, (None if target.real_cloud else DumpShadow(transport))
