"""Drive .tf snippets end to end through the real configuration loader (proves file and line)."""

from __future__ import annotations

from pathlib import Path

import pytest

from planner.diagnostics import Diagnostic, DiagnosticsError


def _real_loader():
    try:
        import planner.config as config
    except Exception:  # noqa: BLE001
        return None
    return getattr(config, "load_configuration", None)


@pytest.fixture
def diagnose(tmp_path: Path):
    """``diagnose(text)`` -> every diagnostic the configuration produces (errors and warnings)."""

    def run(text: str) -> list[Diagnostic]:
        (tmp_path / "main.tf").write_text(text)
        loader = _real_loader()
        if loader is None:
            pytest.skip("planner.config.load_configuration is not available yet")
        try:
            cfg = loader(str(tmp_path))
        except DiagnosticsError as exc:
            return list(exc.diagnostics)
        return list(getattr(cfg, "warnings", []) or [])

    return run
