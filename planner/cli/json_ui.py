"""Terraform's machine-readable UI: ``plan -json``, ``apply -json``, ``destroy -json``.

One JSON object per line on stdout, as ``internal/command/views/json_view.go`` writes them: the
envelope ``@level``, ``@message``, ``@module`` (``terraform.ui``), ``@timestamp`` (RFC 3339, µs, Z) and
``type``, plus the type's payload (``version``, ``planned_change``, ``change_summary``, ``outputs``,
``apply_start``/``apply_progress``/``apply_complete``/``apply_errored``, ``refresh_start``/
``refresh_complete``, ``diagnostic``). Top-level keys are sorted, as Terraform's logger sorts them;
payloads keep Terraform's field order. Every line is scrubbed of the run's secrets.

While a ``-json`` command runs, ``active()`` is true: the process edge (``planner.cli.main``) then
reports errors as ``diagnostic`` messages on stdout instead of text on stderr; exit codes are
unchanged.
"""

from __future__ import annotations

import datetime
import json
import threading
from typing import Any

import click

from planner import redact
from planner.addresses import ResourceAddress
from planner.diagnostics import Diagnostic
from planner.version import CLBPLAN_VERSION, TERRAFORM_LANGUAGE_VERSION

UI_VERSION = "1.2"  # Terraform's JSON_UI_VERSION
_state = threading.local()
_lock = threading.Lock()


def active() -> bool:
    """A -json command is running in this process (errors go out as ``diagnostic`` messages)."""
    return bool(getattr(_state, "on", False))


def start() -> None:
    """Begin the stream: from here on errors are diagnostics; the first line is ``version``."""
    _state.on = True
    emit("version", f"clbplan {CLBPLAN_VERSION} (Terraform {TERRAFORM_LANGUAGE_VERSION} language)",
         terraform=TERRAFORM_LANGUAGE_VERSION, ui=UI_VERSION, clbplan=CLBPLAN_VERSION)


def stop() -> None:
    _state.on = False


def timestamp() -> str:
    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def message_line(type_: str, message: str, level: str = "info", **payload: Any) -> str:
    """One message as its line (without the newline), stamped now and scrubbed."""
    doc = {"@level": level, "@message": message, "@module": "terraform.ui", "@timestamp": timestamp(),
           **payload, "type": type_}
    return json.dumps(redact.scrub_doc({k: doc[k] for k in sorted(doc)}), separators=(",", ":"),
                      ensure_ascii=False)


def emit(type_: str, message: str, level: str = "info", **payload: Any) -> None:
    """Write one message line to stdout."""
    line = message_line(type_, message, level, **payload)
    with _lock:
        click.echo(line)


# -- payloads ------------------------------------------------------------------------------------

def resource_json(addr: ResourceAddress) -> dict:
    """Terraform's resource object (json/resource_addr.go)."""
    return {"addr": str(addr), "module": addr.module_address, "resource": addr.local,
            "implied_provider": addr.type.split("_", 1)[0], "resource_type": addr.type,
            "resource_name": addr.name, "resource_key": addr.key}


def diagnostic(d: Diagnostic) -> None:
    from planner.cli.validate_cmd import diagnostic_json

    word = "Error" if d.severity == "error" else "Warning"
    emit("diagnostic", f"{word}: {d.summary}", "error" if d.severity == "error" else "warn",
         diagnostic=diagnostic_json(d))


def error(summary: str, detail: str = "") -> None:
    """An error that is not a configuration finding (a failed operation, a refused command)."""
    emit("diagnostic", f"Error: {summary}", "error",
         diagnostic={"severity": "error", "summary": summary, "detail": detail})


_REASONS = {
    "replace_because_cannot_update": "cannot_update",
    "replace_because_tainted": "tainted",
    "replace_by_request": "requested",
    "replace_by_triggers": "replace_triggered_by",
}


def change_action(change: Any) -> str | None:
    """The UI's action word for a planned change (json/change.go), None when it is not shown."""
    from planner.plan.model import Action

    action = change.action
    if action is Action.NOOP:
        return "move" if change.previous_address is not None else None
    if action is Action.READ:
        return "read"
    if action is Action.FORGET:
        return "remove"
    if action in (Action.DELETE_THEN_CREATE, Action.CREATE_THEN_DELETE):
        return "replace"
    if action is Action.DELETE and change.address.mode == "data":
        return None  # data-source deletes are never shown
    return action.value


