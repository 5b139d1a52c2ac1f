"""The whole plan pipeline, shared by the run commands and the scenario tests.

load -> evaluate (with the plan-time resolver) -> open the target -> refresh -> drift -> diff ->
order -> verify on a shadow cloud. ``apply_plan`` then runs the operations for real with the
journal, and recomputes the outputs from the final state.
"""

from __future__ import annotations

import functools
import gc
import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from dataclasses import replace as _replace  # make_plan has a -replace parameter named replace
from pathlib import Path
from typing import Any

from planner import process, redact
from planner.addresses import ModuleAddress, ResourceAddress
from planner.apply.executor import Executor
from planner.config import evaluate
from planner.config.eval_memo import BlockMemo
from planner.config.evaluation import Preview, preview
from planner.config.inputs import EvaluationInputs, data_changed, files_changed
from planner.config.loader import load_module_partial, usable_cpus
from planner.config.model import ConfigDependencies, Configuration, ProviderConfig
from planner.config.types import cty_type
from planner.diagnostics import Diagnostic, DiagnosticsError
from planner.engine import cloud_apart, unchanged_plan
from planner.engine.background_refresh import BackgroundRefresh, RefreshAnswer, refresh_in_parts
from planner.engine.background_refresh import wanted as background_wanted
from planner.engine.memory import give_back
from planner.engine.planned_values import ConfigPlannedValues
from planner.engine.verify import ShadowCopy, verify_plan
from planner.logs import log
from planner.plan.build import plan_from, shown_variables
from planner.plan.diff import (
    Differ,
    detect_drift,
    get_schema,
    refreshed_state,
    strip_unknown,
    with_refresh_delta,
)
from planner.plan.model import Action, Plan
from planner.plan.moves import apply_moves, check_instance_moves
from planner.plan.targeting import check_replace, make_differ, refresh_only_plan, restrict_plan
from planner.schema.slb_load_balancer import new_shared_instances
from planner.state.model import State
from planner.state.tfstate import provider_string
from planner.values import UNKNOWN

DEFAULT_REGION = "cn-hangzhou"


@dataclass
class Planned:
    """A plan with everything needed to apply it."""

    plan: Plan
    config: Configuration
    module: Any
    prior: State  # as read from the backend (journal replayed)
    refreshed: State
    provider: Any
    transport: Any
    emulator: Any | None
    region: str = DEFAULT_REGION
    extra: dict = field(default_factory=dict)

    def planned_values(self) -> ConfigPlannedValues:
        return make_planned_values(self.config)

    def dependencies(self) -> Mapping[ResourceAddress, list[ResourceAddress]]:
        """What each configured resource references, each entry made when the walk asks for it (one
        mapping for the verification and the apply of this plan)."""
        got = self.extra.get("dependencies")
        if got is None:
            got = self.extra["dependencies"] = ConfigDependencies(self.config)
        return got

    def close(self) -> None:
        """Release the clouds this plan opened (see ``Clouds.close``); the plan itself stays readable."""
        clouds = self.extra.get("clouds")
        if clouds is not None:
            clouds.close()


def make_planned_values(config: Configuration) -> ConfigPlannedValues:
    """The executor's ``planned_values``: re-evaluate one instance with the values applied so far,
    so an id that was "(known after apply)" at plan time is the real one now."""
    return ConfigPlannedValues(config)


def _load(workdir: Path):
    """The parsed module. Structure errors (a duplicate argument, an unknown block) do not stop here
    when every file parsed: _evaluate reports them together with the evaluation's, so plan and apply
    show the same complete set as validate."""
    module, diags, all_parsed = load_module_partial(workdir)
    if not all_parsed and any(d.severity == "error" for d in diags):
        raise DiagnosticsError(diags)
    module.load_diagnostics = diags
    return module


