"""Resource addresses as a type (Terraform's ``addrs``), never bare strings."""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass

_ADDR = re.compile(
    r'^(?:(?P<data>data)\.)?(?P<type>[A-Za-z_][\w-]*)\.(?P<name>[A-Za-z_][\w-]*)'
    r'(?:\[(?P<key>\d+|"(?:[^"\\]|\\.)*")\])?$'
)


@dataclass(frozen=True, order=True)
class ResourceAddress:
    """``alicloud_slb_listener.http``, ``alicloud_instance.web[0]``, ``data.alicloud_zones.z["a"]``.

    ``key`` is None (no count/for_each), an int (count) or a str (for_each).
    """

    type: str
    name: str
    key: int | str | None = None
    mode: str = "managed"  # "managed" or "data"

    def __str__(self) -> str:
        # addresses are printed and used as op ids millions of times in a 10k-LB plan: render once
        cached = self.__dict__.get("_text")
        if cached is None:
            prefix = "data." if self.mode == "data" else ""
            cached = f"{prefix}{self.type}.{self.name}{self.key_suffix()}"
            object.__setattr__(self, "_text", cached)
        return cached

    def key_suffix(self) -> str:
        if self.key is None:
            return ""
        if isinstance(self.key, int):
            return f"[{self.key}]"
        return f"[{json.dumps(self.key)}]"

    @property
    def resource(self) -> ResourceAddress:
        """The address without its instance key (the block that declared it)."""
        return ResourceAddress(self.type, self.name, None, self.mode)

    def with_key(self, key: int | str | None) -> ResourceAddress:
        return ResourceAddress(self.type, self.name, key, self.mode)

    @staticmethod
    def parse(text: str) -> ResourceAddress:
        """Parse the CLI/state form; raises ValueError with a message fit for a user."""
        return _parse(text)


@functools.lru_cache(maxsize=1 << 16)  # a state file repeats the same dependency addresses thousands of times
def _parse(text: str) -> ResourceAddress:
    m = _ADDR.match(text.strip())
    if not m:
        raise ValueError(
            f"invalid resource address {text!r}: expected TYPE.NAME, TYPE.NAME[0] or TYPE.NAME[\"key\"]"
        )
    raw = m.group("key")
    key: int | str | None
    if raw is None:
        key = None
    elif raw.startswith('"'):
        key = json.loads(raw)
    else:
        key = int(raw)
    return ResourceAddress(m.group("type"), m.group("name"), key, "data" if m.group("data") else "managed")
