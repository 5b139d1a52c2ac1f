"""The served emulator: the CLB OpenAPI over HTTP on loopback, signed like the real gateway.

Alibaba's official SDK (and anything speaking RPC-style OpenAPI) can be pointed at it with
``Config(endpoint="127.0.0.1:PORT", protocol="http", ...)``. Wire rules (reference hcl-and-sdk.md B.2,
clb-api.md 2.1/2.2):

* ``POST`` or ``GET`` on ``/``; parameters from the query string and from an
  ``application/x-www-form-urlencoded`` body (Terraform's tea-rpc client puts them in the body);
* the action from ``x-acs-action`` (V3) or the ``Action`` parameter (V2); the product from the API
  version (``x-acs-version`` or ``Version``), falling back to the Host name;
* success is 200 with the JSON the action returned; an API error is its HTTP status with the
  gateway's JSON body ``{RequestId, HostId, Code, Message, Recommend}`` and its headers (throttling
  sends ``x-acs-retry-after``); a lost response (fault injection) closes the socket unanswered.

Hardening (issue 11): each connection has a read timeout, and the number of open connections is
capped (below the process's file limit): when full, the connection idle longest (waiting for its
next request, or still dribbling its headers) is closed to make room, so idle or slow clients
cannot starve real ones. A bad or oversized body closes the connection (its unread bytes are never
parsed as a request). A client that goes away is logged as one line, not a traceback.

``GET /_clbplan/dump`` (signed like any call) returns ``Emulator.dump()``: the planner builds its
shadow copy of the cloud from it when the cloud is a served emulator.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import resource
import socket
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol
from urllib.parse import parse_qsl, urlsplit

from planner.emulator.errors import CloudError, ResponseLost
from planner.emulator.signatures import V2_COMMON_PARAMS, SignatureVerifier, sign_v3

__all__ = [
    "DEFAULT_ACCESS_KEY_ID",
    "DEFAULT_ACCESS_KEY_SECRET",
    "DUMP_PATH",
    "PRODUCT_BY_VERSION",
    "ServedEmulator",
    "fetch_dump",
    "is_loopback",
    "serve",
]

log = logging.getLogger("planner.emulator.server")

DEFAULT_ACCESS_KEY_ID = "clbplan"
DEFAULT_ACCESS_KEY_SECRET = "clbplan-secret"
DUMP_PATH = "/_clbplan/dump"

#: API version -> product name passed to Emulator.call
PRODUCT_BY_VERSION: dict[str, str] = {"2014-05-15": "Slb", "2016-04-28": "Vpc", "2014-05-26": "Ecs"}
VERSION_BY_PRODUCT: dict[str, str] = {v: k for k, v in PRODUCT_BY_VERSION.items()}
_PRODUCT_BY_HOST_PREFIX: dict[str, str] = {"slb": "Slb", "vpc": "Vpc", "ecs": "Ecs"}
_HOST_ID: dict[str, str] = {"Slb": "slb.aliyuncs.com", "Vpc": "vpc.aliyuncs.com", "Ecs": "ecs.aliyuncs.com"}
MAX_BODY = 8 * 1024 * 1024
READ_TIMEOUT = 30.0  # seconds a connection may stay silent (keep-alive idle, or mid-request)
MAX_CONNECTIONS = 256  # open connections at once; lowered to fit the process's file limit
_FD_RESERVE = 48  # files kept for the listening socket, SQLite, logs and the interpreter


def connection_cap(requested: int = MAX_CONNECTIONS) -> int:
    """``requested``, lowered so the open connections can never exhaust the process's file limit
    (an exhausted limit makes accept() fail and every new client wait forever)."""
    try:
        soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    except (OSError, ValueError):
        return requested
    if soft == resource.RLIM_INFINITY:
        return requested
    return max(4, min(requested, soft - _FD_RESERVE))


def _client_gone(exc: BaseException) -> bool:
    """A client that hung up or went silent: routine, worth one log line."""
    return isinstance(exc, (ConnectionError, TimeoutError, socket.timeout)) or (
        isinstance(exc, OSError) and exc.errno in (32, 104, 110, 9))


class _Callable(Protocol):
    def call(self, product: str, action: str, params: Mapping[str, Any]) -> dict: ...


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and ``localhost``: the only addresses served without --allow-remote."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _request_id() -> str:
    return str(uuid.uuid4()).upper()


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"  # keep-alive: the SDK's requests session reuses connections
    disable_nagle_algorithm = True  # headers and body go out as separate writes: avoid the 40 ms delayed-ACK stall
    server_version = "clbplan-emulator"
    sys_version = ""
    timeout = READ_TIMEOUT  # StreamRequestHandler.setup() applies it to the socket (replaced per server)

    def setup(self) -> None:
        self.timeout = self.server.read_timeout
        super().setup()

    # http.server hooks ------------------------------------------------------------------------
    def do_POST(self) -> None:  # noqa: N802 - http.server naming
        self._handle()

    def do_GET(self) -> None:  # noqa: N802
        self._handle()

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - signature from http.server
        log.debug("%s %s", self.address_string(), format % args)

    # the work ---------------------------------------------------------------------------------
    def _handle(self) -> None:
        started = time.perf_counter()
        request_id = _request_id()
        product, action = "Slb", ""
        self._status = 0
        self._started, self._action, self._recorded = started, "", False
        try:
            path, headers, params = self._read_request()
            if path == DUMP_PATH and self.command == "GET":
                self._send_json(200, self.server.dump(), request_id, {})
                return
            if path not in ("/", ""):
                raise CloudError("InvalidAction.NotFound",
                                 "Specified api is not found, please check your url and method.", 404)
            action = self._action = headers.get("x-acs-action") or params.get("Action", "")
            version = headers.get("x-acs-version") or params.get("Version", "")
            product = self._product(version, headers.get("host", ""))
            if not action:
                raise CloudError("MissingParameter", 'The input parameter "Action" that is mandatory for '
                                 "processing this request is not supplied.", 400)
            self._call(product, action, {k: v for k, v in params.items() if k not in V2_COMMON_PARAMS},
                       request_id)
        except CloudError as e:
            rid = e.request_id or request_id
            body_out = {
                "RequestId": rid,
                "HostId": _HOST_ID.get(product, "slb.aliyuncs.com"),
                "Code": e.code,
                "Message": e.message,
                "Recommend": f"https://api.aliyun.com/troubleshoot?q={e.code}&product={product}&requestId={rid}",
            }
            self._send_json(e.http_status, body_out, rid, e.headers)
        except Exception as e:  # noqa: BLE001 - a bug in a handler must not kill the server thread
            self._internal_error(e, product, action, request_id)
        finally:
            self.server.mark(self.connection, busy=False)
            if not self._recorded:  # a dropped response (fault injection) is served too
                self.server.record(action, self._status, time.perf_counter() - started)

    def _read_request(self) -> tuple[str, dict[str, str], dict[str, str]]:
        """The request's (path, lower-cased headers, query and form parameters), its body read in
        full and its signature checked; a body whose end cannot be trusted closes the connection."""
        split = urlsplit(self.path)
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            self.close_connection = True  # where the body ends is unknown: nothing after it is trusted
            raise CloudError("InvalidParameter", "The Content-Length header is not valid.", 400) from None
        if length < 0 or length > MAX_BODY:
            self.close_connection = True  # the unread body must never be parsed as a request
            raise CloudError("InvalidParameter", "The request body is too large.", 413)
        body = self.rfile.read(length) if length else b""
        if len(body) != length:
            raise ConnectionResetError("the client closed the connection in the middle of the body")
        self.server.mark(self.connection, busy=True)
        query = parse_qsl(split.query, keep_blank_values=True)
        form: list[tuple[str, str]] = []
        content_type = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if body and content_type == "application/x-www-form-urlencoded":
            try:
                form = parse_qsl(body.decode("utf-8"), keep_blank_values=True)
            except UnicodeDecodeError:
                self.close_connection = True
                raise CloudError("InvalidParameter", "The request body is not valid UTF-8 form data.",
                                 400) from None
        headers = {k.lower(): v for k, v in self.headers.items()}
        srv = self.server
        if srv.verifier is not None:
            srv.verifier.verify(method=self.command, path=split.path, query=query, headers=headers,
                                body=body, form=form)
        params: dict[str, str] = {}
        for k, v in query + form:
            params[k] = v
        return split.path, headers, params

    def _call(self, product: str, action: str, api_params: dict[str, str], request_id: str) -> None:
        """Run the action and send its result; a response lost by fault injection resets the connection."""
        try:
            result = self.server.call(product, action, api_params)
        except ResponseLost:
            log.info("%s %s: response dropped (fault injection)", product, action)
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        if not isinstance(result, dict):
            raise TypeError(f"{action} returned {type(result).__name__}, not a dict")
        result.setdefault("RequestId", request_id)
        self._send_json(200, result, result["RequestId"], {})

    def _internal_error(self, e: Exception, product: str, action: str, request_id: str) -> None:
        """A client that went away is logged and left; any other exception is a 500 InternalError."""
        if _client_gone(e):
            self._recorded = True
            self.close_connection = True
            log.warning("client %s disconnected during %s: %s", self.address_string(),
                        action or "a request", e.strerror or e.__class__.__name__
                        if isinstance(e, OSError) else e)
            return
        log.exception("internal error serving %s %s", product, action)
        body_out = {"RequestId": request_id, "HostId": _HOST_ID.get(product, "slb.aliyuncs.com"),
                    "Code": "InternalError",
                    "Message": "The request processing has failed due to some unknown error.",
                    "Recommend": ""}
        self._send_json(500, body_out, request_id, {})

    @staticmethod
    def _product(version: str, host: str) -> str:
        if version:
            product = PRODUCT_BY_VERSION.get(version)
            if product is None:
                raise CloudError("InvalidVersion", "Specified parameter Version is not valid.", 400)
            return product
        prefix = host.split(".", 1)[0].lower()
        if prefix in _PRODUCT_BY_HOST_PREFIX:
            return _PRODUCT_BY_HOST_PREFIX[prefix]
        raise CloudError("MissingVersion", "Version is mandatory for this action.", 400)

    def _send_json(self, status: int, payload: Any, request_id: str, headers: Mapping[str, str]) -> None:
        data = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        self._status = status
        # counted before the client can read the answer, so a caller that got every response sees
        # every request counted (counting after the write raced with it)
        self.server.record(self._action, status, time.perf_counter() - self._started)
        self._recorded = True
        self.send_response(status)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.send_header("Content-Type", "application/json;charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("x-acs-request-id", request_id)
        for k, v in headers.items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, addr: tuple[str, int], emulator: _Callable, verifier: SignatureVerifier | None,
                 serialize: bool, on_request: Callable[[str, int, float], None] | None,
                 read_timeout: float = READ_TIMEOUT, max_connections: int = MAX_CONNECTIONS):
        if ":" in addr[0]:
            self.address_family = socket.AF_INET6
        self.read_timeout = read_timeout
        self.max_connections = connection_cap(max_connections)
        # open connection -> [busy, monotonic time it last became idle]
        self._conns: dict[socket.socket, list[Any]] = {}
        self._conn_lock = threading.Lock()
        super().__init__(addr, _Handler)
        self.emulator = emulator
        self.verifier = verifier
        self._call_lock = threading.Lock() if serialize else None
        self._on_request = on_request
        self.requests_served = 0
        self._count_lock = threading.Lock()

    # connection cap --------------------------------------------------------------------------
    def process_request(self, request: Any, client_address: Any) -> None:
        """Admit a connection; at the cap, close the one idle longest, or refuse if all are busy."""
        with self._conn_lock:
            if len(self._conns) >= self.max_connections:
                idle = [(st[1], id(c), c) for c, st in self._conns.items() if not st[0]]
                if not idle:
                    log.warning("connection from %s refused: %d connections busy", client_address[0],
                                len(self._conns))
                    self.shutdown_request(request)
                    return
                victim = min(idle)[2]
                del self._conns[victim]
                try:
                    victim.shutdown(socket.SHUT_RDWR)  # its thread wakes up to EOF and ends
                except OSError:
                    pass
            self._conns[request] = [False, time.monotonic()]
        super().process_request(request, client_address)

    def mark(self, conn: Any, *, busy: bool) -> None:
        """A connection is busy from the end of its request's body to the end of its answer."""
        with self._conn_lock:
            st = self._conns.get(conn)
            if st is not None:
                st[0] = busy
                if not busy:
                    st[1] = time.monotonic()

    def shutdown_request(self, request: Any) -> None:
        with self._conn_lock:
            self._conns.pop(request, None)
        super().shutdown_request(request)

    @property
    def open_connections(self) -> int:
        with self._conn_lock:
            return len(self._conns)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hung up is one log line; anything else keeps its traceback (a bug)."""
        import sys

        exc = sys.exc_info()[1]
        if exc is not None and _client_gone(exc):
            log.warning("client %s:%s disconnected: %s", client_address[0], client_address[1],
                        getattr(exc, "strerror", None) or exc.__class__.__name__)
            return
        log.error("error serving %s:%s", client_address[0], client_address[1], exc_info=True)

    def call(self, product: str, action: str, params: Mapping[str, Any]) -> dict:
        if self._call_lock is None:
            return self.emulator.call(product, action, params)
        with self._call_lock:
            return self.emulator.call(product, action, params)

    def dump(self) -> dict:
        dump = getattr(self.emulator, "dump", None)
        if dump is None:
            raise CloudError("InvalidAction.NotFound", "This emulator cannot dump its state.", 404)
        if self._call_lock is None:
            return dump()
        with self._call_lock:
            return dump()

    def record(self, action: str, status: int, seconds: float) -> None:
        with self._count_lock:
            self.requests_served += 1
        if self._on_request is not None:
            self._on_request(action, status, seconds)


class ServedEmulator:
    """A running HTTP front of an emulator, on its own thread. Use as a context manager or call
    ``shutdown()``."""

    def __init__(self, server: _Server, thread: threading.Thread, access_key_id: str, access_key_secret: str):
        self._server = server
        self._thread = thread
        self.access_key_id = access_key_id
        self.access_key_secret = access_key_secret

    @property
    def host(self) -> str:
        return str(self._server.server_address[0])

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def endpoint(self) -> str:
        """``host:port``, the form the SDK's ``Config(endpoint=...)`` takes."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"

    @property
    def url(self) -> str:
        return f"http://{self.endpoint}"

    @property
    def requests_served(self) -> int:
        return self._server.requests_served

    def shutdown(self) -> None:
        """Stop accepting, finish the serve loop and close the socket (idempotent)."""
        if self._thread.is_alive():
            self._server.shutdown()
            self._thread.join(timeout=10)
        self._server.server_close()

    def wait(self) -> None:
        """Block until the server stops (the CLI's foreground mode; Ctrl-C raises KeyboardInterrupt)."""
        while self._thread.is_alive():
            self._thread.join(timeout=0.5)

    def __enter__(self) -> ServedEmulator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()


