"""``clbplan plan | apply | destroy | show | output | import``: the run commands.

No logic of their own beyond the process edge: the state lock is held for the whole run, the
journal left by an interrupted apply is recovered first, the plan is verified on a shadow cloud
before it is shown, and exit codes follow Terraform (plan -detailed-exitcode: 0 none, 1 error,
2 changes).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import click

from planner.addresses import ResourceAddress
from planner.cli.global_flags import settings
from planner.cli.prompt_vars import ask_for_missing_variables
from planner.cli.review import emit_plan, has_changes, make_options, plan_kwargs, render_text, review_options
from planner.cli.warnings_out import echo_warnings
from planner.diagnostics import Diagnostic, DiagnosticsError
from planner.hclvalue import format_value
from planner.plan.model import OpKind
from planner.plan.render import render_state
from planner.state.model import ResourceState, State

EXIT_OK, EXIT_ERROR, EXIT_CHANGES = 0, 1, 2


def _backend(workdir: Path, state_path: str | None, lock_timeout: str):
    from planner.config.terraform_block import configured_state_path
    from planner.state.backend import LocalBackend, parse_duration

    # -state wins; else the root module's backend "local" { path = ... }; else clbplan.tfstate
    path = Path(state_path) if state_path else configured_state_path(workdir)
    if not state_path and not path.parent.is_dir():
        path.parent.mkdir(parents=True, exist_ok=True)  # as terraform's local backend does for its path
    try:
        timeout = parse_duration(lock_timeout)
    except ValueError as e:
        raise DiagnosticsError([Diagnostic(f"Invalid -lock-timeout value {lock_timeout!r}", detail=str(e),
                                           hint="use a duration such as 0s, 30s or 2m")])
    return LocalBackend(path, lock_timeout=timeout)


def _workdir(directory: str | None) -> Path:
    d = Path(directory) if directory else Path.cwd()
    if not d.is_dir():
        raise DiagnosticsError([Diagnostic(f"No such directory: {d}",
                                           hint="pass the directory holding your .tf files, or run from it")])
    return d


def _read_state(backend) -> tuple[State, object, bool]:
    """The state with completed journal records replayed in; and whether intents are pending."""
    state = backend.read()
    journal = backend.journal(state.lineage)
    replayed = journal.replay_into(state) or state
    pending = bool(journal.pending())
    return replayed, journal, pending


def _recover(backend, workdir: Path, state: State, journal, *, var_args, var_files) -> State:
    """Finish what an interrupted apply left half-done, before planning anything new."""
    from planner.apply.executor import RecoveryError, recover
    from planner.diff import Differ
    from planner.plan.pipeline import _evaluate, _load, open_provider

    config = _evaluate(_load(workdir), var_args=var_args, var_files=var_files, env=None,
                       resolver=Differ(state).resolve)
    provider, *_ = open_provider(config, workdir)
    click.echo("Recovering operations left unfinished by an interrupted apply...", err=True)
    try:
        state = recover(journal, provider, state)
    except RecoveryError as e:
        backend.write(e.state)  # what was settled is kept; the rest stays pending in the journal
        lines = "\n".join(f"  - {what}: {err}" for what, err in e.failures)
        raise click.ClickException(
            f"could not finish {len(e.failures)} operation(s) left by an interrupted apply:\n{lines}\n"
            "Everything else was recovered and saved in the state; these stay in the journal and are retried "
            "by the next apply. Fix what the cloud reports above (or remove the object by hand), then run "
            "clbplan apply again.") from None
    backend.write(state)
    journal.checkpoint()
    return state


def _echo_plan(text: str) -> None:
    """Plain text, coloured like Terraform's markers only when stdout is a terminal (and not -no-color)."""
    out = sys.stdout
    if not settings.use_color(out):
        click.echo(text, nl=False)
        return
    colours = {"+": "green", "-": "red", "~": "yellow"}
    for line in text.splitlines():
        mark = line.lstrip()[:1]
        if line.lstrip().startswith(("-/+", "+/-")):
            click.secho(line, fg="yellow")
        elif mark in colours and not line.lstrip().startswith("# "):
            click.secho(line, fg=colours[mark])
        elif line.startswith(("Plan:", "No changes.")):
            click.secho(line, bold=True)
        else:
            click.echo(line)


