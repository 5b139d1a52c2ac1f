"""Resource addresses as a type (Terraform's ``addrs``), never bare strings.

An address carries the module instance it lives in: ``module.slb.module.l["a"].alicloud_slb_listener.http[0]``
is ``ResourceAddress("alicloud_slb_listener", "http", 0, module=(("slb", None), ("l", "a")))``.
The root module is the empty path, so every address written before modules existed is unchanged.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass

Key = int | str | None
# a module instance path: one (call name, instance key) step per level; () is the root module
ModulePath = tuple[tuple[str, Key], ...]

_KEY = r'\[(?:\d+|"(?:[^"\\]|\\.)*")\]'
_ADDR = re.compile(
    r'^(?:(?P<data>data)\.)?(?P<type>[A-Za-z_][\w-]*)\.(?P<name>[A-Za-z_][\w-]*)'
    r'(?:\[(?P<key>\d+|"(?:[^"\\]|\\.)*")\])?$'
)
_MODULE_STEP = re.compile(r'module\.(?P<name>[A-Za-z_][\w-]*)(?P<key>' + _KEY + r')?(?:\.|$)')


def _key_text(key: Key) -> str:
    if key is None:
        return ""
    if isinstance(key, int):
        return f"[{key}]"
    return f"[{json.dumps(key)}]"


def module_text(path: ModulePath) -> str:
    """``module.slb[0].module.l`` for a module instance path; "" for the root module."""
    return ".".join(f"module.{name}{_key_text(key)}" for name, key in path)


def _parse_key(raw: str | None) -> Key:
    if raw is None:
        return None
    raw = raw.strip("[]") if raw.startswith("[") else raw
    if raw.startswith('"'):
        return json.loads(raw)
    return int(raw)


def parse_module_path(text: str) -> tuple[ModulePath, str]:
    """Split the leading ``module.NAME[KEY].`` steps off ``text``: (path, rest)."""
    path: list[tuple[str, Key]] = []
    pos = 0
    while True:
        m = _MODULE_STEP.match(text, pos)
        if not m:
            break
        path.append((m.group("name"), _parse_key(m.group("key"))))
        pos = m.end()
    return tuple(path), text[pos:]


@dataclass(frozen=True, order=True)
class ResourceAddress:
    """``alicloud_slb_listener.http``, ``alicloud_instance.web[0]``, ``data.alicloud_zones.z["a"]``,
    ``module.slb.alicloud_slb_listener.http``.

    ``key`` is None (no count/for_each), an int (count) or a str (for_each). ``module`` is the
    module instance path, empty for the root module.
    """

    type: str
    name: str
    key: int | str | None = None
    mode: str = "managed"  # "managed" or "data"
    module: ModulePath = ()

    def __hash__(self) -> int:
        # addresses key every map of a plan (state, config, changes, dependencies): a 10k-LB plan hashes
        # them millions of times, so the tuple hash is computed once (dropped by __reduce__: string
        # hashes differ between processes)
        h = self.__dict__.get("_hash")
        if h is None:
            h = hash((self.type, self.name, self.key, self.mode, self.module))
            object.__setattr__(self, "_hash", h)
        return h

    def __eq__(self, other: object) -> bool:
        if self is other:
            return True
        if other.__class__ is not ResourceAddress:
            return NotImplemented
        return (self.type == other.type and self.name == other.name and self.key == other.key
                and self.mode == other.mode and self.module == other.module)

    def __reduce__(self) -> tuple:
        return (ResourceAddress, (self.type, self.name, self.key, self.mode, self.module))

    def __str__(self) -> str:
        # addresses are printed and used as op ids millions of times in a 10k-LB plan: render once
        cached = self.__dict__.get("_text")
        if cached is None:
            prefix = "data." if self.mode == "data" else ""
            cached = f"{prefix}{self.type}.{self.name}{self.key_suffix()}"
            if self.module:
                cached = f"{module_text(self.module)}.{cached}"
            object.__setattr__(self, "_text", cached)
        return cached

    def key_suffix(self) -> str:
        return _key_text(self.key)

    @property
    def module_address(self) -> str:
        """The module instance part (``module.slb[0]``), "" in the root module (Terraform's module_address)."""
        return module_text(self.module)

    @property
    def local(self) -> str:
        """The address inside its module, without the module path (``alicloud_slb_listener.http[0]``)."""
        prefix = "data." if self.mode == "data" else ""
        return f"{prefix}{self.type}.{self.name}{self.key_suffix()}"

    @property
    def resource(self) -> ResourceAddress:
        """The address without its instance key (the block that declared it)."""
        return ResourceAddress(self.type, self.name, None, self.mode, self.module)

    def with_key(self, key: int | str | None) -> ResourceAddress:
        return ResourceAddress(self.type, self.name, key, self.mode, self.module)

    def with_module(self, module: ModulePath) -> ResourceAddress:
        return ResourceAddress(self.type, self.name, self.key, self.mode, module)

    @staticmethod
    def parse(text: str) -> ResourceAddress:
        """Parse the CLI/state form; raises ValueError with a message fit for a user."""
        return _parse(text)


@dataclass(frozen=True)
class ModuleAddress:
    """A module call or instance named on the command line (``-target=module.slb``, ``module.slb[0]``).

    ``path`` steps with key None name every instance of that call when ``exact`` is False.
    """

    path: ModulePath

    def __str__(self) -> str:
        return module_text(self.path)

    def contains(self, addr: ResourceAddress) -> bool:
        """Whether ``addr`` is inside this module (an unkeyed step matches every instance)."""
        if len(addr.module) < len(self.path):
            return False
        for (name, key), (aname, akey) in zip(self.path, addr.module, strict=False):
            if name != aname or (key is not None and key != akey):
                return False
        return True


def parse_target(text: str) -> ResourceAddress | ModuleAddress:
    """A resource address, or a bare module address (``module.slb``) for -target/-exclude."""
    path, rest = parse_module_path(text.strip())
    if path and rest == "" and not text.strip().endswith("."):
        return ModuleAddress(path)
    return _parse(text)


@functools.lru_cache(maxsize=1 << 16)  # a state file repeats the same dependency addresses thousands of times
def _parse(text: str) -> ResourceAddress:
    path, rest = parse_module_path(text.strip())
    m = _ADDR.match(rest)
    if not m:
        raise ValueError(
            f"invalid resource address {text!r}: expected TYPE.NAME, TYPE.NAME[0], TYPE.NAME[\"key\"], "
            "optionally after module.NAME. or module.NAME[KEY]."
        )
    raw = m.group("key")
    key: int | str | None
    if raw is None:
        key = None
    elif raw.startswith('"'):
        key = json.loads(raw)
    else:
        key = int(raw)
    return ResourceAddress(m.group("type"), m.group("name"), key, "data" if m.group("data") else "managed", path)
