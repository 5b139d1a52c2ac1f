"""Which cloud a run talks to: the embedded emulator by default, a real endpoint only when asked.

``open_target(provider_config, workdir)`` returns ``(transport, emulator_or_None)``. The embedded
emulator persists in ``.clbplan/emulator.sqlite`` under the working directory, so successive
``plan``/``apply`` runs see the same cloud. HTTP endpoints (a served emulator or the real API)
come in a later issue: configuring them is refused with a clear message rather than silently
ignored.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from planner.config.model import ProviderConfig
from planner.diagnostics import Diagnostic, DiagnosticsError
from planner.providers.transport import InProcessTransport, Transport


def open_target(provider_config: ProviderConfig | None, workdir: Path) -> tuple[Transport, Any | None]:
    """The transport for this run and, when it is the embedded emulator, the emulator itself
    (the planner verifies plans against ``emulator.copy()``)."""
    region = (provider_config.region if provider_config else None) or "cn-hangzhou"
    if provider_config is not None and provider_config.endpoints:
        where = ", ".join(f"{k} = {v!r}" for k, v in sorted(provider_config.endpoints.items()))
        raise DiagnosticsError([Diagnostic(
            f'provider "{provider_config.key}": HTTP endpoints are not supported yet ({where})',
            provider_config.pos,
            hint="remove the endpoints block to use the embedded emulator (.clbplan/emulator.sqlite)")])
    from planner.emulator import Emulator, default_emulator_path  # the emulator is optional at import

    path = Path(default_emulator_path(Path(workdir)))
    path.parent.mkdir(parents=True, exist_ok=True)
    emulator = Emulator(path, region=region)
    return InProcessTransport(emulator, region=region), emulator
