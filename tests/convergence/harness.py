"""Drive one transition A -> B through the real pipeline and check that the plan told the truth.

Used by the property tests (in-process, tens of examples) and by bench/campaign.py (hundreds).
Every check raises :class:`TransitionFailure` with a message that names the step and shows what
differed, so a campaign report can list it and a shrunk case can become a golden scenario.
"""

from __future__ import annotations

import dataclasses
import json
from collections import Counter
from pathlib import Path
from typing import Any

from planner.emulator import Emulator, default_emulator_path
from planner.engine.pipeline import Planned, apply_plan, final_outputs, make_plan
from planner.render.text import render_plan
from planner.state.backend import LocalBackend
from planner.state.model import State

# emulator object kind -> the resource types whose state id is that object
KIND_TYPES: dict[str, tuple[str, ...]] = {
    "vpc": ("alicloud_vpc",),
    "vswitch": ("alicloud_vswitch",),
    "sg": ("alicloud_security_group",),
    "instance": ("alicloud_instance",),
    "eni": ("alicloud_ecs_network_interface", "alicloud_network_interface"),
    "lb": ("alicloud_slb_load_balancer", "alicloud_slb"),
    "vsg": ("alicloud_slb_server_group",),
    "msg": ("alicloud_slb_master_slave_server_group",),
    "listener": ("alicloud_slb_listener",),
    "rule": ("alicloud_slb_rule",),
    "acl": ("alicloud_slb_acl",),
    "cert": ("alicloud_slb_server_certificate",),
}
TYPE_KIND = {t: k for k, ts in KIND_TYPES.items() for t in ts}
# the name field of each kind's document: two live objects of one kind with one name is a duplicate
NAME_FIELDS = {"vpc": "VpcName", "vswitch": "VSwitchName", "sg": "SecurityGroupName", "instance": "InstanceName",
               "eni": "NetworkInterfaceName", "lb": "LoadBalancerName", "vsg": "VServerGroupName",
               "msg": "MasterSlaveServerGroupName", "acl": "AclName", "cert": "ServerCertificateName",
               "rule": "RuleName"}


class TransitionFailure(AssertionError):
    """A transition broke one of the promises (which one is in ``step``)."""

    def __init__(self, step: str, message: str):
        super().__init__(f"[{step}] {message}")
        self.step = step


def backend_for(work: Path) -> LocalBackend:
    return LocalBackend(work / "clbplan.tfstate")


def read_state(work: Path) -> State:
    """The state as the next run would see it (completed journal records replayed in)."""
    backend = backend_for(work)
    state = backend.read()
    journal = backend.journal(state.lineage)
    return journal.replay_into(state) or state


def plan(work: Path) -> Planned:
    return make_plan(work, read_state(work))


def with_faults(planned: Planned, faults: Any) -> Planned:
    """The same plan, applied through an emulator on the same SQLite file that injects ``faults``
    (busy windows, throttling, transient errors, lost responses)."""
    from planner.providers.alicloud import AlicloudProvider
    from planner.providers.transport import InProcessTransport

    emulator = Emulator(planned.emulator.path, faults=faults, region=planned.region)
    transport = InProcessTransport(emulator, region=planned.region)
    provider = AlicloudProvider(transport, planned.region, sleep=lambda s: None if s <= 0 else _short_sleep(s))
    return dataclasses.replace(planned, provider=provider, transport=transport, emulator=emulator)


def _short_sleep(seconds: float) -> None:
    """Back-off sleeps capped: the busy windows we inject are short, so the retries stay realistic
    in order while the suite stays fast."""
    import time

    time.sleep(min(seconds, 0.05))


def apply(work: Path, planned: Planned | None = None, *, faults: Any = None, parallelism: int = 4) -> Any:
    """Apply ``planned`` (or a fresh plan) the way ``clbplan apply`` does; returns the ApplyResult."""
    backend = backend_for(work)
    with backend.lock("apply"):
        state0 = backend.read()
        journal = backend.journal(state0.lineage)
        if planned is None:
            planned = make_plan(work, journal.replay_into(state0) or state0)
        if faults is not None:
            planned = with_faults(planned, faults)
        state = planned.refreshed
        result = apply_plan(planned, state, parallelism=parallelism, journal=journal)
        if not result.failures:
            state.outputs = final_outputs(planned, state)
        backend.write(state)
        journal.checkpoint()
    return result


def cloud_objects(work: Path) -> list[tuple[str, str, dict]]:
    """(kind, id, document) of every live object in the work directory's emulator."""
    emu = Emulator(default_emulator_path(work))
    try:
        rows = emu.dump()["tables"]["objects"]
    finally:
        emu.close()
    return [(r[1], r[2], json.loads(r[5]) if isinstance(r[5], str) else r[5]) for r in rows]


def _cloud_id(kind: str, obj_id: str) -> str:
    if kind == "listener":  # stored as lb_proto_port; the state id is lb:proto:port
        lb, proto, port = obj_id.rsplit("_", 2)
        return f"{lb}:{proto}:{port}"
    return obj_id