def _evaluate(module: Any, *, var_args: Sequence[str], var_files: Sequence[str],
              env: Mapping[str, str] | None, resolver: Callable, data_reader: Callable | None = None,
              on_providers: Callable | None = None, inputs: EvaluationInputs | None = None,
              memo: BlockMemo | None = None) -> Configuration:
    early = list(getattr(module, "load_diagnostics", []))
    try:
        config = evaluate(module, var_args=var_args, var_files=var_files, env=env, resolver=resolver,
                          data_reader=data_reader, on_providers=on_providers, inputs=inputs, memo=memo)
    except DiagnosticsError as e:
        raise DiagnosticsError(early + list(e.diagnostics)) from None
    if any(d.severity == "error" for d in early):
        raise DiagnosticsError(early + list(getattr(config, "warnings", [])))
    if early:
        config.warnings = early + list(getattr(config, "warnings", []))
    if memo is not None and memo.reused:
        log.info("evaluation: %d instance(s) as the last plan evaluated them (their blocks' references are "
                 "unchanged; %d of them no-ops as planned then against the same state), %d evaluated",
                 memo.reused, memo.planned, memo.evaluated)
    return config


def open_provider(config: Configuration, workdir: Path, clouds: Any) -> tuple[Any, Any, Any, str]:
    """(provider, transport, emulator or None, region) for the configuration's alicloud provider, opened
    in ``clouds`` (a ``planner.providers.target.Clouds``: the caller closes it)."""
    # deferred, as in make_plan: the providers pull in cryptography and the handlers (~90 ms), which
    # validate, fmt, version and every other command that never reaches a cloud must not pay at startup
    from planner.providers.credentials import check_provider_targets

    check_provider_targets(config, clouds.env)
    return open_providers(config.providers, workdir, clouds)


def open_providers(providers: Mapping[str, ProviderConfig], workdir: Path, clouds: Any) -> tuple[Any, Any, Any, str]:
    """``open_provider`` for these provider configurations, without the configuration's checks (a
    refresh in a child process opens its own clouds this way; the plan checks them itself)."""
    from planner.providers.local import with_local

    pc = providers.get("alicloud")
    region = clouds.region(pc)
    transport, emulator = clouds.target(pc)
    cloud = clouds.provider(pc)
    # aliases in other regions: same cloud, each resource's calls in its provider's region
    cloud.key_regions = {key: clouds.region(p) for key, p in providers.items()}
    return with_local(cloud, base=workdir), transport, emulator, region


def check_orphan_providers(state: State, config: Configuration, module: Any) -> None:
    """Terraform's "Provider configuration not present": a resource left in the state whose
    configuration is gone is destroyed (or refreshed, or forgotten) through the provider
    configuration that created it. When that configuration was an alias whose block was removed
    too, there is nothing to reach its region with: calling the default provider instead would
    delete in the wrong region, so the run stops until the block is re-added."""
    declared = {"alicloud"}
    for block in getattr(module, "providers", ()):
        alias = block.body.attr("alias")
        value = getattr(getattr(alias, "expr", None), "value", None)
        if isinstance(value, str):
            declared.add(f"{block.labels[0]}.{value}")
    declared |= set(config.providers)
    in_config = {(a.module, a.mode, a.type, a.name) for a in config.resources}
    diags: list[Diagnostic] = []
    # still configured: its block's provider serves it, as in Terraform; a default configuration is
    # implied when no block declares it (filtered before sorting: a 10k-LB state has no orphans)
    orphans = [(addr, rs) for addr, rs in state.resources.items()
               if (addr.module, addr.mode, addr.type, addr.name) not in in_config
               and "." in rs.provider and rs.provider not in declared]
    for addr, rs in sorted(orphans, key=lambda item: str(item[0])):
        full = rs.extra.get("provider_string") or provider_string(rs.provider, addr.module)
        vertex = f"{addr} (orphan)"
        diags.append(Diagnostic(
            "Provider configuration not present",
            detail=f"To work with {vertex} its original provider configuration at {full} is required, but it "
                   "has been removed. This occurs when a provider configuration is removed while objects "
                   f"created by that provider still exist in the state. Re-add the provider configuration "
                   f"to destroy {vertex}, after which you can remove the provider configuration again.",
            hint=f'add back provider "{rs.provider.split(".")[0]}" {{ alias = "{rs.provider.split(".", 1)[1]}" '
                 f'... }} as it was, apply to destroy {addr}, then remove the block'))
    if diags:
        raise DiagnosticsError(diags)


