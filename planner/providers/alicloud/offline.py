"""Reading data sources for a run: through the run's providers, or offline from the catalogue.

``lookup_reader(provider_for)`` is the evaluator's data reader for plan and apply: every alicloud
data source is read through the provider of its provider configuration (so its region, and a served
emulator or the official SDK when the configuration points at one). ``catalogue_reader(env)`` is the
one for ``clbplan validate`` and other runs with no cloud: the catalogue lookups (regions, zones,
images, instance types, CLB zones) are read through the same provider code over a throwaway
in-memory emulator; lookups of objects (load balancers, VPCs...) stay unknown until plan.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from typing import Any

from planner.values import LOOKUP_NOTE

DEFAULT_REGION = "cn-hangzhou"
REGION_ENV = ("ALICLOUD_REGION", "ALIBABA_CLOUD_REGION_ID")


def region_of(pc: Any, env: Mapping[str, str]) -> str:
    """The provider's region: the block's ``region``, then ``ALICLOUD_REGION``, then
    ``ALIBABA_CLOUD_REGION_ID``, then cn-hangzhou (the provider's order)."""
    if pc is not None and getattr(pc, "region", None):
        return str(pc.region)
    for name in REGION_ENV:
        v = (env.get(name) or "").strip()
        if v:
            return v
    return DEFAULT_REGION


def read_with(provider: Any, type_name: str, attrs: Mapping[str, Any],
              written: Collection[str] | None = None) -> dict:
    """Read one data source through ``provider``; an empty result carries its explanation (naming
    the ``written`` arguments, every argument when not given)."""
    from planner.providers.alicloud.data_sources import RESULT_LIST, empty_lookup_note, read_data_source

    ctx = provider.context()
    got = read_data_source(ctx, type_name, attrs)
    result = RESULT_LIST.get(type_name, ("", ""))[0]
    if result and not got.get(result):
        got[LOOKUP_NOTE] = empty_lookup_note(ctx, type_name, attrs, written)
    return got


def lookup_reader(provider_for: Callable[[Any], Any]) -> Callable[[str, dict, Any], dict | None]:
    """The data reader of a run whose providers ``provider_for(provider_config)`` returns."""
    def read(type_name: str, attrs: dict, pc: Any, written: Collection[str] | None = None) -> dict | None:
        from planner.providers.alicloud.data_sources import READERS

        if type_name not in READERS:
            return None
        return read_with(provider_for(pc), type_name, attrs, written)
    return read


def catalogue_reader(env: Mapping[str, str]) -> Callable[[str, dict, Any], dict | None]:
    """Catalogue lookups over an in-memory emulator (one per reader, made on first use)."""
    from planner.schema.lookups import OBJECT_LOOKUPS

    made: dict[str, Any] = {}

    def provider_for(pc: Any) -> Any:
        from planner.emulator import Emulator
        from planner.providers.alicloud import AlicloudProvider
        from planner.providers.transport import InProcessTransport

        region = region_of(pc, env)
        if "emulator" not in made:
            made["emulator"] = Emulator(None, region=region)
        if region not in made:
            made[region] = AlicloudProvider(InProcessTransport(made["emulator"], region), region)
        return made[region]

    inner = lookup_reader(provider_for)

    def read(type_name: str, attrs: dict, pc: Any, written: Collection[str] | None = None) -> dict | None:
        if type_name in OBJECT_LOOKUPS:
            return None
        return inner(type_name, attrs, pc, written)
    return read