def serve(emulator: _Callable, host: str = "127.0.0.1", port: int = 0,
          credentials: Mapping[str, str] | None = None, *, verify_signatures: bool = True,
          allow_remote: bool = False, serialize: bool | None = None,
          clock: Callable[[], float] = time.time, max_skew: float = 900.0,
          on_request: Callable[[str, int, float], None] | None = None,
          read_timeout: float = READ_TIMEOUT, max_connections: int = MAX_CONNECTIONS) -> ServedEmulator:
    """Serve ``emulator`` over HTTP in a background thread and return at once.

    credentials: access key id -> secret accepted by the signature check (default
        ``{"clbplan": "clbplan-secret"}``). The first pair is reported as the server's key.
    allow_remote: without it, a non-loopback ``host`` is refused (the emulator has no TLS); even
        with it, the well-known default secret is refused on a non-loopback host.
    serialize: run emulator calls one at a time. Default: unless the emulator says
        ``thread_safe = True``, since its SQLite store may not be shared across threads.
    on_request: called with (action, HTTP status, seconds) after each request; status 0 means the
        response was dropped (lost-response fault). For logging and load tests.
    read_timeout: seconds a connection may stay silent before it is closed.
    max_connections: open connections at once (lowered to fit the file limit); at the cap the
        connection idle longest is closed for the new one.

    Signature nonces go to the emulator's ``remember_nonce`` when it has one (the SQLite file), so
    a replay is refused across restarts too.
    """
    if not allow_remote and not is_loopback(host):
        raise ValueError(f"refusing to serve the emulator on non-loopback address {host!r} "
                         "(pass allow_remote=True / --allow-remote to do it anyway)")
    creds = dict(credentials) if credentials else {DEFAULT_ACCESS_KEY_ID: DEFAULT_ACCESS_KEY_SECRET}
    if not is_loopback(host) and (DEFAULT_ACCESS_KEY_SECRET in creds.values() or not verify_signatures):
        raise ValueError(f"refusing to serve the emulator on {host!r} with the well-known default secret "
                         "(or without signature checks): anyone on the network could sign requests. "
                         "Give a secret of your own (--access-key-secret-file or "
                         "$CLBPLAN_EMULATOR_ACCESS_KEY_SECRET)")
    nonce_store = getattr(emulator, "remember_nonce", None)
    verifier = SignatureVerifier(creds, clock=clock, max_skew=max_skew, nonce_store=nonce_store) \
        if verify_signatures else None
    if serialize is None:
        serialize = not getattr(emulator, "thread_safe", False)
    server = _Server((host, port), emulator, verifier, serialize, on_request, read_timeout, max_connections)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              name=f"clbplan-emulator-{server.server_address[1]}", daemon=True)
    thread.start()
    key_id, secret = next(iter(creds.items()))
    return ServedEmulator(server, thread, key_id, secret)


