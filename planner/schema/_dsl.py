"""Short constructors so each resource module reads as a table of arguments, not as code.

``R`` required, ``O`` optional, ``OC`` optional+computed (the cloud fills it when unset),
``C`` computed only (read-only), ``ALIAS`` a deprecated spelling moved to its canonical name,
``GONE`` an argument the provider removed. Value checks (``length``, ``one_of_list``...) return
an error sentence or None, as ``Attribute.check`` expects.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from typing import Any

from planner.schema.base import Attribute, BlockType

PORT = ((1, 65535),)
WEIGHT = ((0, 100),)
ON_OFF = ("on", "off")


def R(name: str, type: str = "string", **kw: Any) -> Attribute:
    return Attribute(name, type, required=True, optional=False, **kw)


def O(name: str, type: str = "string", **kw: Any) -> Attribute:  # noqa: E743 (table shorthand)
    return Attribute(name, type, **kw)


def OC(name: str, type: str = "string", **kw: Any) -> Attribute:
    return Attribute(name, type, computed=True, **kw)


def C(name: str, type: str = "string", **kw: Any) -> Attribute:
    return Attribute(name, type, optional=False, computed=True, **kw)


def ALIAS(name: str, canonical: str, type: str = "string", **kw: Any) -> Attribute:
    """A deprecated spelling. Optional+Computed so the provider may still report it on read."""
    return Attribute(name, type, computed=True, alias_of=canonical,
                     deprecated=f'"{name}" is deprecated; use "{canonical}" instead', **kw)


def SPELLING(name: str, canonical: str, type: str = "string", **kw: Any) -> Attribute:
    """A second current spelling (the provider serves one resource under two names with both sets
    of arguments): moved to ``canonical`` like an alias, without a deprecation warning."""
    return Attribute(name, type, computed=True, alias_of=canonical, **kw)


def GONE(name: str, message: str) -> Attribute:
    return Attribute(name, "string", optional=False, removed=message)


def table(*items: Attribute) -> dict[str, Attribute]:
    """Attributes by name; every resource gets the computed ``id``."""
    out = {"id": C("id")}
    for a in items:
        out[a.name] = a
    return out


def block(name: str, *items: Attribute, **kw: Any) -> BlockType:
    return BlockType(name, {a.name: a for a in items}, **kw)


# ----------------------------------------------------------------------------- value checks

def length(lo: int, hi: int) -> Callable[[Any], str | None]:
    def check(v: Any) -> str | None:
        if isinstance(v, str) and not lo <= len(v) <= hi:
            return f"must be {lo} to {hi} characters long (got {len(v)})"
        return None
    return check


def matches(regex: str, what: str) -> Callable[[Any], str | None]:
    rx = re.compile(regex)

    def check(v: Any) -> str | None:
        if isinstance(v, str) and not rx.fullmatch(v):
            return what
        return None
    return check


def all_of(*checks: Callable[[Any], str | None]) -> Callable[[Any], str | None]:
    def check(v: Any) -> str | None:
        for c in checks:
            msg = c(v)
            if msg:
                return msg
        return None
    return check


def one_of_ci(*values: str) -> Callable[[Any], str | None]:
    """Case-insensitive enumeration (the provider accepts ``paybytraffic`` and ``PayByTraffic``)."""
    low = {v.lower() for v in values}

    def check(v: Any) -> str | None:
        if isinstance(v, str) and v.lower() not in low:
            return f"must be one of {', '.join(values)} (any case)"
        return None
    return check


def comma_list_of(*values: str) -> Callable[[Any], str | None]:
    allowed = set(values)

    def check(v: Any) -> str | None:
        if not isinstance(v, str):
            return None
        bad = [p for p in v.split(",") if p.strip() not in allowed]
        if bad:
            return f"contains {bad[0]!r}; use a comma-separated list of {', '.join(values)}"
        return None
    return check


def cidr(v: Any) -> str | None:
    if not isinstance(v, str):
        return None
    try:
        ipaddress.ip_network(v, strict=False)
    except ValueError:
        return "is not an IP address or CIDR block such as 10.0.0.0/8 or 192.168.1.10/32"
    return None


def strict_cidr(v: Any) -> str | None:
    if not isinstance(v, str):
        return None
    try:
        ipaddress.ip_network(v, strict=True)
    except ValueError:
        return "is not a CIDR block such as 172.16.0.0/12 (host bits must be zero)"
    return None


def pem(kind: str) -> Callable[[Any], str | None]:
    def check(v: Any) -> str | None:
        if isinstance(v, str) and "-----BEGIN" not in v:
            return f"is not PEM-encoded (expected a -----BEGIN ...{kind}----- block)"
        return None
    return check


# Names the CLB API accepts for load balancers and certificates: start with a letter.
LB_NAME = all_of(length(1, 80), matches(r"[A-Za-z\u4e00-\u9fff][\w.\-\u4e00-\u9fff]*",
                                          "must start with a letter and use only letters, digits, '.', '_' and '-'"))
URI = all_of(length(1, 80), matches(r"/[A-Za-z0-9\-/.%?#&=_]*",
                                    "must start with '/' and use only letters, digits and -/.%?#&=_"))
