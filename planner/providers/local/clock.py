"""Time values as the time provider writes them: Go durations and RFC 3339 timestamps (UTC, seconds)."""

from __future__ import annotations

import calendar
import re
from datetime import UTC, datetime, timedelta

_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "μs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)")


def parse_duration(text: str) -> float:
    """Seconds in a Go duration (``30s``, ``1h30m``, ``1.5m``, ``-2s``); ValueError otherwise."""
    s = text.strip()
    sign = -1.0 if s.startswith("-") else 1.0
    s = s.lstrip("+-")
    if s == "0":
        return 0.0
    if not s:
        raise ValueError(f'"{text}" is not a duration such as "30s", "5m" or "1h30m"')
    total, pos = 0.0, 0
    for m in _PART.finditer(s):
        if m.start() != pos:
            break
        total += float(m.group(1)) * _UNITS[m.group(2)]
        pos = m.end()
    if pos != len(s):
        raise ValueError(f'"{text}" is not a duration such as "30s", "5m" or "1h30m"')
    return sign * total


def parse_rfc3339(text: str) -> datetime:
    t = text.strip()
    if t.endswith(("Z", "z")):
        t = t[:-1] + "+00:00"
    if "T" not in t and "t" not in t:
        raise ValueError(text)
    dt = datetime.fromisoformat(t)
    if dt.tzinfo is None:
        raise ValueError(text)
    return dt


def format_rfc3339(dt: datetime) -> str:
    """``2026-01-02T15:04:05Z``: the time provider's form (UTC, whole seconds)."""
    return dt.astimezone(UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def add_months(dt: datetime, months: int) -> datetime:
    """Go's AddDate: the day overflows into the next month (Jan 31 + 1 month = Mar 3)."""
    y, m = divmod(dt.month - 1 + months, 12)
    first = dt.replace(year=dt.year + y, month=m + 1, day=1)
    return first + timedelta(days=dt.day - 1)


def date_parts(dt: datetime) -> dict[str, int]:
    u = dt.astimezone(UTC)
    return {"year": u.year, "month": u.month, "day": u.day, "hour": u.hour, "minute": u.minute,
            "second": u.second, "unix": calendar.timegm(u.timetuple())}
