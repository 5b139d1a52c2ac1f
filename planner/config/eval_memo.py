"""Each resource block's evaluated instances, remembered for the next plan whose inputs to it are the same.

A plan evaluates every instance of every block: at 10,000 load balancers, 100,000 instances and most of
a plan's time. A 1% change (a variable that two blocks read, an edit of one block) leaves the other blocks'
instances exactly as they were, because an instance's evaluation (its arguments, conformed to the schema,
and the keys its references index) is a function of: the block's own text and where it stands, the rest of
the configuration but the other resource blocks (variables' declarations and sensitivity, locals,
providers, module calls and outputs: ``configuration_context``), the program, the block's instance key and
the values of what the block refers to (variables, locals, resources, data sources, module outputs,
``path`` and ``terraform``). Another resource block reaches it only through its values. So after each
block is evaluated, its instances are recorded with a digest of those values; the next evaluation of that
block whose digest is the same takes them from the record instead of evaluating them.

The diff of such an instance against its prior object is remembered too when it was a no-op: its planned
object, encoded as the diff made it (key order and types included), with the digest of the state file it
was planned against. It is taken again only while the plan's diff runs against that very file (not after a
refresh found drift, not with moved objects, ``-replace`` or ``-destroy``), and only for types whose diff
the configuration and the prior object alone decide (no ``customize_diff``); anything else is diffed.

A block is recorded only when nothing else could have made its answer: it read no file, no data source
and called no function that answers differently each time (``planner.config.inputs`` notices those), it
reported no diagnostic (a warning must be shown again), no instance holds a secret (nothing secret is
written here) and every value is plain data. A value that is not (an unknown, an exact fraction) makes the
block or the digest not recordable: it is evaluated every time. The digest covers the values as
``marshal`` writes them in its version 2, which writes equal plain values as equal bytes (no references,
no interning flags) and refuses everything else.

Entries live in the checkout's ``.clbplan/eval-memo/``, one file per block, 0600 in 0700 folders, sealed
with the parse cache's per-user HMAC key (``planner.config.parse_cache``) over the program's sources, the
configuration's context, the block's address and its source lines (``loader._source_keys``): an entry the
key does not verify, made by other code, for another text of the block or of its context, or moved to
another block's name is not read. ``CLBPLAN_REMEMBER_BLOCKS=0``
turns this off.
"""

from __future__ import annotations

import hashlib
import marshal
import os
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from planner.diagnostics import SourcePos

FORMAT = 3
ENV_SWITCH = "CLBPLAN_REMEMBER_BLOCKS"
_DIGEST_VERSION = 2  # marshal without references: equal values, equal bytes


class NotRecordable(Exception):
    """A value the memo cannot digest or store: the block is evaluated, and not recorded."""


def value_digest(value: Any) -> bytes:
    """A digest of an evaluated value; NotRecordable for one that holds an unknown or an unexpected type.

    Plain data is digested as it is; HCL's typed collections (a set, a list, a map with their element
    type: they evaluate differently from a tuple or an object with the same items) and exact fractions
    are written with a tag first, a tuple that starts with ``...``, which no evaluated value holds."""
    try:
        return hashlib.sha256(marshal.dumps(value, _DIGEST_VERSION)).digest()
    except ValueError:
        pass
    try:
        return hashlib.sha256(marshal.dumps(_tagged(value), _DIGEST_VERSION)).digest()
    except (ValueError, RecursionError):
        raise NotRecordable() from None


_PLAIN = frozenset((str, int, float, bool, type(None), bytes))


def _tagged(v: Any) -> Any:
    """``v`` with every value that is not plain data replaced by a tagged tuple (see ``value_digest``)."""
    from planner.config.types import Fraction, ListValue, MapValue, SetValue

    t = type(v)
    if t in _PLAIN:
        return v
    if t is dict:
        return {k: _tagged(x) for k, x in v.items()}
    if t is list:
        return [_tagged(x) for x in v]
    if t is tuple:
        return tuple(_tagged(x) for x in v)
    if t is SetValue or t is ListValue:
        return (..., t.__name__, _tagged(v.elem), [_tagged(x) for x in v])
    if t is MapValue:
        return (..., "MapValue", _tagged(v.elem), {k: _tagged(x) for k, x in v.items()})
    if t is Fraction:
        return (..., "Fraction", str(v.exact))
    raise NotRecordable()  # an unknown, or a type this digest does not know


def memo_dir(workdir: Path) -> Path:
    return Path(workdir) / ".clbplan" / "eval-memo"


_CODE: list[str] = []


def _code_digest() -> str:
    """The program's sources: a checkout changed without a new version number evaluates differently."""
    if not _CODE:
        from planner.version import PACKAGE_ROOT, sources_digest

        _CODE.append(sources_digest(PACKAGE_ROOT.rglob("*.py")))
    return _CODE[0]


