"""The decoded-state cache (planner.state.read_cache): a large state read again comes from the cache,
exactly as decoding gives it; an entry for other bytes, or one not sealed with the user's key, is never
believed; small states leave no cache file behind."""

from __future__ import annotations

import hashlib
import marshal
import stat
from pathlib import Path

from planner.config import parse_cache
from planner.state import read_cache
from planner.state.backend import LocalBackend
from planner.state.model import State

from .conftest import rstate


def _large_state() -> State:
    """Well over read_cache.MIN_BYTES on disk, with nested values, module addresses, dependencies,
    sensitive marks, int and str keys, bools, floats and nulls."""
    st = State()
    for i in range(1500):
        addr = f'module.edge["m{i % 3}"].alicloud_slb_server_group.g["k{i}"]' if i % 2 else f"alicloud_slb_server_group.g[{i}]"
        rs = rstate(addr, f"rsp-{i:05d}", {
            "name": f"group-{i}", "load_balancer_id": f"lb-{i // 4:05d}", "delete_protection_validation": i % 5 == 0,
            "weight_ratio": i / 7, "description": None,
            "servers": [{"server_ids": [f"i-{i:05d}-{j}" for j in range(6)], "port": 80 + i % 3, "weight": 100,
                         "type": "ecs"} for _ in range(3)]},
            deps=("alicloud_slb_load_balancer.web",))
        if i % 10 == 0:
            rs.sensitive = {"description"}
        st.resources[rs.address] = rs
    st.outputs["vip"] = {"value": "10.0.0.1", "sensitive": False}
    return st


def _as_data(st: State) -> tuple:
    return (st.lineage, st.serial, st.version, st.terraform_version, st.outputs, st.foreign,
            [(a, r.id, r.attributes, r.provider, r.dependencies, r.sensitive, r.extra)
             for a, r in st.resources.items()])


def _types(value: object) -> object:
    """The value with each leaf replaced by its type: True stays bool, 1.0 stays float."""
    if isinstance(value, dict):
        return {k: _types(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_types(v) for v in value]
    return type(value)


def test_a_large_state_read_again_is_the_same_state_from_the_cache(state_path: Path) -> None:
    LocalBackend(state_path).write(_large_state())
    assert state_path.stat().st_size >= read_cache.MIN_BYTES
    decoded = LocalBackend(state_path).read()
    entry = read_cache.cache_path(state_path, hashlib.sha256(state_path.read_bytes()).hexdigest())
    assert entry.exists()
    assert stat.S_IMODE(entry.stat().st_mode) == 0o600
    assert stat.S_IMODE(entry.parent.stat().st_mode) == 0o700
    cached = LocalBackend(state_path).read()
    assert _as_data(cached) == _as_data(decoded)
    assert [_types(r.attributes) for r in cached.resources.values()] == \
        [_types(r.attributes) for r in decoded.resources.values()]
    # ... and it is a state of its own: changing it changes nothing the next read returns
    next(iter(cached.resources.values())).attributes["name"] = "changed in memory"
    assert _as_data(LocalBackend(state_path).read()) == _as_data(decoded)


def test_an_entry_sealed_with_the_users_key_for_these_bytes_is_what_is_read(state_path: Path) -> None:
    """Proof that a read uses the cache: an entry this user's clbplan sealed for the file's bytes is
    taken as the file's decode (which is why only decodes of those bytes are ever written)."""
    LocalBackend(state_path).write(_large_state())
    LocalBackend(state_path).read()
    key = parse_cache.user_key()
    assert key is not None
    digest = hashlib.sha256(state_path.read_bytes()).hexdigest()
    entry = read_cache.cache_path(state_path, digest)
    plain = list(marshal.loads(parse_cache.unseal(key, read_cache._name(digest), entry.read_bytes())))
    plain[1] = "lineage-from-the-cache"
    entry.write_bytes(parse_cache.seal(key, read_cache._name(digest), marshal.dumps(tuple(plain), 4)))
    assert LocalBackend(state_path).read().lineage == "lineage-from-the-cache"


def test_an_entry_not_sealed_with_the_users_key_is_ignored(state_path: Path) -> None:
    """Anyone who can write the checkout can write .clbplan/: without the per-user key their entry is
    decoded as nothing, and the file itself is read."""
    LocalBackend(state_path).write(_large_state())
    real = LocalBackend(state_path).read()
    digest = hashlib.sha256(state_path.read_bytes()).hexdigest()
    entry = read_cache.cache_path(state_path, digest)
    forged = list(marshal.loads(parse_cache.unseal(parse_cache.user_key(), read_cache._name(digest),
                                                   entry.read_bytes())))
    forged[1] = "forged"
    entry.write_bytes(parse_cache.seal(b"k" * parse_cache.KEY_BYTES, read_cache._name(digest),
                                       marshal.dumps(tuple(forged), 4)))
    assert LocalBackend(state_path).read().lineage == real.lineage
    entry.write_bytes(b"garbage")
    assert _as_data(LocalBackend(state_path).read()) == _as_data(real)


def test_a_changed_state_file_is_decoded_not_taken_from_the_old_entry(state_path: Path) -> None:
    st = _large_state()
    LocalBackend(state_path).write(st)
    LocalBackend(state_path).read()
    first = next(iter(st.resources.values()))
    first.attributes["name"] = "renamed"
    LocalBackend(state_path).write(st)
    back = LocalBackend(state_path).read()
    assert back.resources[first.address].attributes["name"] == "renamed"
    assert back.serial == 2
    # one entry per state file: the first content's entry went when the second one's was written
    assert [e.name for e in read_cache.cache_dir(state_path).iterdir()] == \
        [read_cache.cache_path(state_path, hashlib.sha256(state_path.read_bytes()).hexdigest()).name]
    # edited by hand (same size, other bytes): still the file's content
    text = state_path.read_text().replace('"renamed"', '"hand-ed"')
    state_path.write_text(text)
    assert LocalBackend(state_path).read().resources[first.address].attributes["name"] == "hand-ed"


def test_a_small_state_leaves_no_cache_file(state_path: Path, sample_state: State) -> None:
    LocalBackend(state_path).write(sample_state)
    LocalBackend(state_path).read()
    LocalBackend(state_path).read()
    assert not read_cache.cache_dir(state_path).exists()
