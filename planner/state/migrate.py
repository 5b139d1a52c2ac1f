"""``clbplan init -migrate-state``: move every workspace's state (and its unfinished journal) from the
backend the directory was last initialised with to the one the configuration names now.

Why init and not a silent switch: changing ``backend`` without moving the state would make the next
plan create everything again beside what the old state tracks. So, as in Terraform, ``init`` notices
the change (the last backend is recorded in ``.terraform/clbplan-backend.json``, its arguments as
written in the configuration: a password given through PG_CONN_STR/PGPASSWORD is never stored) and
refuses to go on until told: ``-migrate-state`` copies, ``-reconfigure`` starts from the new backend's
own state. A destination that already holds an unrelated or newer state is refused unless
``-force-copy``. The source is left as it was.

Pending journal intents travel with the state (same tokens), so an apply killed before the move is
still recovered after it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from planner.config.terraform_block import BackendConfig
from planner.diagnostics import Diagnostic, DiagnosticsError
from planner.state import workspaces as ws

RECORD = "clbplan-backend.json"


def _record_path(workdir: Path) -> Path:
    return ws._data_dir(workdir) / RECORD


def recorded_backend(workdir: Path) -> BackendConfig | None:
    try:
        doc = json.loads(_record_path(workdir).read_text(encoding="utf-8"))
        return BackendConfig(str(doc["type"]), dict(doc.get("config") or {}))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def record_backend(workdir: Path, backend: BackendConfig) -> None:
    p = _record_path(workdir)
    if backend.type == "local" and not backend.config and not p.exists():
        return  # the implicit default: nothing to remember, and no .terraform folder made for it
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(json.dumps({"type": backend.type, "config": backend.config}, indent=2, sort_keys=True) + "\n",
                 encoding="utf-8")


def _same(a: BackendConfig, b: BackendConfig) -> bool:
    return a.type == b.type and (a.config or {}) == (b.config or {})


def _describe(b: BackendConfig) -> str:
    return f'"{b.type}"'


def _non_empty(workdir: Path, config: BackendConfig) -> list[str]:
    out = []
    for name in ws.workspaces_of(workdir, config):
        b = ws.backend_from_config(workdir, config, name)
        try:
            if b.exists():
                st = b.read()
                if st.resources or st.outputs or st.foreign or b.journal(st.lineage).pending():
                    out.append(name)
        finally:
            if hasattr(b, "close"):
                b.close()
    return out


def check_and_migrate(workdir: Path, current: BackendConfig, *, migrate: bool, force_copy: bool,
                      reconfigure: bool, echo: Callable[[str], None]) -> None:
    recorded = recorded_backend(workdir)
    if recorded is None and current.type == "local":
        record_backend(workdir, current)  # first init of a local configuration: nothing to move
        return
    previous = recorded or BackendConfig("local", {})
    if _same(previous, current):
        record_backend(workdir, current)
        return
    if reconfigure:
        record_backend(workdir, current)
        echo(f"Reconfigured: now using the {_describe(current)} backend; the state in the {_describe(previous)} "
             "backend was not copied.")
        return
    try:
        names = _non_empty(workdir, previous)
    except DiagnosticsError:
        if migrate:
            raise
        names = []  # the old backend is unreachable/unusable: nothing we could copy without -migrate-state
    if not names:
        record_backend(workdir, current)
        return
    if not migrate:
        raise DiagnosticsError([Diagnostic(
            "Backend configuration changed",
            current.pos,
            detail=f"The configuration now keeps state in the {_describe(current)} backend, but the workspaces "
                   f"{', '.join(names)} have state in the {_describe(previous)} backend this directory used before. "
                   "Without moving it, the next plan would create everything again.",
            hint="run clbplan init -migrate-state to copy the state (and any unfinished apply's journal) over, "
                 "or clbplan init -reconfigure to use the new backend's own state")])
    for name in names:
        _move(workdir, previous, current, name, force_copy, echo)
    record_backend(workdir, current)


def _move(workdir: Path, src_cfg: BackendConfig, dst_cfg: BackendConfig, name: str, force_copy: bool,
          echo: Callable[[str], None]) -> None:
    src = ws.backend_from_config(workdir, src_cfg, name)
    dst = ws.backend_from_config(workdir, dst_cfg, name)
    if hasattr(dst, "path"):
        dst.path.parent.mkdir(parents=True, exist_ok=True)
    try:
        with src.lock("migrate state"), dst.lock("migrate state"):
            state = src.read()
            journal = src.journal(state.lineage)
            journal.replay_into(state)
            pending = journal.pending()
            journal.close()
            if dst.exists():
                there = dst.read()
                empty = not there.resources and not there.outputs and not there.foreign
                if not empty and not force_copy and (there.lineage != state.lineage or there.serial > state.serial):
                    raise DiagnosticsError([Diagnostic(
                        f'The {_describe(dst_cfg)} backend already has a different state for workspace "{name}"',
                        detail=f"destination lineage {there.lineage} serial {there.serial}; source lineage "
                               f"{state.lineage} serial {state.serial}",
                        hint="pass -force-copy to overwrite it (its objects would no longer be managed), or "
                             "choose another schema/path")])
            dst.replace(state)
            if pending:
                target = dst.journal(state.lineage)
                for rec in pending:
                    target.intent(rec.token, rec.address, rec.operation, rec.detail)
                target.close()
    finally:
        for b in (src, dst):
            if hasattr(b, "close"):
                b.close()
    extra = f", {len(pending)} unfinished operation(s) of an interrupted apply" if pending else ""
    echo(f'- workspace "{name}": {len(state.resources)} resource instance(s){extra} copied from the '
         f"{_describe(src_cfg)} backend to {dst.where}")
