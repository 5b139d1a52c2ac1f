"""Compact JSON text, as ``json.dumps(value, separators=(",", ":"), ensure_ascii=False)`` writes it, by
orjson when it can: the journal encodes two records per operation of an apply and the provider a
JSON-in-a-string parameter per call, and ``json.dumps`` with options builds a new encoder every time
(a sixth of the apply walk's worker threads at 2,000 load balancers)."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import Any

import orjson

_OPTIONS = orjson.OPT_NON_STR_KEYS  # (json's str() of an int key)


def dumps(value: Any, default: Callable[[Any], Any] | None = None) -> str:
    """The text ``json.dumps`` gives with compact separators and ``ensure_ascii=False`` (a float's exponent
    may be written without json's leading zero, ``1e-7`` for ``1e-07``: the same number). What orjson
    refuses (an integer beyond 64 bits) or would write otherwise (NaN and infinities, which it writes as
    null) goes through ``json``."""
    try:
        text = orjson.dumps(value, default=default, option=_OPTIONS).decode()
    except TypeError:
        return _json(value, default)
    if "null" in text and _non_finite(value):
        return _json(value, default)
    return text


def _json(value: Any, default: Callable[[Any], Any] | None) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=default)


def _non_finite(v: Any) -> bool:
    if type(v) is float:
        return not math.isfinite(v)
    if isinstance(v, dict):
        return any(_non_finite(x) for x in v.values())
    if isinstance(v, (list, tuple)):
        return any(_non_finite(x) for x in v)
    return False
