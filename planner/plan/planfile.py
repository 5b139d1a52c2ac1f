"""Saved plans: ``plan -out=FILE`` writes one, ``apply FILE`` applies exactly it, ``show FILE`` renders it.

The file is one JSON document: Terraform's JSON plan representation (what ``show -json FILE``
prints, built by ``planner.render.json_plan`` and handed in by the caller) plus a private
``"clbplan_planfile"`` section holding what apply needs to check the plan is still the one
reviewed: the state lineage and serial, a hash of the refreshed cloud, the configuration's content
hash, the variables, the run's flags and the exact changes/operations/edges in an encoded form.

Secrets. No secret is stored in clear text and no key is kept anywhere: sensitive attribute
values and sensitive variables are stored as salted SHA-256 digests (a random salt per file).
``apply FILE`` re-plans from the configuration, the variables (saved non-sensitive values, the
sensitive ones from the environment/-var as at plan time) and the refreshed cloud, and refuses
unless the result encodes to exactly the saved plan, digests included. The operations that then
run are the reviewed ones, with their secrets re-evaluated rather than decrypted. We chose
digests over encryption because a key kept in ``.clbplan/`` travels with the plan file in most
CI setups (same workspace, same artifact), which protects nothing; a digest needs no key. The
limit: the salt is in the file, so a weak secret (a short password) can be guessed offline by
trying candidates; the digest hides strong secrets (keys, tokens), not guessable ones.

Values known only after apply round-trip as ``{"__clbplan__": "unknown"}``.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from planner import __version__
from planner.addresses import ResourceAddress
from planner.diagnostics import Diagnostic, DiagnosticsError
from planner.plan.diff import get_schema
from planner.plan.model import Action, DriftEntry, Edge, Operation, OpKind, Plan, ResourceChange
from planner.state.model import State
from planner.values import UNKNOWN, is_unknown

PLANFILE_FORMAT = 1
SECTION = "clbplan_planfile"
_TAG = "__clbplan__"


# ---------------------------------------------------------------------------------------------
# value encoding

def _canon(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=repr)


def digest(salt: str, value: Any) -> str:
    """Salted digest of a secret: equal values give equal digests within one plan file only."""
    return "sha256:" + hashlib.sha256((salt + "\0" + _canon(encode_value(value))).encode()).hexdigest()


def encode_value(value: Any) -> Any:
    """JSON-safe form with UNKNOWN tagged (anywhere in the structure)."""
    if is_unknown(value):
        return {_TAG: "unknown"}
    if isinstance(value, dict):
        return {str(k): encode_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [encode_value(v) for v in value]
    if isinstance(value, (set, frozenset)):
        return sorted((encode_value(v) for v in value), key=_canon)
    return value


def decode_value(value: Any) -> Any:
    """Inverse of ``encode_value``; a stored secret digest reads back as "(sensitive value)"."""
    if isinstance(value, dict):
        if set(value) == {_TAG} and value[_TAG] == "unknown":
            return UNKNOWN
        if value.get(_TAG) == "sensitive":
            return "(sensitive value)"
        return {k: decode_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [decode_value(v) for v in value]
    return value


def _encode_attrs(attrs: dict | None, sensitive: set[str], salt: str) -> dict | None:
    if attrs is None:
        return None
    out = {}
    for k, v in attrs.items():
        if k in sensitive and v is not None and not is_unknown(v):
            out[k] = {_TAG: "sensitive", "digest": digest(salt, v)}
        else:
            out[k] = encode_value(v)
    return out


def encode_plan(plan: Plan, salt: str) -> dict:
    """The exact, comparable form of a plan (secrets as salted digests)."""
    def change(c: ResourceChange) -> dict:
        sens = set(c.sensitive)
        return {"address": str(c.address), "action": c.action.value, "provider": c.provider,
                "before": _encode_attrs(c.before, sens, salt), "after": _encode_attrs(c.after, sens, salt),
                "replace_paths": [list(p) for p in c.replace_paths], "action_reason": c.action_reason,
                "reason": c.reason, "sensitive": sorted(sens),
                **({"previous_address": str(c.previous_address)} if c.previous_address is not None else {})}

    masked = {c.address: set(c.sensitive) for c in plan.changes}

    def drift(d: DriftEntry) -> dict:
        sens = _schema_sensitive(d.address.type) | masked.get(d.address, set())
        return {"address": str(d.address), "changed": list(d.changed),
                "before": _encode_attrs(d.before, sens, salt), "after": _encode_attrs(d.after, sens, salt)}

    from planner.redact import scrub_doc

    return scrub_doc({
        "changes": [change(c) for c in plan.changes],
        "operations": [{"address": str(op.address), "kind": op.kind.value, "load_balancer": op.load_balancer,
                        "cascaded": op.cascaded, "batch_key": op.batch_key} for op in plan.operations],
        "edges": [{"before": e.before, "after": e.after, "reason": e.reason} for e in plan.edges],
        "drift": [drift(d) for d in plan.drift],
        "prior_lineage": plan.prior_lineage, "prior_serial": plan.prior_serial,
        "config_hash": plan.config_hash, "destroy": plan.destroy, "verified": plan.verified,
    })


def decode_plan(doc: dict, variables: dict[str, Any] | None = None) -> Plan:
    """A Plan for rendering (``show FILE``); secrets read back as "(sensitive value)"."""
    changes = []
    by_addr: dict[str, ResourceChange] = {}
    for c in doc["changes"]:
        ch = ResourceChange(
            ResourceAddress.parse(c["address"]), Action(c["action"]), decode_value(c["before"]),
            decode_value(c["after"]), provider=c.get("provider", "alicloud"),
            replace_paths=[list(p) for p in c.get("replace_paths", [])],
            action_reason=c.get("action_reason", ""), reason=c.get("reason", ""),
            sensitive=set(c.get("sensitive", [])),
            previous_address=ResourceAddress.parse(c["previous_address"]) if c.get("previous_address") else None)
        changes.append(ch)
        by_addr[c["address"]] = ch
    ops = []
    for o in doc["operations"]:
        addr = ResourceAddress.parse(o["address"])
        ch = by_addr.get(o["address"]) or ResourceChange(addr, Action.NOOP, None, None)
        ops.append(Operation(addr, OpKind(o["kind"]), ch, load_balancer=o.get("load_balancer"),
                             cascaded=bool(o.get("cascaded")), batch_key=o.get("batch_key", "")))
    drift = [DriftEntry(ResourceAddress.parse(d["address"]), list(d["changed"]), decode_value(d["before"]),
                        decode_value(d["after"])) for d in doc.get("drift", [])]
    return Plan(changes=changes, operations=ops,
                edges=[Edge(e["before"], e["after"], e["reason"]) for e in doc["edges"]],
                prior_lineage=doc.get("prior_lineage", ""), prior_serial=int(doc.get("prior_serial", 0)),
                drift=drift, variables=dict(variables or {}), config_hash=doc.get("config_hash", ""),
                destroy=bool(doc.get("destroy")), verified=doc.get("verified"))


def _schema_sensitive(type_name: str) -> set[str]:
    schema = get_schema(type_name)
    return set(schema.sensitive) if schema is not None else set()


def cloud_hash(refreshed: State, salt: str) -> str:
    """A digest of what the cloud reported at refresh (ids and attributes of every resource)."""
    h = hashlib.sha256(salt.encode())
    for addr in sorted(refreshed.resources, key=str):
        rs = refreshed.resources[addr]
        h.update(_canon([str(addr), rs.id, encode_value(rs.attributes)]).encode())
        h.update(b"\n")
    return "sha256:" + h.hexdigest()


def encode_variables(variables: dict[str, Any], sensitive: set[str], salt: str) -> dict:
    return {k: ({"sensitive": True, "digest": digest(salt, v)} if k in sensitive else {"value": encode_value(v)})
            for k, v in sorted(variables.items())}


# ---------------------------------------------------------------------------------------------
# the file

#: The parts of a plan's Terraform-JSON view a policy gate decides on, derived from the plan
#: (``planner.render.json_plan.decision_view``). The caller gives it: the plan layer does not
#: import the renderers.
JsonView = Callable[[Plan], dict]


@dataclass
class SavedPlan:
    """A plan file as read back."""

    path: Path
    doc: dict  # the whole file
    section: dict
    view: JsonView  # what the file's Terraform-JSON view must equal, of the plan it holds

    @property
    def plan(self) -> Plan:
        variables = {k: (decode_value(v["value"]) if "value" in v else "(sensitive value)")
                     for k, v in self.section["variables"].items()}
        return decode_plan(self.section["plan"], variables)

    @property
    def options(self) -> dict:
        return dict(self.section.get("options", {}))

    @property
    def terraform_json(self) -> dict:
        """What ``show -json FILE`` prints: the document without the private section."""
        return {k: v for k, v in self.doc.items() if k != SECTION}


def build_document(planned: Any, *, terraform_json: dict, options: dict, workdir: Path, state_path: Path,
                   salt: str | None = None) -> dict:
    """The plan file document for a ``Planned`` (see ``planner.engine.pipeline``): ``terraform_json``
    (the plan's JSON representation, ``planner.render.json_plan.plan_json``) and the private section."""
    salt = salt or secrets.token_hex(16)
    plan = planned.plan
    config = planned.config
    doc = dict(terraform_json)
    doc[SECTION] = {
        "format": PLANFILE_FORMAT,
        "clbplan_version": __version__,
        "salt": salt,
        "workdir": str(Path(workdir).resolve()),
        "state_path": str(Path(state_path).resolve()) if state_path else "",  # "" = the configured backend
        "lineage": plan.prior_lineage,
        "serial": plan.prior_serial,
        "cloud_hash": cloud_hash(planned.refreshed, salt),
        "config_hash": plan.config_hash,
        "variables": encode_variables(dict(config.variables), set(config.sensitive_variables), salt),
        "options": options,
        "plan": encode_plan(plan, salt),
    }
    return doc


def write_plan_file(path: Path | str, doc: dict) -> None:
    """Atomically: temp file in the same directory, fsync, rename (a reader never sees half a plan).

    A place that cannot be written (a read-only checkout, a full disk, a file size limit) is an
    error naming the file; an existing file of that name is left as it was."""
    path = Path(path)
    try:
        _write_plan_file(path, doc)
    except OSError as e:
        raise DiagnosticsError([Diagnostic(
            f"Failed to write the plan file {path}", detail=f"{e.strerror or e}",
            hint="save the plan somewhere writable with enough free space (for example -out=/tmp/"
                 f"{path.name}); nothing was written there")]) from None


def _write_plan_file(path: Path, doc: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        # compact: the C encoder only runs without indent (10x faster on a 10,000-change plan);
        # `clbplan show -json FILE` is the readable form
        text = json.dumps(doc, separators=(",", ":"), ensure_ascii=False)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.write("\n")
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def is_plan_file(path: Path | str) -> bool:
    """True for a file (used to tell ``apply FILE`` from ``apply DIR``): a regular file is never a
    configuration directory, so a damaged or foreign one gets read_plan_file's message, not
    "No such directory"."""
    return Path(path).is_file()


def read_plan_file(path: Path | str, view: JsonView) -> SavedPlan:
    """Read and sanity-check a plan file; a wrong or damaged file is a clear diagnostic. ``view``
    derives the Terraform-JSON view the file must show of the plan it holds (``check_json_view``)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
        if text.startswith('{"@level":'):
            raise DiagnosticsError([Diagnostic(
                f"{path} is the output of `plan -json`, not a saved plan",
                detail="`plan -json` streams Terraform's machine-readable UI (one JSON object per line), as "
                       "Terraform's does; it used to print the JSON plan representation, which is now "
                       "`clbplan show -json PLANFILE` only",
                hint="create the plan with `clbplan plan -out=FILE`, then `clbplan apply FILE` "
                     "(or `clbplan show -json FILE` for the JSON plan)")])
        doc = json.loads(text)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise DiagnosticsError([Diagnostic(f"Failed to read plan file {path}", detail=str(e),
                                           hint="pass a file written by `clbplan plan -out=FILE`")]) from None
    section = doc.get(SECTION) if isinstance(doc, dict) else None
    if not isinstance(section, dict) or section.get("format") != PLANFILE_FORMAT:
        raise DiagnosticsError([Diagnostic(
            f"{path} is not a clbplan saved plan",
            detail="the file has no clbplan plan section of a supported format (the JSON printed by "
                   "`show -json` cannot be applied)",
            hint="create the plan with `clbplan plan -out=FILE`, then `clbplan apply FILE`")])
    saved = SavedPlan(path, doc, section, view)
    check_json_view(saved)
    return saved


def check_json_view(saved: SavedPlan) -> None:
    """Refuse a plan file whose Terraform-JSON view (what ``show -json`` prints and policy gates
    read) does not describe the operations the file holds (what ``apply`` executes).

    The view is derived again from the private section and compared; editing only the view
    (``delete`` -> ``no-op``) is caught here, by ``show`` and ``apply`` alike. Editing both
    consistently is caught by ``apply``, which re-plans and compares the section and the whole view
    with what it would run (``check_fresh``)."""
    try:
        derived = saved.view(saved.plan)
    except (KeyError, TypeError, ValueError) as e:
        raise _refuse(f"Saved plan {saved.path} is damaged", f"its operations cannot be read: {e}",
                      "create a new plan with `clbplan plan -out=FILE`") from None
    doc = saved.doc
    shown = {"resource_changes": doc.get("resource_changes"),
             "operations": (doc.get("clbplan") or {}).get("operations"),
             "summary": (doc.get("clbplan") or {}).get("summary")}
    differing = [k for k in derived if derived[k] != shown[k]]
    if differing:
        addrs = sorted({str(c.get("address")) for c, d in zip(shown["resource_changes"] or [],
                                                               derived["resource_changes"], strict=False)
                        if c != d})
        raise _refuse(f"Saved plan {saved.path} was modified",
                      f"its Terraform-JSON view ({', '.join(differing)}"
                      + (f": {', '.join(addrs[:5])}" if addrs else "")
                      + ") does not describe the operations the file would apply; what `show -json` "
                        "prints and what `apply` does must be the same plan",
                      "do not edit plan files; create a new plan with `clbplan plan -out=FILE`")


def plan_workdir(saved: SavedPlan, cwd: Path) -> tuple[Path, bool]:
    """The directory a saved plan applies to, and whether that is not the current one.

    ``plan DIR -out=FILE`` records DIR: ``apply FILE`` applies there (and says so when run from
    elsewhere). But a current directory holding a configuration of its own is what the user means
    to change: a plan made in another directory is refused there with the reason, never applied
    to the other directory silently (``apply ../other/p.plan``)."""
    s = saved.section
    here = Path(cwd).resolve()
    made = Path(s.get("workdir", "")).resolve()
    if made == here:
        return made, False
    own_config = any(here.glob("*.tf")) or any(here.glob("*.tf.json"))
    if own_config:
        raise _refuse("Saved plan was made in another working directory",
                      f"the plan was made in {made}, this command runs in {here}, which has a configuration "
                      "of its own; applying the plan would change what the other directory manages",
                      f"run the apply from {made} (or with -chdir={made}), or create a plan here")
    if not made.is_dir():
        raise _refuse(f"The plan's configuration directory {made} does not exist",
                      "the plan applies to the directory where it was made",
                      "apply the plan where it was made, or create a new plan")
    return made, True


def check_backend(saved: SavedPlan, state_path: Path) -> None:
    """Refuse a plan made for another state (backend) than the one this apply would write."""
    target = Path(state_path).resolve()
    planned_for = Path(saved.section.get("state_path", "")).resolve()
    if target != planned_for:
        raise _refuse("Saved plan was made for another backend",
                      f"the plan was made against the state {planned_for}, this apply would write {target}",
                      "apply with the same -state (or backend) as the plan, or create a new plan")


# ---------------------------------------------------------------------------------------------
# checks at apply time

def _refuse(summary: str, detail: str, hint: str) -> DiagnosticsError:
    return DiagnosticsError([Diagnostic(summary, detail=detail, hint=hint)])


def check_state(saved: SavedPlan, state: State) -> None:
    """Lineage must match (else the plan is for another state) and the serial must not have moved."""
    s = saved.section
    if state.serial == 0 and not state.resources and s["serial"] == 0:
        state.lineage = s["lineage"]  # no state yet, then and now: the apply starts the plan's lineage
    if state.lineage != s["lineage"]:
        raise _refuse("Saved plan does not match the given state",
                      f"the plan was made for state lineage {s['lineage']}, the state has lineage "
                      f"{state.lineage}",
                      "create a new plan against this state with `clbplan plan -out=FILE`")
    if state.serial != s["serial"]:
        raise _refuse("Saved plan is stale",
                      f"the state changed since the plan was made (serial {s['serial']} then, "
                      f"{state.serial} now)",
                      "create a new plan with `clbplan plan -out=FILE`, review it, and apply that")


def check_fresh(saved: SavedPlan, fresh: Any) -> None:
    """``fresh`` is the plan made now from the same configuration, variables and flags; refuse
    unless it is the saved one (configuration, variables, cloud, then every change and step)."""
    s = saved.section
    salt = s["salt"]
    if fresh.plan.config_hash != s["config_hash"]:
        raise _refuse("Saved plan does not match the configuration",
                      "the .tf files changed since the plan was made (content hash differs)",
                      "create a new plan with `clbplan plan -out=FILE`")
    now_vars = encode_variables(dict(fresh.config.variables), set(fresh.config.sensitive_variables), salt)
    differing = sorted(k for k in set(now_vars) | set(s["variables"]) if now_vars.get(k) != s["variables"].get(k))
    if differing:
        raise _refuse("Saved plan does not match the variables",
                      f"these variables have other values than when the plan was made: "
                      f"{', '.join('var.' + k for k in differing)}",
                      "give sensitive variables the same values (environment or -var) as at plan time, "
                      "or create a new plan")
    if cloud_hash(fresh.refreshed, salt) != s["cloud_hash"]:
        raise _refuse("Saved plan is stale",
                      "the cloud changed since the plan was made (the refreshed cloud's hash differs)",
                      "create a new plan with `clbplan plan -out=FILE`, review it, and apply that")
    now = encode_plan(fresh.plan, salt)
    then = s["plan"]
    for key in ("changes", "operations", "edges"):
        if now[key] != then[key]:
            raise _refuse("Saved plan is stale",
                          f"planning again now gives different {key} than the saved plan",
                          "create a new plan with `clbplan plan -out=FILE`, review it, and apply that")
    # the view a policy gate read must be the view of what is about to run
    view_now = saved.view(fresh.plan)
    view_then = saved.view(saved.plan)
    if view_now != view_then:
        raise _refuse(f"Saved plan {saved.path} was modified",
                      "its Terraform-JSON view does not describe the operations apply would run",
                      "do not edit plan files; create a new plan with `clbplan plan -out=FILE`")


def saved_var_file(saved: SavedPlan, directory: Path | None = None) -> Path:
    """The saved non-sensitive variable values as a .tfvars.json (the highest-precedence file), so
    re-planning sees exactly them; sensitive ones come from the environment/-var as at plan time."""
    values = {k: decode_value(v["value"]) for k, v in saved.section["variables"].items() if "value" in v}
    fd, tmp = tempfile.mkstemp(prefix="clbplan-saved-vars-", suffix=".tfvars.json", dir=directory)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(values, f)
    return Path(tmp)