def adopt_config_providers(state: State, config: Configuration) -> State:
    """A resource still configured is read, updated and deleted through its block's provider
    configuration, as in Terraform, not the one recorded in the state: after an alias is renamed
    (``alicloud.bj`` -> ``alicloud.beijing``) the recorded key names nothing, and refreshing through
    the default region found the object missing and planned a duplicate. The state records the
    block's provider from this plan on."""
    configured = config.resources.get  # one lookup per object (each hashes and compares a Python address)
    changed = {addr: _replace(rs, provider=inst.provider) for addr, rs in state.resources.items()
               if (inst := configured(addr)) is not None and inst.provider != rs.provider}
    if not changed:
        return state
    for rs in changed.values():
        rs.extra = {k: v for k, v in rs.extra.items() if k != "provider_string"}
    return _replace(state, resources={**state.resources, **changed})


def check_cloud_sells(plan: Plan, config: Configuration) -> None:
    """Creates the cloud refuses whatever the state holds, found before the shadow run so the error
    names the resource's line (a shared-performance load balancer: ShareSlbHaltSales)."""
    found = new_shared_instances(plan.changes, config)
    if found:
        raise DiagnosticsError(found)


def remember_secrets(*, config: Configuration | None = None, state: State | None = None,
                     plan: Any = None) -> None:
    """Tell ``planner.redact`` every value that carries a sensitive mark in this run: sensitive
    variables, attributes marked by the schema or by a sensitive input, in the configuration,
    the state and the plan's changes. Renderers mask marked attributes; these values are also
    scrubbed wherever they reappear unmarked (a secret echoed back by the cloud)."""
    found: list[Any] = []
    if config is not None:
        found.extend(v for k, v in config.variables.items() if k in config.sensitive_variables)
        for inst in config.resources.values():
            if inst.sensitive:  # (nearly every instance marks nothing: no generator made for it)
                found.extend(inst.attributes.get(n) for n in inst.sensitive)
    if state is not None:
        by_type: dict[str, frozenset[str]] = {}  # a schema's sensitive names are built on each read
        for rs in state.resources.values():
            marked = by_type.get(rs.type)
            if marked is None:
                schema = get_schema(rs.type)
                marked = by_type[rs.type] = frozenset(schema.sensitive) if schema is not None else frozenset()
            names = marked | rs.sensitive if rs.sensitive else marked
            if names:
                found.extend(rs.attributes.get(n) for n in names)
        found.extend(o.get("value") for o in state.outputs.values() if o.get("sensitive"))
    if plan is not None:
        for ch in plan.changes:
            if not ch.sensitive:
                continue
            for values in (ch.before, ch.after):
                if values:
                    found.extend(values.get(n) for n in ch.sensitive)
    redact.remember(v for v in found if v is not None)
    if state is not None:
        mark_echoes(state)


def mark_echoes(state: State) -> None:
    """Mark sensitive (in ``sensitive_attributes``) every attribute of the state that holds a secret
    known to the run: the cloud echoes a secret written into one object back in another one's
    computed attribute (an ACL entry's comment in the ACL's ``entry_list``), and from then on
    that attribute is masked like the original, in this run and the next."""
    known = redact.secrets_known()
    if not known:
        return
    for rs in state.resources.values():
        for name, value in rs.attributes.items():
            if name in rs.sensitive or value is None:
                continue
            strings = redact.collect(value)
            if strings and any(k in text for text in strings for k in known):
                rs.sensitive.add(name)


