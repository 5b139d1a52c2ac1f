"""Request parameters as the real gateway reads them.

Names are matched case-insensitively (the API itself mixes ``healthCheckInterval`` and
``HealthCheckInterval``); values arrive as strings (Python values are ``str()``-ed first, so a
boolean is ``True``); lists arrive flattened (``Tag.1.Key``, ``LoadBalancerId.1``) or as
JSON-in-a-string in one of three dialects (standard JSON, single-quoted pseudo-JSON, Go output
with numbers). Parameters the action does not define are simply never asked for.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from typing import Any

from planner.emulator.codes import err, invalid, missing
from planner.emulator.errors import CloudError

_FLAT = re.compile(r"^(.*?)\.(\d+)(?:\.(.+))?$")


ErrorFactory = Callable[[], CloudError]


def _fail(error: ErrorFactory | None, name: str) -> CloudError:
    """Errors are built only when raised: building one costs more than the whole check."""
    return error() if error is not None else invalid(name)


def _to_str(v: Any) -> str:
    if isinstance(v, str):
        return v
    if isinstance(v, (list, dict)):
        return json.dumps(v)
    return str(v)


def parse_json_list(text: str) -> Any:
    """Parse a JSON-in-string value in any of the three dialects; raise ValueError if none fits."""
    try:
        return json.loads(text)
    except ValueError:
        pass
    # Old Go SDK and the provider's literals: single quotes, sometimes a space after commas.
    return json.loads(text.replace("'", '"'))


class Params:
    """Case-insensitive view of one request's parameters."""

    __slots__ = ("_d", "_flat_cache")

    def __init__(self, raw: Mapping[str, Any]):
        d: dict[str, str] = {}
        for k, v in raw.items():
            if v is None:
                continue
            d[str(k).lower()] = _to_str(v)
        self._d = d
        self._flat_cache: dict[str, list[tuple[int, str | None, str]]] | None = None

    # --- scalars ------------------------------------------------------------------------
    def has(self, name: str) -> bool:
        """True when the parameter was sent with a non-empty value."""
        return bool(self._d.get(name.lower(), ""))

    def get(self, name: str, default: str | None = None) -> str | None:
        v = self._d.get(name.lower())
        return v if v not in (None, "") else default

    def raw(self, name: str) -> str | None:
        """The value even when empty (some parameters may legitimately be set to "")."""
        return self._d.get(name.lower())

    def req(self, name: str) -> str:
        v = self._d.get(name.lower())
        if v is None or v == "":
            raise missing(name)
        return v

    def int(self, name: str, lo: int | None = None, hi: int | None = None, *, default: int | None = None,
            required: bool = False, error: ErrorFactory | None = None, allowed: tuple[int, ...] = ()) -> int | None:
        """An integer parameter within [lo, hi] (or one of ``allowed``); ``error`` (a factory)
        replaces the generic InvalidParameter when the real API has a specific code."""
        v = self.req(name) if required else self.get(name)
        if v is None:
            return default
        try:
            n = int(v.strip())
        except ValueError:
            raise _fail(error, name)
        if n in allowed:
            return n
        if (lo is not None and n < lo) or (hi is not None and n > hi):
            raise _fail(error, name)
        return n

    def enum(self, name: str, values: tuple[str, ...], *, default: str | None = None,
             required: bool = False, error: ErrorFactory | None = None) -> str | None:
        """One of ``values``; matched case-insensitively, returned in the canonical spelling."""
        v = self.req(name) if required else self.get(name)
        if v is None:
            return default
        low = v.strip().lower()
        for cand in values:
            if cand.lower() == low:
                return cand
        raise _fail(error, name)

    def onoff(self, name: str, *, default: str | None = None, required: bool = False) -> str | None:
        return self.enum(name, ("on", "off"), default=default, required=required)

    def bool(self, name: str, default: bool = False) -> bool:
        v = self.get(name)
        if v is None:
            return default
        low = v.strip().lower()
        if low in ("true", "1"):
            return True
        if low in ("false", "0"):
            return False
        raise invalid(name)

    # --- lists --------------------------------------------------------------------------
    def _flat(self) -> dict[str, list[tuple[int, str | None, str]]]:
        if self._flat_cache is None:
            out: dict[str, list[tuple[int, str | None, str]]] = {}
            for k, v in self._d.items():
                m = _FLAT.match(k)
                if m:
                    out.setdefault(m.group(1), []).append((int(m.group(2)), m.group(3), v))
            self._flat_cache = out
        return self._flat_cache

    def flat(self, name: str) -> list[str]:
        """``Name.1``, ``Name.2``... in index order; also accepts a JSON list or a comma list under
        ``Name`` itself (both appear on the wire for the same logical parameter)."""
        items = [(i, v) for i, sub, v in self._flat().get(name.lower(), []) if sub is None and v != ""]
        if items:
            return [v for _, v in sorted(items)]
        v = self.get(name)
        if v is None:
            return []
        s = v.strip()
        if s.startswith("["):
            try:
                val = parse_json_list(s)
            except ValueError:
                raise invalid(name)
            if not isinstance(val, list):
                raise invalid(name)
            return [str(x) for x in val]
        return [x.strip() for x in s.split(",") if x.strip()]

    def flat_objects(self, name: str) -> list[dict[str, str]]:
        """``Tag.1.Key``/``Tag.1.Value`` -> ``[{"Key":..., "Value":...}]`` (keys as sent, case kept
        lower; callers ask with ``.get`` on lower-case names)."""
        groups: dict[int, dict[str, str]] = {}
        for i, sub, v in self._flat().get(name.lower(), []):
            if sub is not None:
                groups.setdefault(i, {})[sub.lower()] = v
        return [groups[i] for i in sorted(groups)]

    def tags(self, name: str = "Tag", limit: int = 20) -> list[dict[str, str]]:
        """``Tag.N.Key/Value`` pairs validated as the tag service does."""
        out: list[dict[str, str]] = []
        seen: set[str] = set()
        for obj in self.flat_objects(name):
            key = obj.get("key", "")
            value = obj.get("value", "")
            check_tag(key, value)
            if key in seen:
                raise err("Duplicate.TagKey")
            seen.add(key)
            out.append({"TagKey": key, "TagValue": value})
        if len(out) > limit:
            raise err("SizeLimitExceeded.Tag")
        return out

    def json_list(self, name: str, *, malformed: ErrorFactory, required: bool = True) -> list[Any] | None:
        """A JSON-in-string list parameter in any of the three dialects."""
        v = self.req(name) if required else self.get(name)
        if v is None:
            return None
        try:
            val = parse_json_list(v)
        except ValueError:
            raise malformed()
        if isinstance(val, dict):
            val = [val]
        if not isinstance(val, list):
            raise malformed()
        return val

    def items(self) -> list[tuple[str, str]]:
        return sorted(self._d.items())


def check_tag(key: str, value: str) -> None:
    """Tag key/value rules shared by every tagging entry point."""
    low = key.lower()
    if (not key or len(key) > 64 or low.startswith("aliyun") or low.startswith("acs:")
            or "http://" in low or "https://" in low):
        raise err("InvalidParam.TagKey")
    vlow = value.lower()
    if (len(value) > 128 or vlow.startswith("aliyun") or vlow.startswith("acs:")
            or "http://" in vlow or "https://" in vlow):
        raise err("InvalidParam.TagValue")
