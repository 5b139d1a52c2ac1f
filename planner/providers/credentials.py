"""Where a run's HTTP cloud is and which keys it signs with, resolved as the alicloud provider does.

Order (first found wins, per value):

* access key / secret: the provider block's ``access_key`` / ``secret_key``, then the environment
  ``ALIBABA_CLOUD_ACCESS_KEY_ID`` / ``ALIBABA_CLOUD_ACCESS_KEY_SECRET``, then ``ALICLOUD_ACCESS_KEY`` /
  ``ALICLOUD_SECRET_KEY``; an STS token from ``ALIBABA_CLOUD_SECURITY_TOKEN`` / ``ALICLOUD_SECURITY_TOKEN``;
* region: the block's ``region``, then ``ALICLOUD_REGION``, then ``ALIBABA_CLOUD_REGION_ID``;
* endpoints: the block's ``endpoints { slb = ... vpc = ... ecs = ... }``.

clbplan only talks HTTP when asked: an ``endpoints`` block (a served emulator such as
``127.0.0.1:8089`` is the usual case), or ``CLBPLAN_REAL_CLOUD=1`` in the environment for Alibaba
Cloud's public endpoints. Without either, the embedded emulator is used and no key is needed.

The keys live only in :class:`Credentials`, whose ``repr`` hides them, and :func:`scrub` removes them
from any text that might reach a message.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from planner.config.model import Configuration, ProviderConfig
from planner.diagnostics import Diagnostic, DiagnosticsError, SourcePos

__all__ = [
    "PRODUCTS",
    "REAL_CLOUD_ENV",
    "Credentials",
    "Endpoint",
    "HttpTarget",
    "check_provider_targets",
    "parse_endpoint",
    "resolve_target",
    "scrub",
]

#: endpoints-block key -> product name at the transport seam
PRODUCTS: dict[str, str] = {"slb": "Slb", "vpc": "Vpc", "ecs": "Ecs"}
REAL_CLOUD_ENV = "CLBPLAN_REAL_CLOUD"
DEFAULT_REGION = "cn-hangzhou"

_ACCESS_KEY_ENV = ("ALIBABA_CLOUD_ACCESS_KEY_ID", "ALICLOUD_ACCESS_KEY")
_SECRET_KEY_ENV = ("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "ALICLOUD_SECRET_KEY")
_TOKEN_ENV = ("ALIBABA_CLOUD_SECURITY_TOKEN", "ALICLOUD_SECURITY_TOKEN")
_REGION_ENV = ("ALICLOUD_REGION", "ALIBABA_CLOUD_REGION_ID")


@dataclass(frozen=True)
class Credentials:
    """An access key pair (and optional STS token). Never printed: ``repr`` shows the key id's tail only."""

    access_key_id: str = field(repr=False)
    access_key_secret: str = field(repr=False)
    security_token: str | None = field(default=None, repr=False)

    def __repr__(self) -> str:
        tail = self.access_key_id[-3:] if len(self.access_key_id) > 6 else ""
        return f"Credentials(access_key_id='***{tail}', access_key_secret='***'" + (
            ", security_token='***')" if self.security_token else ")")

    def secrets(self) -> list[str]:
        """Every string that must never appear in output (longest first, for scrubbing)."""
        vals = [self.access_key_id, self.access_key_secret, self.security_token or ""]
        return sorted((v for v in vals if v), key=len, reverse=True)


@dataclass(frozen=True)
class Endpoint:
    """One product's endpoint: ``host[:port]`` as the SDK's ``Config.endpoint`` takes it, and the scheme."""

    host: str
    protocol: str  # "http" | "https"

    @property
    def url(self) -> str:
        return f"{self.protocol}://{self.host}"

    def __str__(self) -> str:
        return self.url


@dataclass(frozen=True)
class HttpTarget:
    """A resolved HTTP cloud for one provider configuration."""

    provider_key: str
    region: str
    endpoints: dict[str, Endpoint]  # product ("Slb", "Vpc", "Ecs") -> endpoint
    credentials: Credentials
    real_cloud: bool
    pos: SourcePos | None = None

    def describe(self) -> str:
        """Where the run goes, for messages (no credentials)."""
        hosts = sorted({str(e) for e in self.endpoints.values()})
        return ", ".join(hosts)