def _heap_frozen(fn: Callable) -> Callable:
    """Run ``fn`` with the heap it starts with (the state just read) moved out of the garbage
    collector's reach, and again after each big step freezes what that step built: a 10k-LB plan
    holds millions of objects that live until the end, and every full collection would walk them
    all again. Unfrozen when ``fn`` returns, so a long-lived process (tests) still collects them; a
    one-shot process (the command) keeps it frozen to its exit, where the heap is never walked again."""
    @functools.wraps(fn)
    def run(*args: Any, **kwargs: Any) -> Any:
        gc.freeze()
        try:
            return fn(*args, **kwargs)
        finally:
            gc.freeze() if process.is_one_shot() else gc.unfreeze()
    return run


@_heap_frozen
def make_plan(workdir: Path | str, state: State, *, var_args: Sequence[str] = (), var_files: Sequence[str] = (),
              env: Mapping[str, str] | None = None, destroy: bool = False, verify: bool = True,
              refresh: bool = True, targets: Sequence[ResourceAddress | ModuleAddress] = (),
              excludes: Sequence[ResourceAddress | ModuleAddress] = (), replace: Sequence[ResourceAddress] = (),
              refresh_only: bool = False, reuse_unchanged: bool = False,
              on_ready: Callable[[Planned], None] | None = None) -> Planned:
    """Plan ``workdir`` against ``state`` (as read from the backend, journal replayed).

    ``targets``/``excludes``/``replace``/``refresh_only`` are the -target/-exclude/-replace/
    -refresh-only hooks of ``planner.plan.targeting``. ``reuse_unchanged``: a caller that shows only
    whether anything changes (the CLI's plain ``plan``) may get the empty plan an earlier run found for
    exactly these inputs, without the no-op changes (``planner.engine.unchanged_plan``). ``on_ready`` is
    called with the plan before it is verified (it may start showing it meanwhile: the plan is returned
    only once verified), once the shadow copy's thread has finished (a fork copies only its caller)."""
    from planner.providers.target import Clouds  # deferred: see open_provider

    workdir = Path(workdir)
    module = _load(workdir)
    read_from = state
    clouds = Clouds(workdir, env)
    copying: ShadowCopy | None = None
    memo: BlockMemo | None = None
    secrets_counted = False  # every secret of the run known: the records may be written
    try:
        probe = _probe_unchanged(module, state, workdir, var_args, var_files, env) if (
            reuse_unchanged and refresh and state.resources
            and not (destroy or targets or excludes or replace or refresh_only)) else None
        early: _EarlyRefresh | None = None  # a refresh made before evaluating, used if the providers agree
        if probe is not None and probe.remembered is not None:
            replayed, early = _replay_unchanged(probe, module, state, workdir, clouds, env)
            if replayed is not None:
                return replayed
        moves = apply_moves(state, module)  # moved/removed blocks re-address the prior state first
        unmoved = not moves.previous and not moves.forget  # the same objects at the same addresses
        inputs = EvaluationInputs() if probe is not None else None
        # a replay that got as far as its refresh has opened the cloud's file here: no child may fork
        # after that (see refresh_in_parts), so without its refresh this plan reads the cloud itself
        memo = BlockMemo.open(workdir, module, os.environ if env is None else env)
        got = _evaluate_and_refresh(module, moves, early if unmoved else None, inputs, clouds, workdir, memo,
                                    var_args=var_args, var_files=var_files, env=env, refresh=refresh,
                                    destroy=destroy, replace=replace, may_fork=early is None, copy_shadow=verify,
                                    prior_digest=state.source_digest if unmoved and not (destroy or replace) else "")
        copying = got.copying
        config, state, refreshed = got.config, got.state, got.refreshed
        provider, transport, emulator, region = got.opened
        plan = plan_from(config, refreshed, differ=got.differ, drift=got.drift, destroy=destroy)
        check_cloud_sells(plan, config)
        remember_secrets(config=config, state=refreshed, plan=plan)
        secrets_counted = True
        if probe is not None:
            _remember_unchanged(probe, workdir, config, plan, state, refreshed, inputs)
        check_replace(plan, replace)
        if refresh_only:
            plan = refresh_only_plan(plan)
        elif targets or excludes:
            plan = restrict_plan(plan, config, refreshed, targets=targets, excludes=excludes)
        planned = Planned(plan, config, module, read_from, refreshed, provider, transport, emulator, region,
                          extra={"clouds": clouds, "data_reader": got.reader})
        if verify and emulator is not None and plan.operations:
            if on_ready is not None:
                if copying is not None:
                    copying.wait()
                on_ready(planned)
            verify_plan(plan, emulator, refreshed, region=region, planned_values=planned.planned_values(),
                        dependencies=planned.dependencies(), key_regions=getattr(provider, "key_regions", None),
                        copying=copying)  # (takes the copy)
        elif copying is not None:
            copying.discard()  # nothing to rehearse after all (-target, -refresh-only)
        # the evaluation's records, written once every secret of the run is known and the shadow's copy
        # has no thread left (they are written behind the command when they can: process.behind)
        if memo is not None:
            memo.flush(redact.secrets_known())
        return planned
    except BaseException as e:
        if copying is not None:
            copying.discard()  # (before the cloud it copies is closed; nothing if it was taken)
        if memo is not None and secrets_counted and isinstance(e, Exception):
            memo.flush(redact.secrets_known())  # a refused plan's evaluation still holds for the next run
        clouds.close()  # the Planned that would own them was never made
        raise


