"""Server-side verification of the two signatures Alibaba's SDKs send, with the gateway's real errors.

* V3, ``ACS3-HMAC-SHA256`` (the default of alibabacloud-tea-openapi): ``Authorization`` header naming
  the access key and the signed headers; the signature is HMAC-SHA256 over a canonical request built
  from the method, path, sorted query, the signed headers and the SHA-256 of the body.
* V2, classic RPC ``HMAC-SHA1`` (``signature_algorithm='v2'``, the older aliyun-python-sdk-core, and
  Terraform's provider): ``AccessKeyId``/``Signature``/``SignatureNonce``/``Timestamp`` travel as
  parameters (query or form body); the signature is base64 HMAC-SHA1 with key ``secret + "&"`` over
  ``METHOD&%2F&`` + the percent-encoded sorted parameter string.

Both are written from the algorithm descriptions (reference hcl-and-sdk.md B.2). The module also has
the client side (``sign_v3``/``sign_v2``) so tools and tests can send raw signed requests; the
official SDK is the independent check that the two sides agree.

Replay protection: a nonce is remembered for the allowed clock skew (15 minutes, like the real
gateway); a request older than that is refused on its timestamp, so older nonces can be forgotten.
A served emulator keeps them in its SQLite file (``nonce_store``), so a restart forgets none.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import quote, unquote

from planner.emulator.errors import CloudError

__all__ = [
    "V3_ALGORITHM",
    "SignatureVerifier",
    "VerifiedRequest",
    "percent_encode",
    "sign_v2",
    "sign_v3",
    "utc_timestamp",
]

V3_ALGORITHM = "ACS3-HMAC-SHA256"
V2_METHOD = "HMAC-SHA1"
DEFAULT_MAX_SKEW = 15 * 60.0
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()

# Parameters of the V2 envelope: signed, but not arguments of the API action itself.
V2_COMMON_PARAMS = frozenset({
    "Action", "Version", "Format", "AccessKeyId", "Signature", "SignatureMethod", "SignatureVersion",
    "SignatureNonce", "SignatureType", "Timestamp", "SecurityToken", "BearerToken",
})


# --- the gateway's errors --------------------------------------------------------------------

def _signature_mismatch(string_to_sign: str) -> CloudError:
    # The real gateway appends the string it signed, which is how people debug their signer.
    return CloudError("SignatureDoesNotMatch",
                      "Specified signature is not matched with our calculation. "
                      f"server string to sign is:{string_to_sign}", 400)


def _incomplete(detail: str) -> CloudError:
    return CloudError("IncompleteSignature",
                      f"The request signature does not conform to Aliyun standards. {detail}".strip(), 400)


def _missing(param: str) -> CloudError:
    return CloudError(f"Missing{param}", f"{param} is mandatory for this action.", 400)


ACCESS_KEY_NOT_FOUND = ("InvalidAccessKeyId.NotFound", "Specified access key is not found.", 404)
NONCE_USED = ("SignatureNonceUsed", "Specified signature nonce was used already.", 400)
TIMESTAMP_EXPIRED = ("InvalidTimeStamp.Expired", "Specified time stamp or date value is expired.", 400)
TIMESTAMP_FORMAT = ("InvalidTimeStamp.Format", "Specified time stamp or date value is not well formatted.", 400)


# --- shared canonicalisation -----------------------------------------------------------------

def percent_encode(value: str) -> str:
    """RFC 3986 encoding as both signatures use it: only unreserved characters stay (space -> %20)."""
    return quote(value, safe="~", encoding="utf-8")


def utc_timestamp(now: float | None = None) -> str:
    """``YYYY-MM-DDTHH:MM:SSZ`` in UTC, the format of ``x-acs-date`` and V2 ``Timestamp``."""
    moment = datetime.fromtimestamp(time.time() if now is None else now, tz=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse_timestamp(text: str) -> float:
    for fmt in ("%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%dT%H:%M:%S.%fZ"):
        try:
            return datetime.strptime(text, fmt).replace(tzinfo=UTC).timestamp()
        except ValueError:
            continue
    raise CloudError(*TIMESTAMP_FORMAT)


def _last_values(pairs: Iterable[tuple[str, str]]) -> dict[str, str]:
    out: dict[str, str] = {}
    for k, v in pairs:
        out[k] = v
    return out


def v3_canonical_request(method: str, path: str, query: Mapping[str, str], headers: Mapping[str, str],
                         signed_headers: list[str], payload_hash: str) -> str:
    """The V3 canonical request: the exact text whose SHA-256 is signed.

    ``query`` holds decoded values (the wire uses ``+`` for spaces; the signature uses ``%20``);
    ``headers`` is keyed by lowercase name.
    """
    canonical_query = "&".join(f"{k}={percent_encode(query[k])}" for k in sorted(query))
    canonical_headers = "".join(f"{name}:{headers.get(name, '').strip()}\n" for name in signed_headers)
    return "\n".join([method.upper(), path or "/", canonical_query, canonical_headers,
                      ";".join(signed_headers), payload_hash])


def v3_string_to_sign(canonical_request: str) -> str:
    return f"{V3_ALGORITHM}\n{hashlib.sha256(canonical_request.encode('utf-8')).hexdigest()}"


def v3_signature(secret: str, string_to_sign: str) -> str:
    return hmac.new(secret.encode("utf-8"), string_to_sign.encode("utf-8"), hashlib.sha256).hexdigest()


def v2_string_to_sign(method: str, params: Mapping[str, str]) -> str:
    """``METHOD&%2F&`` + percent_encode(sorted ``k=v`` pairs joined by ``&``), Signature excluded."""
    pairs = "&".join(f"{percent_encode(k)}={percent_encode(params[k])}"
                     for k in sorted(params) if k != "Signature")
    return f"{method.upper()}&{percent_encode('/')}&{percent_encode(pairs)}"


def v2_signature(secret: str, string_to_sign: str) -> str:
    digest = hmac.new(f"{secret}&".encode(), string_to_sign.encode("utf-8"), hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")


# --- client side (raw requests in tests and tools) --------------------------------------------

def sign_v3(*, method: str, host: str, action: str, version: str, query: Mapping[str, str],
            access_key_id: str, access_key_secret: str, body: bytes = b"", path: str = "/",
            nonce: str | None = None, now: float | None = None,
            extra_headers: Mapping[str, str] | None = None) -> dict[str, str]:
    """Headers (including ``Authorization``) for a V3-signed request, as the official SDK builds them."""
    headers = {
        "host": host,
        "x-acs-action": action,
        "x-acs-version": version,
        "x-acs-date": utc_timestamp(now),
        "x-acs-signature-nonce": nonce or secrets.token_hex(16),
        "x-acs-content-sha256": hashlib.sha256(body).hexdigest(),
        "accept": "application/json",
    }
    for k, v in (extra_headers or {}).items():
        headers[k.lower()] = v
    signed = sorted(headers)
    canonical = v3_canonical_request(method, path, dict(query), headers, signed, headers["x-acs-content-sha256"])
    signature = v3_signature(access_key_secret, v3_string_to_sign(canonical))
    headers["Authorization"] = (f"{V3_ALGORITHM} Credential={access_key_id},"
                                f"SignedHeaders={';'.join(signed)},Signature={signature}")
    return headers


def sign_v2(*, method: str, action: str, version: str, params: Mapping[str, str], access_key_id: str,
            access_key_secret: str, nonce: str | None = None, now: float | None = None) -> dict[str, str]:
    """All parameters (API ones plus the V2 envelope and ``Signature``) of a V2-signed request."""
    signed = dict(params)
    signed.update({
        "Action": action, "Version": version, "Format": "json", "AccessKeyId": access_key_id,
        "SignatureMethod": V2_METHOD, "SignatureVersion": "1.0",
        "SignatureNonce": nonce or secrets.token_hex(16), "Timestamp": utc_timestamp(now),
    })
    signed["Signature"] = v2_signature(access_key_secret, v2_string_to_sign(method, signed))
    return signed


# --- server side -------------------------------------------------------------------------------

@dataclass(frozen=True)
class VerifiedRequest:
    """Who signed a request and how."""

    access_key_id: str
    scheme: str  # "v3" or "v2"
    nonce: str


class SignatureVerifier:
    """Checks a request's signature against known access keys; remembers nonces to refuse replays.

    Check order follows what a caller can fix: missing/garbled signature, unknown key, bad timestamp,
    wrong signature, then replay. A nonce is recorded only once the signature is valid, so a forged
    request cannot burn someone else's nonce. Thread-safe.
    """

    def __init__(self, credentials: Mapping[str, str], *, clock: Callable[[], float] = time.time,
                 max_skew: float = DEFAULT_MAX_SKEW, check_nonce: bool = True,
                 nonce_store: Callable[[str, str, float, float], bool] | None = None):
        """``nonce_store(key_id, nonce, now, horizon)`` records a nonce durably and returns False if
        it was seen since ``horizon``; without it nonces live in memory only."""
        self.credentials = dict(credentials)
        self.nonce_store = nonce_store
        self.clock = clock
        self.max_skew = max_skew
        self.check_nonce = check_nonce
        self._nonces: dict[tuple[str, str], float] = {}
        self._lock = threading.Lock()
        self._last_purge = 0.0

    def verify(self, *, method: str, path: str, query: Iterable[tuple[str, str]],
               headers: Mapping[str, str], body: bytes = b"",
               form: Iterable[tuple[str, str]] = ()) -> VerifiedRequest:
        """Verify one request; raise the gateway's ``CloudError`` if it is not properly signed.

        ``query`` and ``form`` are decoded (name, value) pairs; ``headers`` must be keyed by lowercase
        name; ``path`` is the request path without the query string.
        """
        query_map = _last_values(query)
        if "authorization" in headers:
            return self._verify_v3(method, path, query_map, headers, body)
        params = dict(query_map)
        params.update(_last_values(form))
        if "Signature" in params or "AccessKeyId" in params:
            return self._verify_v2(method, params)
        raise _missing("Signature")

    # V3 ------------------------------------------------------------------------------------
    def _verify_v3(self, method: str, path: str, query: dict[str, str], headers: Mapping[str, str],
                   body: bytes) -> VerifiedRequest:
        auth = headers["authorization"].strip()
        algorithm, _, rest = auth.partition(" ")
        if algorithm != V3_ALGORITHM:
            raise _incomplete(f"Unsupported signature algorithm {algorithm!r}; use {V3_ALGORITHM}.")
        fields: dict[str, str] = {}
        for part in rest.split(","):
            key, sep, value = part.strip().partition("=")
            if sep:
                fields[key] = value
        for required in ("Credential", "SignedHeaders", "Signature"):
            if not fields.get(required):
                raise _incomplete(f"The Authorization header has no {required}.")
        access_key_id = fields["Credential"]
        signed_headers = fields["SignedHeaders"].split(";")
        if signed_headers != sorted(signed_headers) or any(h != h.lower() for h in signed_headers):
            raise _incomplete("SignedHeaders must be lowercase names in sorted order.")
        unsigned = [h for h in headers if (h.startswith("x-acs-") or h == "host") and h not in signed_headers]
        if unsigned:
            raise _incomplete(f"Header(s) {', '.join(sorted(unsigned))} must be signed.")
        secret = self._secret(access_key_id)
        date = headers.get("x-acs-date")
        if not date:
            raise _missing("x-acs-date")
        self._check_time(date)
        nonce = headers.get("x-acs-signature-nonce", "")
        if not nonce:
            raise _missing("SignatureNonce")
        payload_hash = hashlib.sha256(body).hexdigest()
        canonical = v3_canonical_request(method, unquote(path) or "/", query, headers, signed_headers,
                                         payload_hash)
        string_to_sign = v3_string_to_sign(canonical)
        if not hmac.compare_digest(v3_signature(secret, string_to_sign), fields["Signature"].lower()):
            raise _signature_mismatch(string_to_sign)
        self._use_nonce(access_key_id, nonce)
        return VerifiedRequest(access_key_id, "v3", nonce)

    # V2 ------------------------------------------------------------------------------------
    def _verify_v2(self, method: str, params: dict[str, str]) -> VerifiedRequest:
        for required in ("AccessKeyId", "Signature"):
            if not params.get(required):
                raise _missing(required)
        access_key_id = params["AccessKeyId"]
        sig_method = params.get("SignatureMethod", "")
        if sig_method != V2_METHOD:
            if not sig_method:
                raise _missing("SignatureMethod")
            raise _incomplete(f"Unsupported SignatureMethod {sig_method!r}; use {V2_METHOD}.")
        secret = self._secret(access_key_id)
        timestamp = params.get("Timestamp")
        if not timestamp:
            raise _missing("Timestamp")
        self._check_time(timestamp)
        nonce = params.get("SignatureNonce", "")
        if not nonce:
            raise _missing("SignatureNonce")
        string_to_sign = v2_string_to_sign(method, params)
        if not hmac.compare_digest(v2_signature(secret, string_to_sign), params["Signature"]):
            raise _signature_mismatch(string_to_sign)
        self._use_nonce(access_key_id, nonce)
        return VerifiedRequest(access_key_id, "v2", nonce)

    # shared --------------------------------------------------------------------------------
    def _secret(self, access_key_id: str) -> str:
        secret = self.credentials.get(access_key_id)
        if secret is None:
            raise CloudError(*ACCESS_KEY_NOT_FOUND)
        return secret

    def _check_time(self, text: str) -> None:
        if abs(self.clock() - _parse_timestamp(text)) > self.max_skew:
            raise CloudError(*TIMESTAMP_EXPIRED)

    def _use_nonce(self, access_key_id: str, nonce: str) -> None:
        if not self.check_nonce:
            return
        now = self.clock()
        if self.nonce_store is not None:
            # both sides of the skew window: a nonce signed up to max_skew in the future stays valid
            if not self.nonce_store(access_key_id, nonce, now, now - 2 * self.max_skew):
                raise CloudError(*NONCE_USED)
            return
        key = (access_key_id, nonce)
        with self._lock:
            if now - self._last_purge > 60:
                # Entries older than the skew window can never be replayed: their timestamp is refused.
                horizon = now - 2 * self.max_skew
                self._nonces = {k: t for k, t in self._nonces.items() if t >= horizon}
                self._last_purge = now
            if key in self._nonces:
                raise CloudError(*NONCE_USED)
            self._nonces[key] = now
