"""The ``local`` provider: files written at create, removed at delete, and read as a data source.

As the real provider does, a file that is gone or whose content changed outside clbplan leaves the
state on refresh, so the next plan writes it again. Plan verification (``dry_run``) writes nothing.
"""

from __future__ import annotations

import base64
import hashlib
import os
from pathlib import Path
from typing import Any

from planner.providers.base import CallContext, ProviderError
from planner.providers.local import LocalHandler, register_local, resolve


def digests(data: bytes) -> dict[str, str]:
    return {
        "content_md5": hashlib.md5(data).hexdigest(),  # noqa: S324 - the provider reports it
        "content_sha1": hashlib.sha1(data).hexdigest(),  # noqa: S324
        "content_sha256": hashlib.sha256(data).hexdigest(),
        "content_sha512": hashlib.sha512(data).hexdigest(),
        "content_base64sha256": base64.b64encode(hashlib.sha256(data).digest()).decode(),
        "content_base64sha512": base64.b64encode(hashlib.sha512(data).digest()).decode(),
    }


def _content(p: dict, base: str | None) -> bytes:
    if p.get("content") is not None:
        return str(p["content"]).encode()
    if p.get("sensitive_content") is not None:
        return str(p["sensitive_content"]).encode()
    if p.get("content_base64") is not None:
        try:
            return base64.b64decode(p["content_base64"], validate=True)
        except ValueError:
            raise ProviderError("content_base64 is not valid base64") from None
    if p.get("source") is not None:
        try:
            return resolve(p["source"], base).read_bytes()
        except OSError as e:
            raise ProviderError(f"cannot read source {p['source']!r}: {e.strerror or e}") from None
    raise ProviderError("one of content, sensitive_content, content_base64 or source is required")


@register_local("local_file", "local_sensitive_file")
class LocalFile(LocalHandler):
    def create(self, planned: dict, ctx: CallContext) -> dict:
        data = _content(planned, self.env.base)
        path = self.env.path(planned["filename"])
        if not self.env.dry_run:
            try:
                path.parent.mkdir(parents=True, exist_ok=True,
                                  mode=int(planned.get("directory_permission") or "0777", 8))
                tmp = path.with_name(f".{path.name}.clbplan-tmp")
                fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC,
                             int(planned.get("file_permission") or "0777", 8))
                with os.fdopen(fd, "wb") as f:
                    f.write(data)
                os.chmod(tmp, int(planned.get("file_permission") or "0777", 8))
                os.replace(tmp, path)
            except OSError as e:
                raise ProviderError(f"cannot write {planned['filename']!r}: {e.strerror or e}") from None
        d = digests(data)
        return {**planned, **d, "id": d["content_sha1"]}

    def delete(self, prior: dict, ctx: CallContext) -> None:
        if self.env.dry_run:
            return
        try:
            self.env.path(prior["filename"]).unlink()
        except FileNotFoundError:
            pass
        except OSError as e:
            raise ProviderError(f"cannot remove {prior['filename']!r}: {e.strerror or e}") from None

    def read(self, prior: dict) -> dict | None:
        try:
            data = self.env.path(prior["filename"]).read_bytes()
        except (OSError, KeyError):
            return None
        if hashlib.sha1(data).hexdigest() != prior.get("id"):  # noqa: S324 - the provider's check
            return None
        return prior


# ------------------------------------------------------------------------------ data sources

def read_local_file(attrs: dict[str, Any]) -> dict[str, Any]:
    """``data "local_file"``: the file's content and digests (relative names: the run's directory)."""
    name = attrs["filename"]
    path = resolve(name)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ValueError(f"{name}: no such file") from None
    except OSError as e:
        raise ValueError(f"{name}: {e.strerror or e}") from None
    d = digests(data)
    return {"content": data.decode("utf-8", errors="replace"), "content_base64": base64.b64encode(data).decode(),
            **d, "id": d["content_sha1"]}