@dataclass
class _Evaluated:
    """The configuration evaluated against the refreshed state, and what the plan needs with it."""

    config: Configuration
    state: State  # the prior state, re-addressed and with the configuration's providers adopted
    refreshed: State
    drift: list
    differ: Differ
    opened: tuple  # (provider, transport, emulator or None, region)
    reader: Any
    copying: ShadowCopy | None = None  # the shadow cloud being copied for the verification


def _evaluate_and_refresh(module: Any, moves: Any, early: _EarlyRefresh | None, inputs: EvaluationInputs | None,
                          clouds: Any, workdir: Path, memo: BlockMemo | None, *, var_args: Sequence[str], var_files: Sequence[str],
                          env: Mapping[str, str] | None, refresh: bool, destroy: bool,
                          replace: Sequence[ResourceAddress], may_fork: bool = True,
                          copy_shadow: bool = False, prior_digest: str = "") -> _Evaluated:
    """Evaluate, refresh (in a child meanwhile, or already ``early``), and evaluate again when the
    refresh found drift the evaluation did not plan against."""
    state = moves.state
    background: BackgroundRefresh | None = None
    copying: ShadowCopy | None = None

    def differ_for(prior: State) -> Differ:
        d = make_differ(prior, destroy=destroy, replace=replace)
        d.forget, d.move_targets, d.previous = moves.forget, moves.targets, moves.previous
        return d

    def refresh_meanwhile(providers: dict[str, ProviderConfig]) -> None:
        """The provider configurations are known: read the cloud in a child while evaluation goes on."""
        nonlocal background
        background = BackgroundRefresh.start(state, providers, workdir, env,
                                             functools.partial(_refresh_cloud, providers, workdir))

    # a refresh made already is what the evaluation plans against (a drifted cloud then costs one
    # evaluation, not two); if the plan cannot use it after all, it evaluates again below
    against_early = early is not None
    differ = differ_for(early.refreshed if early is not None else state)
    if memo is not None:  # a record's no-ops hold against the very state file they were planned against
        memo.prior = (prior_digest, differ) if prior_digest and early is None else None
    reader = clouds.data_reader()
    meanwhile = refresh_meanwhile if (early is None and may_fork and refresh and state.resources
                                      and background_wanted(clouds.env)) else None
    try:
        config = _evaluate(module, var_args=var_args, var_files=var_files, env=env, resolver=differ.resolve,
                           data_reader=reader, on_providers=meanwhile, inputs=inputs, memo=memo)
        gc.freeze()  # the configuration and the planned values live to the end (see _heap_frozen)
        check_instance_moves(module, config)
        check_orphan_providers(state, config, module)
        adopted = adopt_config_providers(state, config)
        if background is not None and (adopted is not state or background.providers != config.providers):
            log.info("refresh: the child's read is not used: the provider configurations changed during evaluation")
            background.cancel()  # read through other provider configurations than the plan's: not its answer
            background = None
        if early is not None and (adopted is not state or early.providers != config.providers):
            log.info("refresh: the read made before evaluating is not used: the provider configurations changed")
            early = None
        state = adopted
        remember_secrets(config=config, state=state)
        opened = open_provider(config, workdir, clouds)
        if copy_shadow and differ.changing and opened[2] is not None:
            copying = ShadowCopy(opened[2])  # the plan will verify operations: copy the cloud meanwhile
        refreshed, drift = state, []
        if refresh and state.resources:
            if early is not None:
                refreshed, drift = early.refreshed, early.drift
            else:
                refreshed, drift = _refreshed(state, opened[0], clouds,
                                              background.answer() if background is not None else None)
            background = None
            if early is None and (drift or against_early):
                differ = differ_for(refreshed)
                if memo is not None:
                    memo.prior = None  # planned against the refreshed state now, not the file's
                config = _evaluate(module, var_args=var_args, var_files=var_files, env=env, resolver=differ.resolve,
                                   data_reader=reader, memo=memo)
        done, copying = _Evaluated(config, state, refreshed, drift, differ, opened, reader, copying), None
        return done
    finally:
        if background is not None:
            background.cancel()
        if copying is not None:
            copying.discard()