class RememberedBlock:
    """One block's record: its instances by key, each decoded when asked for; ``prior``: the digest of
    the state its no-ops were planned against ("" when none were kept)."""

    def __init__(self, prior: str, positions: list[tuple], entries: dict[Any, tuple[bytes, int, dict, bytes | None]]):
        self.prior = prior
        self._positions = positions
        self._maps: dict[int, dict] = {}
        self.entries = entries

    def instance(self, key: Any) -> tuple[dict, dict, dict] | None:
        """(arguments, positions, index keys by reference number) of instance ``key``, or None."""
        entry = self.entries.get(key)
        if entry is None:
            return None
        attrs_bytes, pos_index, keys, _after = entry
        positions = self._maps.get(pos_index)
        if positions is None:
            positions = self._maps[pos_index] = {tuple(path): SourcePos(fn, line, col)
                                                 for path, fn, line, col in self._positions[pos_index]}
        return marshal.loads(attrs_bytes), positions, keys

    def planned(self, key: Any) -> dict | None:
        """The planned object of instance ``key``'s no-op, when one was kept (valid for ``prior`` only)."""
        after = self.entries[key][3]
        return None if after is None else marshal.loads(after)


class BlockRecorder:
    """Collects one block's freshly evaluated instances. Their arguments and planned objects are kept as
    they are and encoded when the records are written (``BlockMemo.flush``, often in a child after the
    plan is shown): nothing changes an instance's arguments after its evaluation, nor a planned object
    after its diff (the whole suite and the convergence campaign, run once with every record also encoded
    at once and compared, found no difference: bench/RESULTS.md)."""

    def __init__(self) -> None:
        self.positions: list[tuple] = []
        self._position_ids: dict[int, int] = {}
        self._keep: list[dict] = []  # the maps whose ids index _position_ids stay alive meanwhile
        # key -> (arguments, or their encoding when taken from the old record; positions; index keys)
        self.entries: dict[Any, tuple[dict | bytes, int, dict]] = {}
        self.planned: dict[Any, dict | bytes] = {}  # key -> its no-op's planned object (or its encoding)

    def add(self, key: Any, attributes: dict, positions: dict, keys: dict[int, Any]) -> None:
        """NotRecordable when the block's first instance is not plain data: an instance that refers to
        an object yet to be created holds an unknown, and so do its siblings, which are then not kept
        until the flush for nothing (50 MB in an apply of 10,000 load balancers from empty). A later
        instance that is not plain data is found when the record is encoded."""
        if not self.entries:
            try:
                marshal.dumps(attributes)
            except ValueError:
                raise NotRecordable() from None
        self.entries[key] = (attributes, self._position_index(positions), keys)

    def _position_index(self, positions: dict) -> int:
        """The number of ``positions`` among the block's maps (the instances of a block share one)."""
        index = self._position_ids.get(id(positions))
        if index is None:
            index = self._position_ids[id(positions)] = len(self.positions)
            self._keep.append(positions)
            self.positions.append(tuple((path, p.filename, p.line, p.column) for path, p in positions.items()))
        return index

    def add_planned(self, key: Any, after: dict) -> None:
        """Instance ``key`` planned to no change, to ``after``: kept with it."""
        self.planned[key] = after

    def add_remembered(self, key: Any, block: RememberedBlock, positions: dict) -> None:
        """An instance taken from the record goes into the new record as it was read."""
        encoded, _index, keys, _after = block.entries[key]
        self.entries[key] = (encoded, self._position_index(positions), keys)

    def encoded(self) -> tuple[list[tuple], dict[Any, tuple[bytes, int, dict, bytes | None]]] | None:
        """(positions, entries) as a record holds them; None when an argument or an index key is not
        plain data (the block is not recorded). A planned object that is not is left out."""
        entries = {}
        dumps = marshal.dumps
        for key, (attributes, index, keys) in self.entries.items():
            after = self.planned.get(key)
            try:
                encoded = attributes if type(attributes) is bytes else dumps(attributes)
                dumps(keys)
            except ValueError:
                return None
            if after is not None and type(after) is not bytes:
                try:
                    after = dumps(after)
                except ValueError:
                    after = None
            entries[key] = (encoded, index, keys, after)
        return self.positions, entries


