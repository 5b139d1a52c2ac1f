"""The decoded state, cached: a 10,000-LB state read in about a second instead of five.

Decoding a state file is its JSON, then every resource conformed to its schema, its strings shared and
its dependencies parsed: about 5 s for the 140 MB of 10,000 load balancers, on the path of every plan.
The cache keeps the decoded state as plain data (``marshal`` of strings, numbers, lists, dicts and tuples:
nothing in it can run), keyed by the SHA-256 of the state file's bytes, and sealed with the parse cache's
per-user HMAC key (``planner.config.parse_cache``), because it sits in the checkout's ``.clbplan`` folder,
which others may be able to write. An entry that does not verify, was made by other code (another
version, or an edited state or schema module), or belongs to other bytes than the file's is ignored and
the file is decoded as before.

Only an entry made from a decode of those very bytes is ever written (``save`` after a cold read), so a
cached read gives exactly what decoding would. A one-shot command writes it from a forked child, off
the plan's path; a long-lived process writes it in place.
"""

from __future__ import annotations

import marshal
from pathlib import Path
from typing import Any

from planner.addresses import ResourceAddress
from planner.state.model import ResourceState, State

FORMAT = 1
MIN_BYTES = 1 << 20  # below a megabyte decoding is already fast: no cache file beside every small state


def cache_dir(state_path: Path) -> Path:
    return state_path.parent / ".clbplan" / "state-cache"


def cache_path(state_path: Path, digest: str) -> Path:
    """The entry for the state file's bytes with SHA-256 ``digest``: named by it, so an entry made from
    other bytes is not even opened (at 10,000 LBs an entry is 41 MB)."""
    return cache_dir(state_path) / f"{state_path.name}.{digest[:32]}.bin"


_DECODER: list[str] = []


def _decoder_digest() -> str:
    """What a decode depends on besides the file: the code of the state and schema layers (a checkout
    changed without a new version number must not read an entry its old code made)."""
    if not _DECODER:
        from planner.version import PACKAGE_ROOT, sources_digest

        root = PACKAGE_ROOT
        _DECODER.append(sources_digest([root / "addresses.py", root / "values.py", *(root / "state").glob("*.py"),
                                        *(root / "schema").glob("*.py")]))
    return _DECODER[0]


def _name(digest: str) -> str:
    return f"state-cache {FORMAT} {_decoder_digest()} {digest}"


def load(state_path: Path, digest: str) -> State | None:
    """The state decoded from the bytes whose SHA-256 is ``digest``, or None (no entry, not ours, stale)."""
    from planner.config import parse_cache  # deferred: state commands do not load the language

    key = parse_cache.user_key()
    if key is None:
        return None
    try:
        blob = cache_path(state_path, digest).read_bytes()
    except OSError:
        return None
    try:
        return _from_plain(marshal.loads(parse_cache.unseal(key, _name(digest), blob)))
    except (parse_cache.CacheFormatError, ValueError, EOFError, TypeError, IndexError, KeyError):
        return None


def save(state_path: Path, digest: str, state: State) -> None:
    """Write the entry for ``state``, just decoded from the bytes whose SHA-256 is ``digest``; a folder
    that cannot be written just means no cache."""
    from planner.config import parse_cache

    key = parse_cache.user_key()
    if key is None:
        return
    target = cache_path(state_path, digest)
    try:
        blob = parse_cache.seal(key, _name(digest), marshal.dumps(_plain(state), 4))
    except ValueError:  # a value marshal cannot write (never in a decoded state)
        return
    if parse_cache.write_private(target, blob):
        try:
            _drop_others(state_path, target)
        except OSError:
            pass


def _drop_others(state_path: Path, kept: Path) -> None:
    """One entry per state file: the entries of its earlier contents go."""
    prefix = f"{state_path.name}."
    for entry in kept.parent.iterdir():
        if entry != kept and entry.name.startswith(prefix) and entry.name.endswith(".bin") \
                and len(entry.name) == len(kept.name):
            entry.unlink(missing_ok=True)


def save_off_path(state_path: Path, digest: str, state: State) -> None:
    """``save``, in a forked child the command never waits for when it can (``process.behind``: the plan
    and its refresh are on the clock, this entry is for the next run); in place otherwise."""
    from planner import process

    if not process.behind(lambda: save(state_path, digest, state)):
        save(state_path, digest, state)


def _plain(state: State) -> tuple:
    """The state as marshal-able data; every address once, referred to by its position."""
    index: dict[ResourceAddress, int] = {}
    addrs: list[tuple] = []

    def at(a: ResourceAddress) -> int:
        i = index.get(a)
        if i is None:
            i = index[a] = len(addrs)
            addrs.append((a.type, a.name, a.key, a.mode, a.module))
        return i

    rows = [(at(a), rs.id, rs.attributes, rs.provider, tuple(at(d) for d in rs.dependencies),
             tuple(sorted(rs.sensitive)), rs.extra) for a, rs in state.resources.items()]
    return (FORMAT, state.lineage, state.serial, state.version, state.terraform_version, state.outputs,
            state.foreign, addrs, rows)


def _from_plain(plain: Any) -> State:
    fmt, lineage, serial, version, terraform_version, outputs, foreign, addrs, rows = plain
    if fmt != FORMAT:
        raise ValueError("another cache format")
    address = [ResourceAddress(t, n, k, m, mod) for t, n, k, m, mod in addrs]
    state = State(lineage=lineage, serial=serial, version=version, outputs=outputs, foreign=foreign,
                  terraform_version=terraform_version)
    resources = state.resources
    for i, rid, attributes, provider, deps, sensitive, extra in rows:
        a = address[i]
        resources[a] = ResourceState(a, rid, attributes, provider, [address[j] for j in deps], set(sensitive), extra)
    return state