@dataclass
class _Probe:
    """The inputs of this run, digested, and what a plan with the same digest found (if one did)."""

    key: bytes
    run: str
    preview: Preview
    remembered: unchanged_plan.Remembered | None


@dataclass
class _EarlyRefresh:
    refreshed: State
    drift: list
    providers: dict[str, ProviderConfig]


def _probe_unchanged(module: Any, state: State, workdir: Path, var_args: Sequence[str], var_files: Sequence[str],
                     env: Mapping[str, str] | None) -> _Probe | None:
    """This run's inputs, when a no-change verdict can be remembered or reused for them: a state read from
    a file, variables and providers that evaluate on their own (reading no file), a per-user key."""
    from planner.config import parse_cache

    env_map = os.environ if env is None else env
    if not state.source_digest or not unchanged_plan.wanted(env_map):
        return None
    if any(d.severity == "error" for d in getattr(module, "load_diagnostics", [])):
        return None
    key = parse_cache.user_key()
    if key is None:
        return None
    pv = preview(module, var_args=var_args, var_files=var_files, env=env)
    if pv is None or pv.inputs.files or pv.inputs.data or not pv.inputs.repeatable:
        return None
    run = unchanged_plan.run_key(key, content_hash=module.content_hash, state=state, variables=pv.variables,
                                 sensitive_variables=pv.sensitive_variables, providers=pv.providers,
                                 workspace=pv.workspace, workdir=workdir, env=env_map)
    return _Probe(key, run, pv, unchanged_plan.lookup(workdir, key, run))


