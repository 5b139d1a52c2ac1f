"""Threat: a pull request runs code, or changes what is planned, through `.clbplan/parse-cache/`.

CI runs `clbplan plan` on the contents of a pull request, and the parse cache lives in the
checkout: anything the author commits there is read by the CI job. The cache must be data only,
authenticated with a key the checkout cannot hold.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from planner.config import load_module, parse_cache
from planner.config import loader as loader_mod

MAIN_TF = 'locals {\n  answer = 42\n}\n\noutput "answer" {\n  value = local.answer\n}\n'


class _Payload:
    """What an attacker commits: unpickling it creates a marker file (any command would do)."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def _answer(directory: Path) -> object:
    module = load_module(directory)
    return module.locals["answer"][0].expr.value


def _clbplan(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    return subprocess.run([sys.executable, "-m", "planner.cli.main", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=60, check=False)


def test_a_committed_pickle_payload_never_runs(tmp_path):
    cfg = tmp_path / "repo"
    cfg.mkdir()
    (cfg / "main.tf").write_text(MAIN_TF)
    sha = hashlib.sha256(MAIN_TF.encode()).hexdigest()
    marker = tmp_path / "pwned"
    cache = cfg / ".clbplan" / "parse-cache"
    cache.mkdir(parents=True)
    blob = pickle.dumps(_Payload(marker))
    # every name the cache has ever used for this file: the pickle name of the attacked build and today's
    for name in (f"{loader_mod.CACHE_KEY_PREFIX}-{sha}.pickle", f"hcl2-{loader_mod.CACHE_KEY_PREFIX[5:]}-{sha}.pickle",
                 f"{loader_mod.CACHE_KEY_PREFIX}-{sha}.json"):
        (cache / name).write_bytes(blob)
    for ir_version in range(1, 10):  # and the names of earlier IR versions
        prefix = loader_mod.CACHE_KEY_PREFIX.rsplit("-ir", 1)[0]
        (cache / f"{prefix}-ir{ir_version}-{sha}.pickle").write_bytes(blob)
    result = _clbplan("validate", cwd=cfg)
    assert result.returncode == 0, result.stderr
    assert not marker.exists(), "the committed cache entry ran code"
    assert _answer(cfg) == 42
    assert not marker.exists()


def test_an_entry_copied_from_another_configuration_is_not_used(tmp_path):
    """A cache entry that is genuine, but for other content, cannot stand in for this file's parse."""
    mine, theirs = tmp_path / "mine", tmp_path / "theirs"
    for d, value in ((mine, 42), (theirs, 7)):
        d.mkdir()
        (d / "main.tf").write_text(MAIN_TF.replace("42", str(value)))
        load_module(d)
    (mine_entry,) = (mine / ".clbplan" / "parse-cache").iterdir()
    (their_entry,) = (theirs / ".clbplan" / "parse-cache").iterdir()
    shutil.copyfile(their_entry, mine_entry)
    assert _answer(mine) == 42


def test_a_tampered_entry_is_ignored_and_rewritten(tmp_path):
    (tmp_path / "main.tf").write_text(MAIN_TF)
    load_module(tmp_path)
    (entry,) = (tmp_path / ".clbplan" / "parse-cache").iterdir()
    blob = entry.read_bytes()
    assert b"42" in blob
    entry.write_bytes(blob.replace(b"42", b"13"))
    assert _answer(tmp_path) == 42
    assert entry.read_bytes() == blob  # the next load re-parsed and wrote a good entry back


def test_entries_of_edited_files_and_half_written_ones_are_removed(tmp_path):
    (tmp_path / "main.tf").write_text(MAIN_TF)
    load_module(tmp_path)
    cache = tmp_path / ".clbplan" / "parse-cache"
    (old,) = cache.iterdir()
    dead = subprocess.Popen(["true"])  # a process that has ended: its pid names no writer now
    dead.wait()
    half = cache / f".tmp-{dead.pid}-{old.name}"
    half.write_bytes(b"half an entry")
    alive = cache / f".tmp-{os.getpid()}-{old.name}"  # a writer still running keeps its file
    alive.write_bytes(b"being written")
    (tmp_path / "main.tf").write_text(MAIN_TF.replace("42", "43"))
    assert _answer(tmp_path) == 43
    assert not old.exists() and not half.exists() and alive.exists()
    assert len([p for p in cache.iterdir() if not p.name.startswith(".tmp-")]) == 1


def test_an_entry_sealed_with_another_users_key_is_ignored(tmp_path):
    (tmp_path / "main.tf").write_text(MAIN_TF)
    load_module(tmp_path)
    (entry,) = (tmp_path / ".clbplan" / "parse-cache").iterdir()
    payload = parse_cache.encode(load_module(tmp_path, use_cache=False).files[0].body)
    forged = payload.replace(b"42", b"13")
    entry.write_bytes(parse_cache.seal(b"k" * 32, entry.name, forged))
    assert _answer(tmp_path) == 42


@pytest.mark.parametrize("payload", [
    b'{"body":[[["answer",["Z",1,1,0],1,1]],[]]}',          # unknown node type
    b'{"body":[[["answer",["L",1,1,{"x":1}],1,1]],[]]}',     # a literal that is not a scalar
    b'{"body":[[["answer",["L",1,1],1,1]],[]]}',             # wrong arity
    b'{"body":[[["answer",["L","1",1,2],1,1]],[]]}',         # a position that is not a number
    b'{"body":"x","extra":1}',
    b"[" * 100000,
    b"\xff\xfe",
])
def test_well_sealed_but_malformed_entries_are_rejected_by_the_schema(payload):
    with pytest.raises(parse_cache.CacheFormatError):
        parse_cache.decode(payload)


def test_cache_files_are_private_and_the_key_lives_outside_the_checkout(tmp_path):
    (tmp_path / "main.tf").write_text(MAIN_TF)
    os.umask(0o022)
    load_module(tmp_path)
    cache = tmp_path / ".clbplan" / "parse-cache"
    for folder in (cache.parent, cache):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    (entry,) = cache.iterdir()
    assert stat.S_IMODE(entry.stat().st_mode) == 0o600
    key = parse_cache.key_dir() / parse_cache.KEY_FILE
    assert key.is_file() and stat.S_IMODE(key.stat().st_mode) == 0o600
    assert tmp_path not in key.parents


def test_a_key_others_can_read_is_not_trusted(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    (tmp_path / "xdg" / "clbplan").mkdir(parents=True)
    key = tmp_path / "xdg" / "clbplan" / parse_cache.KEY_FILE
    key.write_bytes(b"k" * 32)
    key.chmod(0o644)
    assert parse_cache.user_key() is None
    (tmp_path / "cfg").mkdir()
    (tmp_path / "cfg" / "main.tf").write_text(MAIN_TF)
    assert _answer(tmp_path / "cfg") == 42  # no trustworthy key: no cache, the load still works
    assert not (tmp_path / "cfg" / ".clbplan" / "parse-cache").exists()
