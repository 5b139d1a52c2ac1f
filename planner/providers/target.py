"""Which cloud a run talks to: the embedded emulator by default, a real endpoint only when asked.

``open_target(provider_config, workdir)`` returns ``(transport, emulator_or_None)``. The embedded
emulator persists in ``.clbplan/emulator.sqlite`` under the working directory, so successive
``plan``/``apply`` runs see the same cloud. An ``endpoints`` block (a served emulator, or
the real API) or ``CLBPLAN_REAL_CLOUD=1`` selects ``HttpTransport`` (planner.providers.http_transport);
its second value then is a shadow source with ``copy()`` (None for a real cloud).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from planner.config.model import ProviderConfig
from planner.providers.transport import InProcessTransport, Transport


def _wants_real_cloud() -> bool:
    import os

    return os.environ.get("CLBPLAN_REAL_CLOUD", "").strip().lower() in ("1", "true", "yes", "on")


def open_target(provider_config: ProviderConfig | None, workdir: Path) -> tuple[Transport, Any | None]:
    """The transport for this run and, when it is the embedded emulator, the emulator itself
    (the planner verifies plans against ``emulator.copy()``)."""
    region = (provider_config.region if provider_config else None) or "cn-hangzhou"
    if (provider_config is not None and provider_config.endpoints) or _wants_real_cloud():
        from planner.providers.http_transport import open_http_target

        opened = open_http_target(provider_config)
        if opened is not None:
            return opened  # (HttpTransport, shadow source whose copy() is an Emulator, or None)
    from planner.emulator import Emulator, default_emulator_path  # the emulator is optional at import

    path = Path(default_emulator_path(Path(workdir)))
    path.parent.mkdir(parents=True, exist_ok=True)
    emulator = Emulator(path, region=region)
    return InProcessTransport(emulator, region=region), emulator