def _replay_unchanged(probe: _Probe, module: Any, state: State, workdir: Path, clouds: Any,
                      env: Mapping[str, str] | None) -> tuple[Planned | None, _EarlyRefresh | None]:
    """(the remembered empty plan, when the files, the cloud and the data sources still answer as they
    did; the refresh made to find out, for the full plan to use when they do not)."""
    from planner.config.expr import fileset_now
    from planner.schema import read_data_source
    from planner.workdir import base_dir

    remembered = probe.remembered
    assert remembered is not None
    why = files_changed(remembered.inputs, fileset_now)
    if why is not None:
        log.info("plan: evaluating the configuration: %s since the last plan with these inputs", why)
        return None, None
    providers = probe.preview.providers
    parts = max(1, min(4, usable_cpus()))  # nothing else runs meanwhile: every core reads
    answer = refresh_in_parts(state, providers, workdir, env, functools.partial(_refresh_cloud, providers, workdir),
                              parts) if background_wanted(clouds.env) else None
    provider, transport, emulator, region = open_providers(providers, workdir, clouds)
    refreshed, drift = _refreshed(state, provider, clouds, answer, f"{parts} child process(es) at once")
    early = _EarlyRefresh(refreshed, drift, providers)
    if drift or not _same_objects(state, refreshed):
        log.info("plan: evaluating the configuration: the cloud differs from the state")
        return None, early
    reader = clouds.data_reader()
    if remembered.inputs.data:
        def read_cloud(type_name: str, arguments: dict, key: str, written: set[str]) -> Any:
            return reader(type_name, arguments, providers.get(key) or providers.get("alicloud"), written=written)

        with base_dir(module.directory):
            why = data_changed(remembered.inputs, read_cloud, read_data_source)
        if why is not None:
            log.info("plan: evaluating the configuration: %s since the last plan with these inputs", why)
            return None, early
    pv = probe.preview
    config = Configuration(directory=module.directory, outputs=remembered.outputs, providers=providers,
                           variables=pv.variables, sensitive_variables=pv.sensitive_variables,
                           content_hash=module.content_hash, warnings=remembered.warnings)
    remember_secrets(config=config, state=refreshed)
    plan = Plan(changes=[], operations=[], edges=[], prior_lineage=refreshed.lineage, prior_serial=refreshed.serial,
                drift=[], variables=shown_variables(config), config_hash=config.content_hash, destroy=False)
    log.info("plan: the configuration, variables, state and cloud are as the last plan with these inputs found "
             "them: no changes, the configuration is not evaluated again")
    return Planned(plan, config, module, state, refreshed, provider, transport, emulator, region,
                   extra={"clouds": clouds, "data_reader": reader, "unchanged": True}), early


def _same_objects(state: State, refreshed: State) -> bool:
    """Whether the refresh kept every object of ``state`` as it was (``refreshed_state`` and
    ``with_refresh_delta`` keep the very object when the cloud reports what it holds)."""
    got = refreshed.resources
    return len(got) == len(state.resources) and all(got.get(a) is rs for a, rs in state.resources.items())


def _remember_unchanged(probe: _Probe, workdir: Path, config: Configuration, plan: Plan, state: State,
                        refreshed: State, inputs: EvaluationInputs | None) -> None:
    """Record the verdict when this plan is the empty one a later run with the same inputs may reuse
    (``has_changes`` covers operations, moved objects and forgotten ones)."""
    empty = (inputs is not None and inputs.repeatable and not inputs.arguments_hold_any(redact.secrets_known())
             and not plan.drift and not plan.has_changes and config.providers == probe.preview.providers
             and _same_objects(state, refreshed) and unchanged_plan.outputs_unchanged(config, refreshed))
    if empty:
        unchanged_plan.remember(workdir, probe.key, probe.run, config, inputs)
    elif probe.remembered is not None:
        unchanged_plan.forget(workdir)


