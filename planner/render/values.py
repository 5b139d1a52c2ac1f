"""How every plan view writes one value (HCL-ish literals, ``(sensitive value)``, ``(known after
apply)``): the text plan, the drift notes and the Markdown comment must write a value alike."""

from __future__ import annotations

import json
from typing import Any

from planner.values import is_unknown

SENSITIVE = "(sensitive value)"
KNOWN_AFTER = "(known after apply)"
# json.dumps(s, ensure_ascii=False) without a new encoder per call: a 10,000-LB plan's text quotes a
# million strings, and building the encoders was a sixth of its rendering
_quoted = json.encoder.encode_basestring


def fmt_value(value: Any, sensitive: bool = False) -> str:
    """One value in HCL-ish literal form."""
    if sensitive:
        return SENSITIVE
    if is_unknown(value):
        return KNOWN_AFTER
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return json.dumps(value)
    if isinstance(value, str):
        return _quoted(value)
    if isinstance(value, (list, tuple, set, frozenset)):
        items = list(value) if not isinstance(value, (set, frozenset)) else sorted(value, key=str)
        return "[" + ", ".join(fmt_value(v) for v in items) + "]"
    if isinstance(value, dict):
        if not value:
            return "{}"
        return "{ " + ", ".join(f"{k} = {fmt_value(value[k])}" for k in sorted(value)) + " }"
    return json.dumps(str(value))