class BlockMemo:
    """The records of one configuration in one working directory (see the module docstring)."""

    def __init__(self, folder: Path, key: bytes, context: str):
        self.folder = Path(folder)
        self._key = key
        # (marshal's format is the interpreter's: another Python does not read these records; abspath()
        # answers from the working directory and pathexpand() from HOME, which no reference names)
        place = f"{os.getcwd()!r} {os.environ.get('HOME', '')!r}"
        self._base = f"eval-memo {FORMAT} {sys.version} {_code_digest()} {context} {place}"
        self._pending: dict[str, tuple[str, str, str, BlockRecorder]] = {}
        self._current: set[str] = set()  # the record files of the blocks this run looked up
        # (digest of the state the diff plans against, the differ) while the diff's prior is the state file
        # as read: a record's no-op planned objects are used again only against that same state
        self.prior: tuple[str, Any] | None = None
        self.reused = 0  # instances taken from records in this run (the log says how many)
        self.evaluated = 0  # instances of recordable blocks evaluated
        self.planned = 0  # no-ops among the reused taken as planned then (see ``prior``)

    @classmethod
    def open(cls, workdir: Path, module: Any, env: Mapping[str, str]) -> BlockMemo | None:
        """The memo for the configuration ``module`` (the loaded root module) in ``workdir``; None when
        switched off, or without a per-user key or a content hash."""
        from planner import process
        from planner.config import parse_cache

        if not module.content_hash or not process.switched_on(env, ENV_SWITCH):
            return None
        key = parse_cache.user_key()
        if key is None:
            return None
        folder = memo_dir(workdir)
        process.wait_for(writer_lock(folder))  # the last run's records, still being written after it
        context = configuration_context(module)
        return None if context is None else cls(folder, key, context)

    def digest(self, parts: Iterable[bytes]) -> str:
        h = hashlib.sha256()
        for p in parts:
            h.update(p)
        return h.hexdigest()

    def _file(self, ident: str) -> Path:
        return self.folder / (hashlib.sha256(ident.encode()).hexdigest()[:40] + ".bin")

    def _name(self, ident: str, source: str) -> str:
        return f"{self._base} {ident} {source}"

    def lookup(self, ident: str, source: str, digest: str) -> RememberedBlock | None:
        """The record of block ``ident`` made from the same source lines (``source``: the block's key in
        ``Module.block_keys``) with the same inputs (``digest``), or None."""
        from planner.config import parse_cache

        path = self._file(ident)
        self._current.add(path.name)
        try:
            blob = path.read_bytes()
        except OSError:
            return None
        try:
            fmt, stored, prior, positions, entries = marshal.loads(
                parse_cache.unseal(self._key, self._name(ident, source), blob))
        except (parse_cache.CacheFormatError, ValueError, EOFError, TypeError):
            return None
        if fmt != FORMAT or stored != digest or not isinstance(entries, dict):
            return None
        return RememberedBlock(prior, positions, entries)

    def record(self, ident: str, source: str, digest: str, recorder: BlockRecorder) -> None:
        """Keep the block's new record, written by ``flush``."""
        prior = self.prior[0] if self.prior is not None else ""
        self._pending[ident] = (source, digest, prior, recorder)

    def flush(self, secrets: Iterable[str] = ()) -> None:
        """Write the records this run made (a folder that cannot be written means no memo): in a child
        the command does not wait for when it can (``process.behind``; the next run waits for it in
        ``open``), here otherwise. A record that holds one of ``secrets`` (every value the run knows to
        be secret, wherever it appears: a secret the cloud echoes into another object's attribute) is
        not written."""
        from planner import process

        pending, self._pending = self._pending, {}
        current = frozenset(self._current)
        if not pending:
            _prune(self.folder, current)
            return
        needles = [s.encode("utf-8", "surrogatepass") for s in secrets if s]

        def work() -> None:
            self._write(pending, needles)
            _prune(self.folder, current)

        if not process.behind(work, lock=writer_lock(self.folder)):
            work()

    def _write(self, pending: dict[str, tuple[str, str, str, BlockRecorder]], needles: list[bytes]) -> None:
        from planner.config import parse_cache

        for ident, (source, digest, prior, recorder) in pending.items():
            got = recorder.encoded()
            if got is None:
                continue
            positions, entries = got
            blob = parse_cache.seal(self._key, self._name(ident, source),
                                    marshal.dumps((FORMAT, digest, prior, positions, entries)))
            if any(n in blob for n in needles):
                continue
            if not parse_cache.write_private(self._file(ident), blob):
                return


def configuration_context(root: Any) -> str | None:
    """Everything in the configuration but its resource blocks' own lines: the context hash of every
    loaded module (``loader._source_keys``), with its static path. An edit there (a variable's
    declaration, a local, a provider, a module call, a data source) makes every record a miss. None
    when a module has none (not loaded from its files): no records then."""
    h = hashlib.sha256()
    stack = [root]
    while stack:
        m = stack.pop()
        if not m.context_hash:
            return None
        h.update(f"{'.'.join(m.path)}\0{m.context_hash}\0".encode())
        stack.extend(m.children[n] for n in sorted(m.children, reverse=True))
    return h.hexdigest()


def _prune(folder: Path, current: frozenset[str]) -> None:
    """Remove the records of blocks the configuration no longer has (every block with a record is looked
    up on each evaluation: ``current``) and what a writer killed mid-write left."""
    from planner.config import parse_cache

    try:
        names = [n for n in os.listdir(folder) if n.endswith(".bin") and not n.startswith(".")]
    except OSError:
        return
    for name in names:
        if name not in current:
            try:
                os.unlink(folder / name)
            except OSError:
                pass
    parse_cache.sweep_temps(folder)


def writer_lock(folder: Path) -> Path:
    """The file a child writing records holds locked (``process.behind``)."""
    return Path(folder) / ".writing"