def _refreshed(state: State, provider: Any, clouds: Any, answer: RefreshAnswer | None,
               where: str = "a child process while evaluating") -> tuple[State, list]:
    """(refreshed state, drift): the children's answer when there is one, else read here."""
    if answer is not None:
        log.info("refresh: read in %s: %d calls in %.3fs, %d drifted", where,
                 sum(sum(c.values()) for c in answer.calls.values()), answer.seconds, len(answer.drift))
        clouds.add_calls(answer.calls)
        return with_refresh_delta(state, answer.delta), answer.drift
    values = provider.refresh(list(state.resources.values()))
    drift = detect_drift(state, values)
    refreshed = refreshed_state(state, values, take=True)
    del values  # handed over: its dicts are the refreshed state's attributes now
    return refreshed, drift


def _refresh_cloud(providers: dict[str, ProviderConfig], workdir: Path, clouds: Any) -> Any:
    """The provider a refresh in a child process reads through (see ``BackgroundRefresh``)."""
    return open_providers(providers, workdir, clouds)[0]


def final_outputs(planned: Planned, state: State, *, var_args: Sequence[str] = (),
                  var_files: Sequence[str] = (), env: Mapping[str, str] | None = None) -> dict[str, dict]:
    """Outputs evaluated against the state after apply (every id is real now). The state keeps the root
    module's outputs only: without any, nothing is evaluated again (at 10,000 load balancers that was
    9 s and 600 MB at the end of an apply, its peak of memory)."""
    if planned.plan.destroy or not planned.module.outputs:
        return {}
    config = _evaluate(planned.module, var_args=var_args, var_files=var_files, env=env,
                       resolver=Differ(state).resolve, data_reader=planned.extra.get("data_reader"))
    out = {}
    for name, o in sorted(config.outputs.items()):
        value = strip_unknown(o.value) if o.value is not UNKNOWN else None
        if value is None:
            continue  # Terraform records no null output: `output` does not list it, `output NAME` fails
        out[name] = {"value": value, "sensitive": bool(o.sensitive), "type": o.type or cty_type(value)}
    return out


@_heap_frozen
def apply_plan(planned: Planned, state: State, *, parallelism: int = 10, journal: Any = None,
               on_event: Callable | None = None, stop: Any = None) -> Any:
    """Run the plan's operations for real; ``state`` is updated in place. Returns ApplyResult.
    ``stop`` (a threading.Event) ends the run gracefully when set (the CLI sets it on Ctrl-C).
    The heap is frozen for the walk as for the plan: the configuration, plan and state it starts with
    live to the end, and every full collection during the walk walked them again."""
    forget_objects(planned.plan, state)
    executor = Executor(planned.provider, parallelism=parallelism, journal=journal, lineage=state.lineage,
                        planned_values=planned.planned_values(), on_event=on_event,
                        dependencies=planned.dependencies(), stop=stop)
    n_ops = len(planned.plan.operations)
    try:
        # the embedded cloud's work on another core while the walk runs (planner.engine.cloud_apart);
        # a few more connections than walk threads, for a handler's own parallel reads
        with cloud_apart.served_apart(planned.emulator, n_ops, parallelism + 4):
            started = time.monotonic()
            result = executor.run(planned.plan.operations, planned.plan.edges, state)
            log.info("apply: %d operation(s) walked in %.1fs, %d API call(s), -parallelism %d", n_ops,
                     time.monotonic() - started, result.api_calls, parallelism)
            return result
    finally:
        del executor
        give_back(n_ops)  # the walk's garbage goes before the state is encoded and written


def forget_objects(plan: Plan, state: State) -> bool:
    """Drop what ``removed { lifecycle { destroy = false } }`` forgets from ``state`` (the cloud keeps
    the objects). Moves need nothing here: the plan's state is already re-addressed. Returns whether
    the plan re-addresses or forgets anything (the caller then writes the state before any API call,
    so a journal replayed after a crash meets the new addresses)."""
    restructured = False
    for c in plan.changes:
        if c.action is Action.FORGET:
            state.resources.pop(c.address, None)
            restructured = True
        elif c.previous_address is not None:
            restructured = True
    return restructured