def _state_file(attrs: dict[str, Any]) -> Path:
    config = attrs.get("config") if isinstance(attrs.get("config"), dict) else {}
    path = config.get("path") or "terraform.tfstate"
    workspace = attrs.get("workspace") or "default"
    if workspace != "default":
        ws_dir = config.get("workspace_dir") or "terraform.tfstate.d"
        return resolve(os.path.join(ws_dir, workspace, os.path.basename(path)))
    return resolve(path)


def read_remote_state(attrs: dict[str, Any]) -> dict[str, Any]:
    """``data "terraform_remote_state"`` with ``backend = "local"``: the root outputs of a state file,
    clbplan's own or Terraform's (format 4), as ``outputs.NAME``; ``defaults`` fill missing ones."""
    import json

    if attrs.get("backend") == "pg":
        return _read_pg_remote_state(attrs)
    if attrs.get("backend") != "local":
        raise ValueError(f'backend "{attrs.get("backend")}" is not supported here; clbplan reads '
                         'remote state with backend = "local" and config = { path = "..." }, or backend = "pg" '
                         'and config = { conn_str = "..." }')
    config = attrs.get("config")
    if config is not None and not isinstance(config, dict):
        raise ValueError('config must be an object such as { path = "../network/terraform.tfstate" }')
    unknown = sorted(set(config or {}) - {"path", "workspace_dir"})
    if unknown:
        raise ValueError(f'the local backend has no argument "{unknown[0]}" (it takes path and workspace_dir)')
    path = _state_file(attrs)
    try:
        doc = json.loads(path.read_text())
    except FileNotFoundError:
        raise ValueError(f"Unable to find remote state: no state file at {path}") from None
    except (OSError, ValueError) as e:
        raise ValueError(f"cannot read the state file {path}: {e}") from None
    outputs = doc.get("outputs") if isinstance(doc, dict) else None
    if not isinstance(outputs, dict):
        raise ValueError(f"{path} is not a state file (no outputs object)")
    values = {k: v.get("value") for k, v in outputs.items() if isinstance(v, dict)}
    defaults = attrs.get("defaults") if isinstance(attrs.get("defaults"), dict) else {}
    return {"outputs": {**defaults, **values}, "id": "default" if not attrs.get("workspace") else attrs["workspace"],
            "workspace": attrs.get("workspace") or "default"}


PG_ARGS = frozenset({"conn_str", "schema_name", "skip_schema_creation", "skip_table_creation",
                     "skip_index_creation"})


def _read_pg_remote_state(attrs: dict[str, Any]) -> dict[str, Any]:
    """``backend = "pg"``: the workspace's row in Terraform's table (read without taking its lock, as
    Terraform reads remote state); PG_CONN_STR / PG_SCHEMA_NAME / PG* fill what config leaves out."""
    from planner.state.backend import StateError
    from planner.state.pg import PgBackend, PgSettings

    config = attrs.get("config") or {}
    if not isinstance(config, dict):
        raise ValueError('config must be an object such as { conn_str = "postgres://..." }')
    unknown = sorted(set(config) - PG_ARGS)
    if unknown:
        raise ValueError(f'the pg backend has no argument "{unknown[0]}" (it takes {", ".join(sorted(PG_ARGS))})')
    workspace = attrs.get("workspace") or "default"
    backend = PgBackend(PgSettings.from_config(config), workspace)
    try:
        if not backend.exists():
            raise ValueError(f"Unable to find remote state: no state for workspace {workspace!r} in {backend.where}")
        state = backend.read()
    except StateError as e:
        raise ValueError(str(e).removeprefix("error: ")) from None
    finally:
        backend.close()
    values = {k: v.get("value") for k, v in state.outputs.items()}
    defaults = attrs.get("defaults") if isinstance(attrs.get("defaults"), dict) else {}
    return {"outputs": {**defaults, **values}, "id": workspace, "workspace": workspace}


DATA_READERS = {"local_file": read_local_file, "local_sensitive_file": read_local_file,
                "terraform_remote_state": read_remote_state}
