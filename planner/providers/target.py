"""Which cloud a run talks to: the embedded emulator by default, a real endpoint only when asked.

``open_target(provider_config, workdir)`` returns ``(transport, emulator_or_None)``. The embedded
emulator persists in ``.clbplan/emulator.sqlite`` under the working directory, so successive
``plan``/``apply`` runs see the same cloud. An ``endpoints`` block (a served emulator, or
the real API) or ``CLBPLAN_REAL_CLOUD=1`` selects ``HttpTransport`` (planner.providers.http_transport);
its second value then is a shadow source with ``copy()`` (None for a real cloud).
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from planner.config.model import ProviderConfig
from planner.providers.transport import InProcessTransport, Transport


def _wants_real_cloud() -> bool:
    return os.environ.get("CLBPLAN_REAL_CLOUD", "").strip().lower() in ("1", "true", "yes", "on")


def open_target(provider_config: ProviderConfig | None, workdir: Path,
                env: Mapping[str, str] | None = None) -> tuple[Transport, Any | None]:
    """The transport for this run and, when it is the embedded emulator, the emulator itself
    (the planner verifies plans against ``emulator.copy()``)."""
    from planner.providers.alicloud.offline import region_of

    env = os.environ if env is None else env
    region = region_of(provider_config, env)
    if (provider_config is not None and provider_config.endpoints) or _wants_real_cloud():
        from planner.providers.http_transport import open_http_target

        opened = open_http_target(provider_config, env)
        if opened is not None:
            return opened  # (HttpTransport, shadow source whose copy() is an Emulator, or None)
    from planner.emulator import Emulator, default_emulator_path  # the emulator is optional at import

    path = Path(default_emulator_path(Path(workdir)))
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError:
        pass  # a read-only checkout: the Store opens the cloud read-only (a plan only reads it)
    emulator = Emulator(path, region=region)
    return InProcessTransport(emulator, region=region), emulator


class Clouds:
    """The clouds of one run: one alicloud provider per provider configuration (alias), each in its
    own region. Configurations without ``endpoints`` share the one embedded emulator (its store
    keeps every object under its region, as the real API does); each with ``endpoints`` gets its own
    HTTP transport. Opened on first use: data sources are read while the configuration is evaluated.
    """

    def __init__(self, workdir: Path | str, env: Mapping[str, str] | None = None):
        self.workdir = Path(workdir)
        self.env = os.environ if env is None else env
        self.emulator: Any | None = None
        self._providers: dict[tuple, Any] = {}
        self._opened: dict[tuple, tuple[Transport, Any | None]] = {}

    def region(self, pc: ProviderConfig | None) -> str:
        from planner.providers.alicloud.offline import region_of

        return region_of(pc, self.env)

    def _key(self, pc: ProviderConfig | None) -> tuple:
        http = bool(pc is not None and pc.endpoints) or _wants_real_cloud()
        if not http:
            return ("embedded", self.region(pc))
        return ("http", pc.key if pc is not None else "alicloud", self.region(pc))

    def target(self, pc: ProviderConfig | None) -> tuple[Transport, Any | None]:
        """(transport, emulator or shadow source) of this provider configuration."""
        key = self._key(pc)
        got = self._opened.get(key)
        if got is None:
            if key[0] == "embedded" and self.emulator is not None:
                got = (InProcessTransport(self.emulator, region=key[1]), self.emulator)
            else:
                got = open_target(pc, self.workdir, self.env)
                if key[0] == "embedded":
                    self.emulator = got[1]
            self._opened[key] = got
        return got

    def provider(self, pc: ProviderConfig | None) -> Any:
        """The alicloud provider of this provider configuration (cached per cloud and region)."""
        key = self._key(pc)
        p = self._providers.get(key)
        if p is None:
            from planner.providers.alicloud import AlicloudProvider

            transport, _ = self.target(pc)
            p = self._providers[key] = AlicloudProvider(transport, self.region(pc))
        return p

    def embedded(self, pc: ProviderConfig | None) -> bool:
        """Whether this provider configuration reaches the embedded emulator (not a served or real cloud)."""
        return self._key(pc)[0] == "embedded"

    def calls(self) -> dict[tuple, Counter]:
        """The API calls made so far through each opened cloud, per action."""
        return {key: Counter(getattr(t, "calls", {})) for key, (t, _e) in self._opened.items()}

    def add_calls(self, counts: Mapping[tuple, Counter]) -> None:
        """Count calls another process made (a refresh in a child) as if made here, on the same cloud."""
        for key, counter in counts.items():
            got = self._opened.get(key)
            calls = getattr(got[0], "calls", None) if got is not None else None
            if calls is not None:
                calls.update(counter)

    def close(self) -> None:
        """Release what the run opened: the emulator's SQLite file and the HTTP connections kept alive.
        A one-shot command would lose them at exit anyway; a process that runs many commands (the
        console, a library caller, the test suite) would run out of file descriptors."""
        for transport, _ in self._opened.values():
            close = getattr(transport, "close", None)
            if close is not None:
                close()
        if self.emulator is not None:
            self.emulator.close()
        self._opened.clear()
        self._providers.clear()
        self.emulator = None

    def __enter__(self) -> Clouds:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def data_reader(self) -> Any:
        """The evaluator's data reader: each data source through its provider configuration's provider."""
        from planner.providers.alicloud.offline import lookup_reader

        return lookup_reader(self.provider)
