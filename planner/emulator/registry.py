"""The action table: (product, action) -> handler, filled by decorators in the action modules."""

from __future__ import annotations

import random
import string
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from planner.emulator.params import Params

if TYPE_CHECKING:
    from planner.emulator.store import Store

Handler = Callable[["Ctx", Params], dict]


@dataclass(frozen=True)
class ActionSpec:
    product: str
    name: str
    handler: Handler
    write: bool


ACTIONS: dict[tuple[str, str], ActionSpec] = {}
_BY_LOWER: dict[tuple[str, str], ActionSpec] = {}

PRODUCTS = {"slb": "Slb", "vpc": "Vpc", "ecs": "Ecs"}


def action(product: str, name: str, *, write: bool | None = None) -> Callable[[Handler], Handler]:
    """Register a handler; reads are Describe*/List* unless ``write`` says otherwise."""
    is_write = (not name.startswith(("Describe", "List"))) if write is None else write

    def deco(fn: Handler) -> Handler:
        spec = ActionSpec(product, name, fn, is_write)
        ACTIONS[(product, name)] = spec
        _BY_LOWER[(product.lower(), name.lower())] = spec
        return fn

    return deco


def lookup(product: str, name: str) -> ActionSpec | None:
    p = PRODUCTS.get(product.lower())
    if p is None:
        return None
    return ACTIONS.get((p, name)) or _BY_LOWER.get((p.lower(), name.lower()))


_ALNUM = string.ascii_lowercase + string.digits
_REGION_PREFIX = {"cn-hangzhou": "bp1", "cn-shanghai": "uf6", "cn-beijing": "2ze", "cn-shenzhen": "wz9",
                  "cn-qingdao": "m5e", "cn-zhangjiakou": "8vb", "cn-hongkong": "j6c", "ap-southeast-1": "t4n"}


class Ctx:
    """What a handler sees: the store, the region and clock of this call, and emulator settings."""

    __slots__ = ("store", "region", "now", "listener_start_delay", "rng")

    def __init__(self, store: Store, region: str, now: float, listener_start_delay: float,
                 rng: random.Random):
        self.store = store
        self.region = region
        self.now = now
        self.listener_start_delay = listener_start_delay
        self.rng = rng

    def new_id(self, prefix: str, length: int = 17) -> str:
        """Ids in the real shape: prefix, region code, random lower-case alphanumerics."""
        return prefix + _REGION_PREFIX.get(self.region, "gw8") + "".join(self.rng.choices(_ALNUM, k=length))

    def iso_now(self) -> str:
        return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(self.now))

    def ms_now(self) -> int:
        return int(self.now * 1000)


def copy_doc(d: Any) -> Any:
    """Deep copy for JSON-shaped values (faster than copy.deepcopy)."""
    if isinstance(d, dict):
        return {k: copy_doc(v) for k, v in d.items()}
    if isinstance(d, list):
        return [copy_doc(v) for v in d]
    return d