def _common(f):
    f = click.option("-var", "var_args", multiple=True, metavar="NAME=VALUE", help="Set a variable.")(f)
    f = click.option("-var-file", "var_files", multiple=True, metavar="FILE", help="Read variables from a file.")(f)
    f = click.option("-lock-timeout", "lock_timeout", default="0s", show_default=True,
                     help="How long to wait for the state lock.")(f)
    f = click.option("-state", "state_path", default=None, metavar="PATH",
                     help="State file (default: clbplan.tfstate in DIR).")(f)
    f = click.option("-parallelism", "parallelism", default=10, show_default=True, type=click.IntRange(1, 256),
                     help="How many operations run at once (at most one per load balancer).")(f)
    return click.argument("directory", required=False, type=click.Path())(f)


@click.command("plan")
@_common
@click.option("-detailed-exitcode", "detailed", is_flag=True, help="Exit 2 when there are changes.")
@click.option("-destroy", "destroy", is_flag=True, help="Plan to destroy every managed resource.")
@click.option("-refresh", "refresh", default=True, type=bool, help="Read the cloud first (default true).")
@click.option("-out", "out", default=None, metavar="FILE", help="Save the plan to FILE for `apply FILE`.")
@click.option("-json", "--json", "json_", is_flag=True, help="Print Terraform's JSON plan representation.")
@review_options
def plan(directory, var_args, var_files, lock_timeout, state_path, parallelism, detailed, destroy, refresh,
         out, json_, targets, excludes, replace, refresh_only):
    """Show what apply would change, in the order it would change it."""
    from planner.plan.pipeline import make_plan

    opts = make_options(targets, excludes, replace, refresh_only, destroy, refresh)
    workdir = _workdir(directory)
    var_args = ask_for_missing_variables(workdir, var_args, var_files)
    backend = _backend(workdir, state_path, lock_timeout)
    with backend.lock("plan"):
        state, _journal, pending = _read_state(backend)
        if pending:
            click.echo("Warning: an earlier apply was interrupted; the next apply recovers its unfinished "
                       "operations first.", err=True)
        planned = make_plan(workdir, state, var_args=var_args, var_files=var_files, destroy=destroy,
                            refresh=refresh, **plan_kwargs(opts))
        emit_plan(planned, opts, json_=json_, out=out, workdir=workdir, state_path=backend.path, echo=_echo_plan)
        if not json_:
            echo_warnings(getattr(planned.config, "warnings", ()))
    if detailed and has_changes(planned.plan, opts):
        raise SystemExit(EXIT_CHANGES)


def _progress(total: int):
    done = {"n": 0}
    started = time.monotonic()

    def on_event(ev) -> None:
        if ev.kind not in ("done", "failed", "skipped", "cascaded"):
            return
        if ev.kind == "cascaded":
            ev_kind = "done"
        else:
            ev_kind = ev.kind
        done["n"] += 1
        what = f"{ev.op_kind.value} {ev.address}"
        from planner.redact import scrub
        elapsed = f"{ev.elapsed:.2f}s"
        if ev_kind == "done":
            line = f"{what}: done in {elapsed}"
        elif ev_kind == "failed":
            line = f"{what}: FAILED after {elapsed}: {ev.message or ev.error}"
        else:
            line = f"{what}: skipped ({ev.message or 'something it depends on failed'})"
        click.echo(scrub(f"[{done['n']}/{total} {time.monotonic() - started:6.2f}s] {line}"), err=True)

    return on_event


