"""clbplan's own log, switched on as Terraform's is: ``TF_LOG`` (or ``CLBPLAN_LOG``) and ``TF_LOG_PATH``.

Levels are Terraform's names (TRACE, DEBUG, INFO, WARN, ERROR; JSON is TRACE as one JSON object per
line; OFF or empty disables). Lines look like Terraform's, ``2026-01-02T03:04:05.678Z [DEBUG] ...``,
on stderr or appended to TF_LOG_PATH. What is logged: each API call with its parameters and
timing, the phases of a run with their timings. Secrets never: every parameter whose name says
secret, password, private key or access key is masked before it reaches a handler.
"""

from __future__ import annotations

import json
import logging
import os
import re
import time
from collections.abc import Mapping
from typing import Any

log = logging.getLogger("clbplan")

TRACE = 5
logging.addLevelName(TRACE, "TRACE")
_LEVELS = {"TRACE": TRACE, "DEBUG": logging.DEBUG, "INFO": logging.INFO, "WARN": logging.WARNING,
           "WARNING": logging.WARNING, "ERROR": logging.ERROR, "JSON": TRACE}
_SECRET_NAME = re.compile(r"secret|password|passwd|private_?key|access_?key|credential|token(?<!clienttoken)",
                          re.IGNORECASE)
MASK = "(sensitive value)"
_HANDLER_MARK = "_clbplan_tf_log"


class _TerraformStyle(logging.Formatter):
    def __init__(self, as_json: bool):
        super().__init__()
        self.as_json = as_json

    def format(self, record: logging.LogRecord) -> str:
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z"
        level = "WARN" if record.levelname == "WARNING" else record.levelname
        if self.as_json:
            doc = {"@level": level.lower(), "@message": record.getMessage(), "@module": record.name,
                   "@timestamp": stamp}
            doc.update(getattr(record, "fields", {}) or {})
            return json.dumps(doc, default=str)
        return f"{stamp} [{level}] {record.name}: {record.getMessage()}"


def configure(env: Mapping[str, str] | None = None) -> None:
    """(Re)configure the ``clbplan`` logger from the environment; called once per command."""
    env = os.environ if env is None else env
    for h in [h for h in log.handlers if getattr(h, _HANDLER_MARK, False)]:
        log.removeHandler(h)
        h.close()
    raw = (env.get("CLBPLAN_LOG") or env.get("TF_LOG") or "").strip().upper()
    if raw in ("", "OFF", "0", "FALSE"):
        log.setLevel(logging.WARNING)
        log.propagate = True
        return
    level = _LEVELS.get(raw, TRACE)  # Terraform treats an unknown level as TRACE
    path = env.get("TF_LOG_PATH")
    handler: logging.Handler = logging.FileHandler(path, encoding="utf-8") if path else logging.StreamHandler()
    handler.setFormatter(_TerraformStyle(raw == "JSON"))
    setattr(handler, _HANDLER_MARK, True)
    log.addHandler(handler)
    log.setLevel(level)
    log.propagate = False


def redact(params: Mapping[str, Any]) -> dict:
    """A copy of API parameters with every secret-looking value masked (nested maps included)."""
    out: dict = {}
    for k, v in params.items():
        if _SECRET_NAME.search(str(k)):
            out[k] = MASK
        elif isinstance(v, Mapping):
            out[k] = redact(v)
        else:
            out[k] = v
    return out


def log_call(product: str, action: str, params: Mapping[str, Any], attempt: int, started: float,
             error: BaseException | None = None) -> None:
    """One API call: parameters (redacted) at TRACE, outcome and timing at DEBUG."""
    if not log.isEnabledFor(logging.DEBUG):
        return
    ms = (time.monotonic() - started) * 1000
    fields = {"product": product, "action": action, "attempt": attempt, "elapsed_ms": round(ms, 1)}
    if log.isEnabledFor(TRACE):
        log.log(TRACE, "api call %s.%s params=%s", product, action,
                json.dumps(redact(params), sort_keys=True, default=str), extra={"fields": fields})
    if error is None:
        log.debug("api call %s.%s attempt %d ok in %.1fms", product, action, attempt, ms, extra={"fields": fields})
    else:
        code = getattr(error, "code", None) or error.__class__.__name__
        log.debug("api call %s.%s attempt %d failed in %.1fms: %s", product, action, attempt, ms, code,
                  extra={"fields": {**fields, "error": code}})
