"""What an evaluation read besides its configuration files and its variables.

The same configuration and variables evaluate to the same result, except where an expression reads
something outside them: a file (``file``, ``templatefile``, ``fileexists``, ``fileset``, the file
digests), a data source (the cloud, or a file for the utility providers'), or a function that answers
differently on each call (``bcrypt``'s random salt, ``plantimestamp``). A plan that remembers an
earlier evaluation's verdict (``planner.engine.unchanged_plan``) records these while evaluating and
trusts the verdict again only when each one still gives the answer it gave then.

Answers are kept as digests: the record is written to disk, and a file or a data source may hold a
secret. A data source's arguments are kept as written (they are read again); an evaluation whose data
source arguments hold a secret is not remembered at all.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

# the functions whose answer is not a function of their arguments: an evaluation that calls one is
# never taken as the answer for the next run (uuid() and timestamp() are unknown at plan: repeatable)
NOT_REPEATABLE = frozenset({"bcrypt", "plantimestamp"})


def digest(value: Any) -> str:
    """A stable digest of plain data (dict order does not count; sets arrive as sorted lists)."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), default=repr, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def file_digest(path: str) -> str:
    """The digest of a file's bytes, or a word for why there are none (a file that appears or goes
    changes the answer as much as one that is edited)."""
    try:
        with open(path, "rb") as f:
            return hashlib.sha256(f.read()).hexdigest()
    except FileNotFoundError:
        return "missing"
    except OSError as e:
        return f"unreadable {e.errno}"


@dataclass
class EvaluationInputs:
    """Filled by the evaluator while it runs (``Evaluator.inputs``); plain tuples, so it can be stored."""

    repeatable: bool = True
    # ("read", absolute path, digest) | ("exists", absolute path, bool) | ("fileset", root, pattern, digest)
    files: list[tuple] = field(default_factory=list)
    # ("cloud", type, arguments, provider key, written names, answer's digest)
    # | ("local", type, arguments, answer's digest)
    data: list[tuple] = field(default_factory=list)
    unrepeatable_calls: int = 0

    def marks(self) -> tuple[int, int, int]:
        """Where the record stands: compared before and after a block, it tells whether the block read
        anything (``planner.config.eval_memo``)."""
        return len(self.files), len(self.data), self.unrepeatable_calls

    def unrepeatable(self) -> None:
        """A function that answers differently each call ran."""
        self.repeatable = False
        self.unrepeatable_calls += 1

    def read_file(self, path: str, data: bytes) -> None:
        self.files.append(("read", os.path.abspath(path), hashlib.sha256(data).hexdigest()))

    def file_exists(self, path: str, answer: bool) -> None:
        self.files.append(("exists", os.path.abspath(path), bool(answer)))

    def file_set(self, root: str, pattern: str, answer: Any) -> None:
        self.files.append(("fileset", os.path.abspath(root), pattern, digest(answer)))

    def cloud_data(self, type_name: str, arguments: dict, provider_key: str, written: set[str], answer: Any) -> None:
        self.data.append(("cloud", type_name, self._arguments(arguments), provider_key, sorted(written),
                          digest(answer)))

    def local_data(self, type_name: str, arguments: dict, answer: Any) -> None:
        self.data.append(("local", type_name, self._arguments(arguments), digest(answer)))

    def _arguments(self, arguments: dict) -> Any:
        """The arguments as they will be read again; a value plain data cannot carry (a set, a tuple)
        would be read again as something else, so the evaluation is then not taken as repeatable."""
        plain = json.loads(json.dumps(arguments, default=repr))
        if plain != arguments:
            self.repeatable = False
        return plain

    def arguments_hold_any(self, secrets: frozenset[str]) -> bool:
        """Whether a data source's arguments (kept as written, to read it again) hold one of ``secrets``."""
        from planner.redact import collect

        return bool(secrets) and any(s in text for entry in self.data for text in collect(entry[2]) for s in secrets)

    def plain(self) -> tuple:
        return (self.repeatable, [tuple(f) for f in self.files], [tuple(d) for d in self.data])

    @classmethod
    def from_plain(cls, plain: Any) -> EvaluationInputs:
        repeatable, files, data = plain
        return cls(bool(repeatable), [tuple(f) for f in files], [tuple(d) for d in data])


def files_changed(inputs: EvaluationInputs, fileset: Callable[[str, str], Any]) -> str | None:
    """The first file input that answers differently now, as a phrase for the log; None when all hold.
    ``fileset(root, pattern)`` is the evaluator's own glob."""
    for entry in inputs.files:
        kind = entry[0]
        if kind == "read" and file_digest(entry[1]) != entry[2]:
            return f"{entry[1]} changed"
        if kind == "exists" and os.path.isfile(entry[1]) != entry[2]:
            return f"{entry[1]} appeared or went"
        if kind == "fileset":
            try:
                now = digest(fileset(entry[1], entry[2]))
            except Exception:  # noqa: BLE001 - a glob that fails now did not then: not the same answer
                return f"fileset({entry[1]!r}, {entry[2]!r}) fails now"
            if now != entry[3]:
                return f"fileset({entry[1]!r}, {entry[2]!r}) changed"
    return None


def data_changed(inputs: EvaluationInputs, read_cloud: Callable[[str, dict, str, set[str]], Any],
                 read_local: Callable[[str, dict], Any]) -> str | None:
    """The first data source that reads differently now, as a phrase for the log; None when all hold.
    The readers are the evaluation's own (the cloud's through its provider, the utility providers')."""
    for entry in inputs.data:
        try:
            if entry[0] == "cloud":
                _kind, type_name, arguments, key, written, answer = entry
                now = read_cloud(type_name, arguments, key, set(written))
            else:
                _kind, type_name, arguments, answer = entry
                now = read_local(type_name, arguments)
        except Exception:  # noqa: BLE001 - a read that fails now did not then
            return f"data source {type_name} cannot be read now"
        if digest(now) != answer:
            return f"data source {type_name} reads differently"
    return None