def _apply(directory, var_args, var_files, lock_timeout, state_path, parallelism, auto_approve, destroy,
           opts=None):
    from planner.plan.pipeline import apply_plan, final_outputs, make_plan

    workdir = _workdir(directory)
    var_args = ask_for_missing_variables(workdir, var_args, var_files)
    backend = _backend(workdir, state_path, lock_timeout)
    with backend.lock("destroy" if destroy else "apply"):
        state, journal, pending = _read_state(backend)
        if pending:
            state = _recover(backend, workdir, state, journal, var_args=var_args, var_files=var_files)
            journal = backend.journal(state.lineage)
        planned = make_plan(workdir, state, var_args=var_args, var_files=var_files, destroy=destroy,
                            **plan_kwargs(opts))
        plan_ = planned.plan
        _echo_plan(render_text(plan_, opts))
        echo_warnings(getattr(planned.config, "warnings", ()))
        if opts is not None and opts.refresh_only:
            if plan_.drift and not auto_approve and click.prompt(
                    "\nWould you like to update the clbplan state to reflect these detected changes?\n  "
                    "Only 'yes' will be accepted to confirm.\n\n  Enter a value", default="",
                    show_default=False).strip() != "yes":
                click.echo("\nApply cancelled.", err=True)
                raise SystemExit(EXIT_ERROR)
            backend.write(planned.refreshed)
            click.echo(f"\nApply complete! Resources: 0 added, 0 changed, 0 destroyed "
                       f"({len(plan_.drift)} changed outside clbplan, recorded in the state).")
            return
        if not plan_.has_changes:
            state = planned.refreshed
            outputs = final_outputs(planned, state, var_args=var_args, var_files=var_files)
            if outputs != state.outputs:
                state.outputs = outputs
                backend.write(state)
            click.echo("\nApply complete! Resources: 0 added, 0 changed, 0 destroyed.")
            return
        if not auto_approve:
            if destroy:
                question = ("\nDo you really want to destroy all resources?\n  clbplan will destroy all your "
                            "managed infrastructure, as shown above.\n  There is no undo. Only 'yes' will be "
                            "accepted to confirm.\n\n  Enter a value")
            else:
                question = ("\nDo you want to perform these actions?\n  clbplan will perform the actions "
                            "described above.\n  Only 'yes' will be accepted to approve.\n\n  Enter a value")
            answer = click.prompt(question, default="", show_default=False)
            if answer.strip() != "yes":
                click.echo("\nApply cancelled.", err=True)
                raise SystemExit(EXIT_ERROR)
        click.echo("")
        state = planned.refreshed
        from planner.plan.pipeline import forget_objects

        if forget_objects(plan_, state) or not backend.path.exists():
            # the journal is kept per lineage: a run killed before its first state write must leave
            # that lineage on disk, or the next run starts a new one and forgets what was created;
            # moved and forgotten objects are written first so a replayed journal meets their new addresses
            backend.write(state)
        from planner.cli.interrupts import graceful_interrupts, report_interrupted

        with graceful_interrupts() as stop:
            result = apply_plan(planned, state, parallelism=parallelism, journal=journal,
                                on_event=_progress(len(plan_.operations)), stop=stop)
            if not result.failures and not result.interrupted:
                state.outputs = final_outputs(planned, state, var_args=var_args, var_files=var_files)
            backend.write(state)
            journal.checkpoint()
    ops = {op.id: op for op in plan_.operations}
    if result.interrupted:
        report_interrupted(result, ops, word="Destroy" if destroy else "Apply", state_path=backend.path)
    executed = [ops[i] for i in result.executed if i in ops]
    added = sum(1 for op in executed if op.kind is OpKind.CREATE)
    changed = sum(1 for op in executed if op.kind is OpKind.UPDATE)
    destroyed = sum(1 for op in executed if op.kind is OpKind.DELETE)
    if result.failures:
        click.echo(f"\nError: apply failed: {len(result.failures)} operation(s) failed, "
                   f"{len(result.skipped)} skipped because they depend on a failure.", err=True)
        from planner.redact import scrub, shorten

        for op_id, err in result.failures:
            click.echo(scrub(f"  - {op_id}: {shorten(str(err), 1000)}"), err=True)
        for op_id in result.skipped:
            click.echo(f"  - {op_id}: skipped", err=True)
        click.echo(f"\nWhat succeeded is recorded in the state ({added} added, {changed} changed, "
                   f"{destroyed} destroyed); run apply again after fixing the cause.", err=True)
        raise SystemExit(EXIT_ERROR)
    word = "Destroy" if destroy else "Apply"
    click.echo(f"\n{word} complete! Resources: {added} added, {changed} changed, {destroyed} destroyed.")
    if state.outputs and not destroy:
        click.echo("\nOutputs:\n")
        click.echo(_outputs_text(state.outputs), nl=False)