def fetch_dump(endpoint: str, access_key_id: str = DEFAULT_ACCESS_KEY_ID,
               access_key_secret: str = DEFAULT_ACCESS_KEY_SECRET, timeout: float = 30.0) -> dict:
    """Signed ``GET /_clbplan/dump`` against a served emulator; returns its ``Emulator.dump()``.

    ``endpoint`` is ``host:port`` or ``http://host:port``. Raises CloudError with the server's code
    if it refuses (for instance a wrong key).
    """
    import urllib.error
    import urllib.request

    base = endpoint if "://" in endpoint else f"http://{endpoint}"
    netloc = urlsplit(base).netloc
    headers = sign_v3(method="GET", host=netloc, action="Dump", version="2014-05-15", query={},
                      access_key_id=access_key_id, access_key_secret=access_key_secret, path=DUMP_PATH)
    request = urllib.request.Request(base.rstrip("/") + DUMP_PATH, method="GET", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - loopback URL
            return json.loads(response.read().decode("utf-8"))
    except urllib.error.HTTPError as e:
        try:
            err = json.loads(e.read().decode("utf-8"))
        except ValueError:
            raise CloudError("InternalError", f"dump failed with HTTP {e.code}", e.code) from None
        raise CloudError(err.get("Code"), err.get("Message"), e.code) from None
