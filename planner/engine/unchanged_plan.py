"""A plan that found nothing to do, remembered for the next run with the same inputs.

Drift detection in CI runs ``clbplan plan -detailed-exitcode`` again and again on a configuration and a
state that have not changed; at 10,000 load balancers evaluating the configuration is 15 s of each run,
and it can only find what it found last time. An evaluation is a function of its inputs: the
configuration files, the variables, the provider configurations, the workspace, the directories, the
environment the providers read, the state, the program itself, and what ``planner.config.inputs``
records (files the functions read, data sources, functions that answer differently each call). So
when a plan finds no change, no output change and no drift, it records a digest of those inputs (an
HMAC with the per-user cache key: variables may be secret) beside the configuration. The next plan
whose inputs have the same digest, whose recorded files and data sources still answer the same, and
whose refresh finds every object exactly as the state holds it, is that same empty plan: it is shown
without evaluating anything past the variables and the providers.

Only the CLI's ``plan`` (without ``-out`` or ``-json``, which need every no-op change) asks for this,
only without planning options (targets, replace, destroy, refresh-only, -refresh=false), and only for a
state read from a local file (whose bytes are what the digest covers). ``CLBPLAN_REUSE_UNCHANGED=0``
always evaluates. Whatever fails to match, the plan is made in full, as before.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import marshal
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from planner.config.inputs import EvaluationInputs, digest
from planner.config.model import Configuration, OutputValue
from planner.diagnostics import Diagnostic, SourcePos
from planner.plan.diff import values_equal
from planner.process import switched_on
from planner.state.model import State
from planner.values import contains_unknown

FORMAT = 1
ENV_SWITCH = "CLBPLAN_REUSE_UNCHANGED"
# environment variables an evaluation or a provider reads; the log and input switches change no answer
ENV_PREFIXES = ("TF_", "ALICLOUD_", "CLBPLAN_")
ENV_IGNORED = frozenset({"TF_LOG", "TF_LOG_PATH", "TF_LOG_CORE", "TF_LOG_PROVIDER", "TF_IN_AUTOMATION", "TF_INPUT",
                         "CLBPLAN_BACKGROUND_REFRESH", ENV_SWITCH})


@dataclass
class Remembered:
    """What a no-change plan with these inputs showed besides "No changes": its warnings, and the
    outputs (equal to the state's) that the plan compares again; and what its evaluation read."""

    outputs: dict[str, OutputValue]
    warnings: list[Diagnostic]
    inputs: EvaluationInputs


def wanted(env: Mapping[str, str]) -> bool:
    return switched_on(env, ENV_SWITCH)


def memo_path(workdir: Path) -> Path:
    return Path(workdir) / ".clbplan" / "unchanged-plan" / "last.bin"


_CODE: list[str] = []


def code_digest() -> str:
    """The program's own sources: a checkout changed without a new version number evaluates differently."""
    if not _CODE:
        from planner.version import PACKAGE_ROOT, sources_digest

        _CODE.append(sources_digest(PACKAGE_ROOT.rglob("*.py")))
    return _CODE[0]


def run_key(key: bytes, *, content_hash: str, state: State, variables: Mapping[str, Any],
            sensitive_variables: set[str], providers: Mapping[str, Any], workspace: str, workdir: Path,
            env: Mapping[str, str]) -> str:
    """The digest of every input of an evaluation but those ``EvaluationInputs`` records."""
    material = {
        "format": FORMAT, "code": code_digest(), "config": content_hash, "state": state.source_digest,
        "variables": variables, "sensitive": sorted(sensitive_variables),
        "providers": {k: dataclasses.asdict(p) for k, p in sorted(providers.items())},
        "workspace": workspace, "root": os.path.abspath(workdir), "cwd": os.getcwd(),
        "home": os.environ.get("HOME", ""),
        "env": {k: v for k, v in sorted(env.items()) if k.startswith(ENV_PREFIXES) and k not in ENV_IGNORED},
    }
    return hmac.new(key, digest(material).encode(), hashlib.sha256).hexdigest()


def _name(run: str) -> str:
    return f"unchanged-plan {FORMAT} {run}"


def lookup(workdir: Path, key: bytes, run: str) -> Remembered | None:
    """The remembered plan for the inputs whose digest is ``run``, or None (none, another, not ours)."""
    from planner.config import parse_cache

    try:
        blob = memo_path(workdir).read_bytes()
    except OSError:
        return None
    try:
        fmt, outputs, warnings, inputs = marshal.loads(parse_cache.unseal(key, _name(run), blob))
        if fmt != FORMAT:
            return None
        return Remembered({o[0]: OutputValue(o[0], o[1], o[2], o[3], _pos(o[4]), o[5]) for o in outputs},
                          [Diagnostic(d[0], _pos(d[1]), d[2], d[3], d[4], d[5]) for d in warnings],
                          EvaluationInputs.from_plain(inputs))
    except (parse_cache.CacheFormatError, ValueError, EOFError, TypeError, IndexError):
        return None


def remember(workdir: Path, key: bytes, run: str, config: Configuration, inputs: EvaluationInputs) -> None:
    """Record that the inputs ``run`` plan to nothing; a folder that cannot be written means no record."""
    from planner.config import parse_cache

    plain = (FORMAT,
             [(o.name, o.value, bool(o.sensitive), o.description, _plain_pos(o.pos), o.type)
              for o in config.outputs.values()],
             [(d.summary, _plain_pos(d.pos), d.detail, d.hint, d.severity, d.once) for d in config.warnings],
             inputs.plain())
    try:
        payload = marshal.dumps(plain, 4)
    except ValueError:  # a value marshal cannot write: nothing remembered
        return
    parse_cache.write_private(memo_path(workdir), parse_cache.seal(key, _name(run), payload))


def forget(workdir: Path) -> None:
    """Drop the record (the run's inputs plan to something now): the next run does not read it for nothing."""
    try:
        memo_path(workdir).unlink(missing_ok=True)
    except OSError:
        pass


def outputs_unchanged(config: Configuration, state: State) -> bool:
    """Whether every output the configuration evaluates to is the state's (a null one is never stored)."""
    known = {n: o for n, o in config.outputs.items() if o.value is not None}
    if set(known) != set(state.outputs):
        return False
    return all(not contains_unknown(o.value) and values_equal(o.value, state.outputs[n].get("value"))
               for n, o in known.items())


def _plain_pos(pos: SourcePos | None) -> tuple | None:
    return None if pos is None else (pos.filename, pos.line, pos.column)


def _pos(plain: Any) -> SourcePos | None:
    return None if plain is None else SourcePos(plain[0], plain[1], plain[2])