def check_cloud_matches_state(work: Path, state: State | None = None) -> None:
    """Every cloud object is known to state exactly once, every state object exists in the cloud,
    and no two live objects of one kind carry the same name (a create that ran twice)."""
    state = state if state is not None else read_state(work)
    objs = cloud_objects(work)
    in_cloud: Counter[tuple[str, str]] = Counter((k, _cloud_id(k, i)) for k, i, _ in objs if k in KIND_TYPES)
    dup_ids = [key for key, n in in_cloud.items() if n > 1]
    in_state: Counter[tuple[str, str]] = Counter()
    where: dict[tuple[str, str], list[str]] = {}
    for addr, rs in state.resources.items():
        kind = TYPE_KIND.get(addr.type)
        if kind is None or addr.mode != "managed":
            continue
        key = (kind, str(rs.id))
        in_state[key] += 1
        where.setdefault(key, []).append(str(addr))
    problems: list[str] = []
    for key in dup_ids:
        problems.append(f"cloud holds {key} {in_cloud[key]} times")
    for key, n in in_state.items():
        if n > 1:
            problems.append(f"state holds {key} {n} times: {', '.join(where[key])}")
        if key not in in_cloud:
            problems.append(f"lost: state has {', '.join(where[key])} = {key[1]} but the cloud does not")
    for key in in_cloud:
        if key not in in_state:
            problems.append(f"orphan: cloud {key[0]} {key[1]} is in no state resource")
    names: Counter[tuple[str, str]] = Counter()
    for kind, _i, doc in objs:
        field = NAME_FIELDS.get(kind)
        if field and isinstance(doc, dict) and doc.get(field):
            names[(kind, doc[field])] += 1
    for (kind, name), n in names.items():
        if n > 1 and kind != "rule":  # rule names repeat across listeners by design
            problems.append(f"duplicate: {n} live {kind} objects named {name!r}")
    if problems:
        raise TransitionFailure("cloud-vs-state", "; ".join(sorted(problems)))


def check_edges_sufficient(planned: Planned, step: str) -> None:
    """The plan's edges alone must make it safe, not the order it happens to be listed in.

    The executor runs ready operations in parallel, so any order consistent with the edges can
    happen. Shadow verification runs the listed order; here the same plan runs on another shadow
    with the ready operations taken *last-listed first*, which exposes an ordering the planner
    relied on without an edge (the ENI-attachment race was one)."""
    from planner.diagnostics import DiagnosticsError
    from planner.engine.verify import verify_plan

    ops = planned.plan.operations
    if len(ops) < 2 or planned.emulator is None:
        return
    adversarial = dataclasses.replace(planned.plan, operations=list(reversed(ops)), verified=None)
    try:
        verify_plan(adversarial, planned.emulator, planned.refreshed, region=planned.region,
                    planned_values=planned.planned_values(), dependencies=planned.dependencies())
    except DiagnosticsError as e:
        text = "\n".join(d.render() for d in e.diagnostics)
        raise TransitionFailure(f"{step}-edges-insufficient", text + "\n" + render_plan(planned.plan)) from None


def run_transition(work: Path, config_a: str, config_b: str, *, faults: Any = None,
                   write: Any = None) -> dict:
    """Apply A from empty, plan B (verified), apply it, and check the promises. Returns figures.

    ``write(text, work)`` writes a configuration (default: gen.write_config).
    """
    if write is None:
        from tests.convergence.gen import write_config as write
    write(config_a, work)
    first = plan(work)
    check_edges_sufficient(first, "plan-A")
    result = apply(work, first, faults=faults)
    if result.failures or result.skipped:
        raise TransitionFailure("apply-A", f"failures={_fmt(result.failures)} skipped={result.skipped}\n"
                                           + render_plan(first.plan))
    check_converged(work, "after-A")

    write(config_b, work)
    planned = plan(work)
    if planned.plan.operations and planned.plan.verified is False:
        raise TransitionFailure("verify-B", "the plan did not pass shadow verification")
    check_edges_sufficient(planned, "plan-B")
    planned_ids = [op.id for op in planned.plan.operations]
    result = apply(work, planned, faults=faults)
    if result.failures or result.skipped:
        raise TransitionFailure("apply-B", f"failures={_fmt(result.failures)} skipped={result.skipped}\n"
                                           + render_plan(planned.plan))
    if sorted(result.executed) != sorted(planned_ids):
        missing = sorted(set(planned_ids) - set(result.executed))
        extra = sorted(set(result.executed) - set(planned_ids))
        raise TransitionFailure("executed-equals-planned", f"not executed: {missing}; not planned: {extra}")
    check_converged(work, "after-B")
    return {"ops_b": len(planned_ids), "api_calls_b": result.api_calls}


def check_converged(work: Path, step: str) -> None:
    """The next plan is empty and the cloud holds exactly what the state says."""
    again = plan(work)
    if again.plan.has_changes:
        raise TransitionFailure(f"{step}-replan-not-empty", render_plan(again.plan))
    check_cloud_matches_state(work)


def _fmt(failures: list) -> str:
    return "; ".join(f"{op}: {e}" for op, e in failures)