@click.command("apply")
@_common
@click.option("-auto-approve", "auto_approve", is_flag=True, help="Skip the confirmation prompt.")
@review_options
def apply(directory, var_args, var_files, lock_timeout, state_path, parallelism, auto_approve, targets,
          excludes, replace, refresh_only):
    """Plan, ask, then make the cloud match the configuration; or apply a saved plan FILE exactly."""
    from planner.plan.planfile import is_plan_file

    if directory and is_plan_file(directory):
        if targets or excludes or replace or refresh_only:
            raise DiagnosticsError([Diagnostic("Can't set planning options when applying a saved plan",
                                               hint="the options were fixed when the plan was created")])
        from planner.cli.review import apply_saved

        apply_saved(directory, state_path=state_path, lock_timeout=lock_timeout, parallelism=parallelism,
                    var_args=var_args, var_files=var_files)
        return
    opts = make_options(targets, excludes, replace, refresh_only)
    _apply(directory, var_args, var_files, lock_timeout, state_path, parallelism, auto_approve, False, opts)


@click.command("destroy")
@_common
@click.option("-auto-approve", "auto_approve", is_flag=True, help="Skip the confirmation prompt.")
def destroy(directory, var_args, var_files, lock_timeout, state_path, parallelism, auto_approve):
    """Destroy every resource this state manages."""
    _apply(directory, var_args, var_files, lock_timeout, state_path, parallelism, auto_approve, True)


@click.command("show")
@click.argument("planfile", required=False, type=click.Path(dir_okay=False))
@click.option("-state", "state_path", default="clbplan.tfstate", show_default=True, metavar="PATH")
@click.option("-json", "--json", "json_", is_flag=True, help="The state document (or saved plan) as JSON.")
@click.option("-markdown", "--markdown", "markdown", is_flag=True, help="A saved plan as a PR comment.")
def show(planfile, state_path, json_, markdown):
    """Show the resources in the state, or a saved plan FILE, secrets masked."""
    from planner.state.backend import LocalBackend

    if planfile:
        from planner.cli.review import show_saved

        show_saved(planfile, json_=json_, markdown=markdown)
        return

    from planner import redact
    from planner.plan.pipeline import remember_secrets

    state = LocalBackend(Path(state_path)).read()
    remember_secrets(state=state)
    if json_:
        click.echo(json.dumps(redact.scrub_doc(_masked_state_json(state)), indent=2, sort_keys=True))
        return
    click.echo(render_state(state), nl=False)


def _masked_state_json(state: State) -> dict:
    from planner.diff import get_schema

    doc = state.to_json()
    for r, rs in zip(doc["resources"], (state.resources[a] for a in sorted(state.resources, key=str)),
                     strict=True):
        schema = get_schema(r["type"])
        for name in (set(schema.sensitive) if schema is not None else set()) | rs.sensitive:
            if r["attributes"].get(name) is not None:
                r["attributes"][name] = "(sensitive value)"
    for o in doc.get("outputs", {}).values():
        if o.get("sensitive"):
            o["value"] = "(sensitive value)"
    return doc


def _outputs_text(outputs: dict) -> str:
    width = max((len(n) for n in outputs), default=0)
    lines = []
    for name in sorted(outputs):
        o = outputs[name]
        value = "<sensitive>" if o.get("sensitive") else format_value(o.get("value"))
        lines.append(f"{name.ljust(width)} = {value}")
    return "\n".join(lines) + "\n" if lines else ""