def scrub(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every secret replaced by ``***`` (so SDK messages can be shown safely)."""
    for s in secrets:
        if s and len(s) >= 3:
            text = text.replace(s, "***")
    return text


def _is_loopback_host(host: str) -> bool:
    import ipaddress

    name = host.strip("[]")
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def parse_endpoint(value: str) -> Endpoint:
    """``127.0.0.1:8089``, ``http://127.0.0.1:8089``, ``slb.aliyuncs.com`` -> Endpoint.

    Without a scheme, loopback hosts are plain HTTP (the served emulator has no TLS) and anything else
    is HTTPS. Raises ValueError for what is not a host.
    """
    raw = value.strip()
    if not raw:
        raise ValueError("the endpoint is empty")
    if "://" in raw:
        parts = urlsplit(raw)
        scheme = parts.scheme.lower()
        if scheme not in ("http", "https"):
            raise ValueError(f"the scheme {parts.scheme!r} is not http or https")
        if parts.path not in ("", "/") or parts.query or parts.fragment:
            raise ValueError("an endpoint is a host and port only, without a path or query")
        netloc = parts.netloc
    else:
        scheme = ""
        netloc = raw.rstrip("/")
    if not netloc or "/" in netloc or "@" in netloc or " " in netloc:
        raise ValueError("an endpoint is a host and port only, like 127.0.0.1:8089 or slb.aliyuncs.com")
    port = ""
    if netloc.startswith("["):  # [::1]:8089
        host_only, _, rest = netloc[1:].partition("]")
        port = rest[1:] if rest.startswith(":") else rest
    elif netloc.count(":") == 1:
        host_only, port = netloc.split(":")
    else:
        host_only = netloc
    if port and (not port.isdigit() or not 0 < int(port) < 65536):
        raise ValueError(f"the port {port!r} is not a number from 1 to 65535")
    if not scheme:
        scheme = "http" if _is_loopback_host(host_only) else "https"
    return Endpoint(netloc, scheme)


def _is_aliyun_host(host: str) -> bool:
    return host.split(":", 1)[0].lower().endswith(".aliyuncs.com")


def _first_env(env: Mapping[str, str], names: Iterable[str]) -> str | None:
    for n in names:
        v = env.get(n)
        if v:
            return v
    return None


def _truthy(v: str | None) -> bool:
    return (v or "").strip().lower() in ("1", "true", "yes", "on")


def resolve_target(pc: ProviderConfig | None, env: Mapping[str, str] | None = None) -> HttpTarget | None:
    """The HTTP cloud ``pc`` asks for, or None for the embedded emulator.

    Raises DiagnosticsError, located at the provider block, for an unusable endpoint, an unknown
    product in ``endpoints``, or missing credentials.
    """
    env = os.environ if env is None else env
    real = _truthy(env.get(REAL_CLOUD_ENV))
    configured = dict(pc.endpoints) if pc is not None and pc.endpoints else {}
    if not configured and not real:
        return None
    key = pc.key if pc is not None else "alicloud"
    pos = pc.pos if pc is not None else None
    block = 'provider "alicloud"' + (f" (alias {pc.alias})" if pc is not None and pc.alias else "")
    problems: list[Diagnostic] = []
    region = (pc.region if pc is not None and pc.region else None) or _first_env(env, _REGION_ENV) \
        or DEFAULT_REGION

    endpoints: dict[str, Endpoint] = {}
    for name, value in sorted(configured.items()):
        product = PRODUCTS.get(name.lower())
        if product is None:
            # other products of the real provider (oss, ram, ...) are not used by clbplan: ignore them
            continue
        try:
            endpoints[product] = parse_endpoint(value)
        except ValueError as e:
            problems.append(Diagnostic(
                f"{block}: endpoints.{name} = {value!r} is not a usable endpoint", pos, detail=str(e),
                hint='write it as "127.0.0.1:8089" (a served emulator) or "https://slb.aliyuncs.com"'))
    if configured and not endpoints and not problems:
        problems.append(Diagnostic(
            f"{block}: the endpoints block names none of slb, vpc, ecs", pos,
            hint='add slb = "127.0.0.1:8089" (and vpc, ecs) to point clbplan at a served emulator'))
    if problems:
        raise DiagnosticsError(problems)

    # products left out: Alibaba's public host when that is where the others go (or no block at all),
    # otherwise the same endpoint as the configured ones (a served emulator answers all three products)
    given = next(iter(endpoints.values()), None)
    for name, product in PRODUCTS.items():
        if product in endpoints:
            continue
        if given is None or _is_aliyun_host(given.host):
            endpoints[product] = Endpoint(f"{name}.{region}.aliyuncs.com", "https")
        else:
            endpoints[product] = given
    real_cloud = any(_is_aliyun_host(e.host) for e in endpoints.values())

    access_key = (pc.access_key if pc is not None and pc.access_key else None) or _first_env(env, _ACCESS_KEY_ENV)
    secret_key = (pc.secret_key if pc is not None and pc.secret_key else None) or _first_env(env, _SECRET_KEY_ENV)
    if not access_key or not secret_key:
        missing = " and ".join(n for n, v in (("access_key", access_key), ("secret_key", secret_key)) if not v)
        where = ", ".join(sorted({str(e) for e in endpoints.values()}))
        raise DiagnosticsError([Diagnostic(
            f"{block}: no {missing} for the configured endpoint {where}", pos,
            detail="clbplan signs every request to an HTTP endpoint and found no credentials for it in the "
                   "provider block or the environment.",
            hint="set ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET (or ALICLOUD_ACCESS_KEY "
                 "and ALICLOUD_SECRET_KEY) in the environment, or access_key/secret_key in the provider "
                 "block; a served emulator's keys are printed by `clbplan emulator serve`")])
    token = _first_env(env, _TOKEN_ENV)
    return HttpTarget(key, region, endpoints, Credentials(access_key, secret_key, token), real_cloud, pos)


def check_provider_targets(config: Configuration, env: Mapping[str, str] | None = None) -> None:
    """Refuse a configuration whose resources use an aliased provider that points at another cloud.

    The planner drives one cloud; a resource with ``provider = alicloud.x`` is applied through it in
    ``alicloud.x``'s own region (regions may differ: every call carries its RegionId). Another
    endpoint or other keys would be a second cloud: that raises a located error instead of silently
    applying to the wrong place.
    """
    default = config.providers.get("alicloud")
    base = resolve_target(default, env)
    problems: list[Diagnostic] = []
    used = {inst.provider for inst in config.resources.values()}
    for key in sorted(used - {"alicloud"}):
        pc = config.providers.get(key)
        if pc is None:
            continue
        other = resolve_target(pc, env)
        same = (base is None and other is None) or (
            base is not None and other is not None and base.endpoints == other.endpoints
            and base.credentials == other.credentials)
        if not same:
            problems.append(Diagnostic(
                f"provider {key} points at a different cloud or key than provider alicloud", pc.pos,
                detail="clbplan applies every resource to one cloud (each in its provider's region).",
                hint=f"give {key} the same endpoints and credentials as the default provider (its region may "
                     "differ), or manage its resources from a separate directory"))
    if problems:
        raise DiagnosticsError(problems)
