"""Drive a scenario folder through the real pipeline: apply ``before``, plan ``after``, apply it.

Everything runs in a temporary work directory with its own embedded emulator and state file,
exactly as ``clbplan`` would in a user's directory.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from planner.engine.pipeline import Planned, apply_plan, final_outputs, make_plan
from planner.render.text import render_plan
from planner.state.backend import LocalBackend

HERE = Path(__file__).parent
SCENARIOS = sorted(d.name for d in HERE.iterdir() if (d / "before").is_dir() and (d / "after").is_dir())

# cloud-assigned ids differ between runs: numbered placeholders in order of appearance
_ID = re.compile(r"\b(?:(?:lb|rsp|acl|i|vpc|vsw|sg|eni|rule|cert|ca|de|eip|sgr)-[0-9a-z]{6,}|tls-[0-9a-z]{18,})\b")
# addresses depend on which object the cloud served first (the apply runs in parallel)
_IP = re.compile(r"\b\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}\b(?!/)")


# values the tls provider makes fresh on every run (certificates, keys, serials, validity times) and
# the emulator's certificate ids
_PEM = re.compile(r"-----BEGIN ([A-Z ]+)-----(?:\\n|\n)[A-Za-z0-9+/=\\n]+?-----END \1-----(?:\\n|\n)?")
_STAMP = re.compile(r"\b\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z\b")
_SERIAL = re.compile(r'(?<=")\d{20,}(?=")')
_CERT_ID = re.compile(r"\b\d{16}_[0-9a-f]{10}_[a-z0-9-]+\b")


def _fresh_values(text: str, tls: bool) -> str:
    seen: dict[str, str] = {}

    def numbered(kind: str):
        def sub(m: re.Match) -> str:
            return seen.setdefault(m.group(0), f"<{kind}-{sum(v.startswith(f'<{kind}-') for v in seen.values()) + 1}>")
        return sub

    rules = ((_PEM, "pem"), (_STAMP, "time"), (_SERIAL, "serial"), (_CERT_ID, "cert")) if tls else ((_CERT_ID, "cert"),)
    for rx, kind in rules:
        text = rx.sub(numbered(kind), text)
    return text


def normalise(text: str) -> str:
    seen: dict[str, str] = {}

    def sub(m: re.Match) -> str:
        token = m.group(0)
        if token not in seen:
            seen[token] = f"{token.split('-', 1)[0]}-<{len(seen) + 1}>"
        return seen[token]

    ips: dict[str, str] = {}

    def sub_ip(m: re.Match) -> str:
        return ips.setdefault(m.group(0), f"<ip-{len(ips) + 1}>")

    # certificates, serials and times only with the tls provider: other goldens keep their literal
    # certificates; certificate ids always
    text = _fresh_values(text, tls='resource "tls_' in text)
    return _IP.sub(sub_ip, _ID.sub(sub, text))


def use_config(work: Path, source: Path) -> None:
    """Put ``source``'s configuration in ``work``: its .tf files and its module folders (a folder of
    the previous configuration is removed; the state and the emulator's folder stay)."""
    for old in work.glob("*.tf"):
        old.unlink()
    for old in work.iterdir():
        if old.is_dir() and not old.name.startswith("."):
            shutil.rmtree(old)
    for f in sorted(source.glob("*.tf")):
        shutil.copy(f, work / f.name)
    for d in sorted(source.iterdir()):
        if d.is_dir():
            shutil.copytree(d, work / d.name)


def scenario_targets(folder: Path) -> list:
    """The ``-target=``/``-exclude=`` lines of a scenario's optional ``targets`` file, parsed."""
    from planner.addresses import parse_target

    f = folder / "targets"
    if not f.exists():
        return [], []
    targets, excludes = [], []
    for line in f.read_text().splitlines():
        flag, _, value = line.strip().partition("=")
        if flag == "-target":
            targets.append(parse_target(value))
        elif flag == "-exclude":
            excludes.append(parse_target(value))
    return targets, excludes


def plan_dir(work: Path, *, destroy: bool = False, targets=(), excludes=()) -> Planned:
    backend = LocalBackend(work / "clbplan.tfstate")
    return make_plan(work, backend.read(), destroy=destroy, targets=targets, excludes=excludes)


def apply_dir(work: Path, planned: Planned | None = None):
    """Plan (unless given) and apply ``work``; returns (planned, ApplyResult)."""
    backend = LocalBackend(work / "clbplan.tfstate")
    with backend.lock("apply"):
        planned = planned or make_plan(work, backend.read())
        state = planned.refreshed
        journal = backend.journal(state.lineage)
        result = apply_plan(planned, state, parallelism=4, journal=journal)
        if not result.failures:
            state.outputs = final_outputs(planned, state)
        backend.write(state)
        journal.checkpoint()
    return planned, result


def plan_text(planned: Planned) -> str:
    return normalise(render_plan(planned.plan))
