"""``.terraform/modules/modules.json``: where each module call's source code is, in Terraform's format.

``terraform init`` and ``clbplan init`` write it; module loading reads it. The format is exactly
Terraform's (``internal/modsdir/manifest.go``): compact JSON with no trailing newline,
``{"Modules":[{"Key","Source","Version"?,"Dir"}...]}`` sorted by Key, the root as
``{"Key":"","Source":"","Dir":"."}``, ``Dir`` a slash path relative to the working directory.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from planner.diagnostics import Diagnostic, DiagnosticsError

MODULES_DIR = Path(".terraform") / "modules"
MANIFEST_NAME = "modules.json"


@dataclass(frozen=True)
class ModuleRecord:
    """One module call (static path ``Key``, e.g. ``slb.listener``) and where its files are."""

    key: str
    source: str
    dir: str
    version: str = ""

    def to_json(self) -> dict:
        out: dict = {"Key": self.key, "Source": self.source}
        if self.version:
            out["Version"] = self.version
        out["Dir"] = self.dir
        return out


def manifest_path(workdir: Path) -> Path:
    return workdir / MODULES_DIR / MANIFEST_NAME


def read_manifest(workdir: Path) -> dict[str, ModuleRecord]:
    """The records of ``workdir``'s manifest by Key; a missing file is an empty manifest."""
    path = manifest_path(workdir)
    shown = str(MODULES_DIR / MANIFEST_NAME)
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except OSError as e:
        raise DiagnosticsError([Diagnostic("Failed to read module manifest", None, f"{shown}: {e.strerror}.")])
    except UnicodeDecodeError as e:
        raw = f"not UTF-8 text (byte {e.start})"  # fails to parse below, with the usual message
    try:
        try:
            doc = json.loads(raw)
        except RecursionError:
            raise ValueError("nested too deeply") from None
        items = doc["Modules"]
        if not isinstance(items, list):
            raise TypeError
        out: dict[str, ModuleRecord] = {}
        for item in items:
            rec = ModuleRecord(str(item["Key"]), str(item.get("Source", "")), str(item["Dir"]),
                               str(item.get("Version") or ""))
            if rec.key in out:
                raise DiagnosticsError([Diagnostic(
                    "Invalid module manifest", None,
                    f'{shown} has two records for the module "{rec.key}".',
                    "run clbplan init (or terraform init) to rebuild it")])
            out[rec.key] = rec
        return out
    except (ValueError, KeyError, TypeError, AttributeError):
        raise DiagnosticsError([Diagnostic("Invalid module manifest", None,
                                           f"{shown} is not a module manifest as terraform init writes it.",
                                           "run clbplan init (or terraform init) to rebuild it")])


def render_manifest(records: dict[str, ModuleRecord] | list[ModuleRecord]) -> str:
    recs = records.values() if isinstance(records, dict) else records
    items = [r.to_json() for r in sorted(recs, key=lambda r: r.key)]
    return json.dumps({"Modules": items}, separators=(",", ":"), ensure_ascii=False)


def write_manifest(workdir: Path, records: dict[str, ModuleRecord] | list[ModuleRecord]) -> None:
    """Write the manifest atomically (temp file, fsync, rename): a reader never sees half of it."""
    path = manifest_path(workdir)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".modules.json.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(render_manifest(records))
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