def planned_changes(plan: Any) -> None:
    for c in plan.changes:
        action = change_action(c)
        if action is None:
            continue
        payload: dict[str, Any] = {"resource": resource_json(c.address)}
        if c.previous_address is not None and c.previous_address != c.address:
            payload["previous_resource"] = resource_json(c.previous_address)
        payload["action"] = action
        reason = _REASONS.get(c.action_reason, c.action_reason if c.action_reason.startswith(
            ("delete_because_", "read_because_")) else "")
        if reason:
            payload["reason"] = reason
        verb = {"move": "move", "remove": "remove"}.get(action, action)
        emit("planned_change", f"{c.address}: Plan to {verb}", change=payload)


def change_summary(operation: str, add: int, change: int, remove: int) -> None:
    """``Plan: ...`` / ``Apply complete! ...`` / ``Destroy complete! ...`` (json/change_summary.go)."""
    if operation == "plan":
        message = f"Plan: {add} to add, {change} to change, {remove} to destroy."
    elif operation == "destroy":
        message = f"Destroy complete! Resources: {remove} destroyed."
    else:
        message = f"Apply complete! Resources: {add} added, {change} changed, {remove} destroyed."
    emit("change_summary", message, changes={"add": add, "change": change, "import": 0, "remove": remove,
                                             "operation": operation})


def planned_outputs(planned: Any) -> None:
    """The plan's ``outputs`` message: each output's action, no values."""
    from planner.render.json_plan import output_changes

    changes, _ = output_changes(planned.config, planned.refreshed, planned.plan.destroy)
    if not changes:
        return
    words = {"no-op": "noop"}
    outs = {name: {"sensitive": bool(c["before_sensitive"] or c["after_sensitive"]),
                   "action": words.get(c["actions"][0], c["actions"][0])} for name, c in sorted(changes.items())}
    emit("outputs", f"Outputs: {len(outs)}", outputs=outs)


def _sorted(value: Any) -> Any:
    """Object attributes in name order, as cty's JSON writes them."""
    if isinstance(value, dict):
        return {str(k): _sorted(value[k]) for k in sorted(value, key=str)}
    if isinstance(value, (list, tuple)):
        return [_sorted(v) for v in value]
    return value


def applied_outputs(outputs: dict) -> None:
    """The apply's ``outputs`` message: types and values, no value for a sensitive output."""
    from planner.config.types import cty_type  # deferred: not every command loads the language

    outs = {}
    for name in sorted(outputs):
        o = outputs[name]
        entry: dict[str, Any] = {"sensitive": bool(o.get("sensitive")), "type": o.get("type") or cty_type(o.get("value"))}
        if not o.get("sensitive"):
            entry["value"] = _sorted(o.get("value"))
        outs[name] = entry
    emit("outputs", f"Outputs: {len(outs)}", outputs=outs)


def refreshed(planned: Any) -> None:
    """``refresh_start``/``refresh_complete`` for each managed object the plan read back from the cloud
    (sent once the refresh is done: the engine refreshes before it reports)."""
    for addr in sorted(planned.refreshed.resources, key=str):
        if addr.mode != "managed":
            continue
        rs = planned.refreshed.resources[addr]
        hook = {"resource": resource_json(addr), "id_key": "id", "id_value": rs.id}
        emit("refresh_start", f"{addr}: Refreshing state... [id={rs.id}]", hook=hook)
        emit("refresh_complete", f"{addr}: Refresh complete [id={rs.id}]", hook=hook)


def hook_line(hook: Any) -> str:
    """A ``planner.cli.progress`` hook as its ``apply_*`` message's line."""
    payload: dict[str, Any] = {"resource": resource_json(hook.address), "action": hook.action}
    if hook.id_key:
        payload["id_key"], payload["id_value"] = hook.id_key, hook.id_value
    if hook.elapsed is not None:
        payload["elapsed_seconds"] = hook.elapsed
    return message_line(hook.type, hook.message, hook=payload)


__all__ = ["active", "applied_outputs", "change_summary", "diagnostic", "emit", "message_line", "error", "hook_line",
           "planned_changes", "planned_outputs", "refreshed", "resource_json", "start", "stop"]