@click.command("output")
@click.argument("name", required=False)
@click.option("-state", "state_path", default="clbplan.tfstate", show_default=True, metavar="PATH")
@click.option("-json", "--json", "json_", is_flag=True, help="Print as JSON.")
@click.option("-raw", "raw", is_flag=True, help="Print a string value without quotes.")
def output(name, state_path, json_, raw):
    """Print output values recorded in the state."""
    from planner.state.backend import LocalBackend

    outputs = LocalBackend(Path(state_path)).read().outputs
    if name is None:
        if json_:
            click.echo(json.dumps({k: {"value": v.get("value"), "sensitive": bool(v.get("sensitive")),
                                       "type": _type_name(v.get("value"))}
                                   for k, v in sorted(outputs.items())}, indent=2))
            return
        if not outputs:
            click.echo("Warning: No outputs found\n\nThe state file either has no outputs defined, or all the "
                       "defined outputs are empty.", err=True)
            return
        click.echo(_outputs_text(outputs), nl=False)
        return
    if name not in outputs:
        raise DiagnosticsError([Diagnostic(
            f"Output \"{name}\" not found",
            detail="The output variable requested could not be found in the state file.",
            hint="run apply first if the output was added recently; `clbplan output` lists them all",
        )])
    value = outputs[name].get("value")
    if json_:
        click.echo(json.dumps(value))
    elif raw:
        if not isinstance(value, (str, int, float, bool)):
            raise DiagnosticsError([Diagnostic("Unsupported value for raw output",
                                               hint="-raw works for strings, numbers and bools; use -json")])
        click.echo(value if not isinstance(value, bool) else str(value).lower())
    else:
        click.echo(format_value(value))  # indented HCL, as `terraform output NAME` prints it


def _type_name(value) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, list):
        return "list"
    if isinstance(value, dict):
        return "object"
    return "string"


@click.command("import")
@click.argument("address")
@click.argument("resource_id")
@click.option("-dir", "directory", default=None, type=click.Path(file_okay=False),
              help="Configuration directory (default: the current directory).")
@click.option("-state", "state_path", default=None, metavar="PATH")
@click.option("-lock-timeout", "lock_timeout", default="0s")
@click.option("-var", "var_args", multiple=True, metavar="NAME=VALUE")
@click.option("-var-file", "var_files", multiple=True, metavar="FILE")
def import_(address, resource_id, directory, state_path, lock_timeout, var_args, var_files):
    """Bring an existing cloud object under management at ADDRESS."""
    from planner.diff import Differ
    from planner.plan.pipeline import _evaluate, _load, open_provider

    try:
        addr = ResourceAddress.parse(address)
    except ValueError as e:
        raise DiagnosticsError([Diagnostic("Invalid resource address", detail=str(e),
                                           hint="e.g. alicloud_slb_load_balancer.web or alicloud_slb_listener.l[0]")])
    workdir = _workdir(directory)
    backend = _backend(workdir, state_path, lock_timeout)
    with backend.lock("import"):
        state, _journal, _pending = _read_state(backend)
        if addr in state.resources:
            raise DiagnosticsError([Diagnostic(
                "Resource already managed by clbplan",
                detail=f"clbplan is already managing a remote object for {addr} "
                       f"(id {state.resources[addr].id}).",
                hint=f"to import to this address you must first remove it: clbplan state rm {addr}")])
        config = _evaluate(_load(workdir), var_args=var_args, var_files=var_files, env=None,
                           resolver=Differ(state).resolve)
        if addr not in config.resources:
            raise DiagnosticsError([Diagnostic(
                "Import to non-existent resource address",
                detail=f"Before importing this resource, please create its configuration in {workdir}.",
                hint=(f"add a resource \"{addr.type}\" \"{addr.name}\" block" + (
                    f" to the module that {addr.module_address} calls (an address in a module names an "
                    "instance of the module call: check its count/for_each keys)" if addr.module else "")
                    + ", then run import again"))])
        provider, *_ = open_provider(config, workdir)
        attrs = provider.import_(addr.type, resource_id)
        deps = [d for d in sorted(config.resources[addr].depends_on, key=str) if d.mode == "managed"]
        state.resources[addr] = ResourceState(addr, str(attrs.get("id") or resource_id),
                                              {k: v for k, v in attrs.items() if k != "id"},
                                              provider=config.resources[addr].provider, dependencies=deps)
        backend.write(state)
    click.echo(f"{addr}: Importing from ID \"{resource_id}\"...\n{addr}: Import prepared!\n\n"
               "Import successful!\n\nThe resources that were imported are shown above. These resources are "
               "now in\nyour clbplan state and will henceforth be managed by clbplan.")
