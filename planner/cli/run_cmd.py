"""``clbplan plan | apply | destroy | show | output | import``: the run commands.

No logic of their own beyond the process edge: the state lock is held for the whole run, the
journal left by an interrupted apply is recovered first, the plan is verified on a shadow cloud
before it is shown, and exit codes follow Terraform (plan -detailed-exitcode: 0 none, 1 error,
2 changes).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path

import click

from planner import process
from planner.addresses import ResourceAddress
from planner.cli import json_ui, live_status
from planner.cli.batched_lines import BatchedLines
from planner.cli.common import (
    ApplyReport,
    backend_for,
    echo_plan,
    outputs_text,
    progress,
    run_flags,
    state_json_text,
    workdir_of,
)
from planner.cli.exit_codes import EXIT_CHANGES, EXIT_ERROR
from planner.cli.global_flags import settings
from planner.cli.interrupts import graceful_interrupts, report_interrupted
from planner.cli.live_status import LiveStatus
from planner.cli.plan_text_ahead import TextAhead
from planner.cli.progress import Progress
from planner.cli.prompt_vars import ask_for_missing_variables
from planner.cli.review import (
    emit_plan,
    has_changes,
    has_output_changes,
    make_options,
    planned_output_changes,
    render_text,
    review_options,
    save_plan,
    show_saved,
)
from planner.cli.warnings_out import echo_warnings
from planner.config.types import cty_type
from planner.diagnostics import Diagnostic, DiagnosticsError, collapse_instances
from planner.engine.options import PlanOptions
from planner.engine.pipeline import Planned, _evaluate, _load, open_provider, remember_secrets
from planner.engine.run import RunOutcome, RunRecoveryError, RunRequest, RunStatus, run
from planner.hclvalue import format_value
from planner.plan.diff import Differ
from planner.plan.planfile import check_backend, is_plan_file, plan_workdir, read_plan_file
from planner.redact import shorten
from planner.render.json_plan import decision_view
from planner.render.text import render_state
from planner.state.model import ResourceState, State
from planner.state.session import open_state


class CliHooks:
    """The engine's hooks at a terminal: plan text and progress on stdout, notes on stderr, the
    confirmation prompt unless -auto-approve. With ``json_`` the plan and progress are the
    machine-readable UI's messages (``planner.cli.json_ui``) and nothing is asked."""

    def __init__(self, opts: PlanOptions, *, auto_approve: bool = False, show: Callable | None = None,
                 json_: bool = False, text_ahead: bool = True):
        self.opts = opts
        self._text_ahead = text_ahead and not json_
        self.auto_approve = auto_approve or json_
        self._show = show
        self.json = json_
        self._live: LiveStatus | None = None
        self._lines: BatchedLines | None = None
        self._ahead: TextAhead | None = None

    def note(self, text: str) -> None:
        click.echo(text, err=True)

    def plan_ready(self, planned: Planned) -> None:
        if self._text_ahead and not settings.use_color(sys.stdout):
            self._ahead = TextAhead.start(planned, self.opts, sys.stdout)

    def take_ahead(self) -> TextAhead | None:
        """The plan's text rendered while it was verified, if it was (for the caller to show)."""
        ahead, self._ahead = self._ahead, None
        return ahead

    def show(self, planned: Planned) -> None:
        if self._show is not None:
            self._show(planned)
            return
        if self.json:
            json_plan_stream(planned, self.opts)
            return
        ahead = self.take_ahead()
        if ahead is None or not ahead.write_to(sys.stdout):
            echo_plan(render_text(planned.plan, self.opts, planned_output_changes(planned, self.opts)))
        echo_warnings(planned.config.warnings)

    def approve(self, planned: Planned) -> bool:
        if self.opts.refresh_only:
            question = ("\nWould you like to update the clbplan state to reflect these detected changes?\n  "
                        "Only 'yes' will be accepted to confirm.\n\n  Enter a value")
        elif self.opts.destroy:
            question = ("\nDo you really want to destroy all resources?\n  clbplan will destroy all your "
                        "managed infrastructure, as shown above.\n  There is no undo. Only 'yes' will be "
                        "accepted to confirm.\n\n  Enter a value")
        else:
            question = ("\nDo you want to perform these actions?\n  clbplan will perform the actions "
                        "described above.\n  Only 'yes' will be accepted to approve.\n\n  Enter a value")
        if self.auto_approve:
            return True  # Terraform goes straight from the plan to the progress lines
        if click.prompt(question, default="", show_default=False).strip() != "yes":
            return False
        if not self.opts.refresh_only:
            click.echo("")
        return True

    def on_event(self, planned: Planned, state: State):
        if not self.json and live_status.wanted() and planned.plan.operations:
            verb = "Destroying" if self.opts.destroy else "Applying"
            self._live = LiveStatus(len(planned.plan.operations), verb)
            return progress(planned, state, self._live)
        self._lines = lines = BatchedLines(sys.stdout)
        if self.json:
            return Progress(planned.plan.operations, state, lambda hook: lines.line(json_ui.hook_line(hook)))
        return progress(planned, state, lines)

    def close(self) -> None:
        """Write the last progress lines, or erase the live status line, before the summary (or an
        error) is printed."""
        if self._ahead is not None:  # (the plan was not shown: its verification failed)
            self._ahead.cancel()
            self._ahead = None
        if self._lines is not None:
            self._lines.close()
            self._lines = None
        if self._live is not None:
            self._live.close()
            self._live = None

    def interrupts(self):
        return graceful_interrupts()


def json_plan_stream(planned: Planned, opts: PlanOptions) -> None:
    """The plan as the machine-readable UI: refreshes, planned changes, the summary, the outputs'
    actions, then the warnings (as ``plan -json`` streams them)."""
    if opts.refresh:
        json_ui.refreshed(planned)
    json_ui.planned_changes(planned.plan)
    add, change, remove = planned.plan.counts
    json_ui.change_summary("plan", add, change, remove)
    json_ui.planned_outputs(planned)
    for d in collapse_instances(d for d in planned.config.warnings if d.severity == "warning"):
        json_ui.diagnostic(d)


def json_report(report: ApplyReport) -> None:
    """The end of ``apply -json``/``destroy -json``: failures as error diagnostics (no summary, as in
    Terraform), else the summary and the outputs with their values; exit codes as in text mode."""
    if report.interrupted is not None:
        result, ops, word, state_path = report.interrupted
        report_interrupted(result, ops, word=word, state_path=state_path)
    if report.failures:
        for op_id, err in report.failures:
            json_ui.error(f"{op_id.rsplit(':', 1)[0]}: {shorten(str(err), 1000)}",
                          f"clbplan could not {op_id.rsplit(':', 1)[-1]} this object. What succeeded is recorded "
                          "in the state; run apply again after fixing the cause.")
        raise SystemExit(report.exit_code)
    if report.interrupted is not None:
        raise SystemExit(EXIT_ERROR)
    if report.destroy and report.status is RunStatus.APPLIED:
        json_ui.change_summary("destroy", 0, 0, report.destroyed)
        return
    json_ui.change_summary("apply", report.added, report.changed, report.destroyed)
    if report.outputs:
        json_ui.applied_outputs(report.outputs)


def _require_approval(json_: bool, auto_approve: bool) -> None:
    if json_ and not auto_approve:
        raise DiagnosticsError([Diagnostic(
            "Plan file or auto-approve required",
            detail="clbplan cannot ask for interactive approval when -json is set. You can either apply a saved "
                   "plan file, or enable the -auto-approve option.")])


def _run(request: RunRequest, hooks: CliHooks) -> RunOutcome:
    """engine.run with a recovery failure turned into the operator's message."""
    try:
        # kept to the end of a one-shot process: freeing a 10k-LB plan object by object when the command
        # returns costs seconds, and _exit_now hands the heap back whole
        return process.keep(run(request, hooks))
    except RunRecoveryError as e:
        lines = "\n".join(f"  - {what}: {err}" for what, err in e.failures)
        raise click.ClickException(
            f"could not finish {len(e.failures)} operation(s) left by an interrupted apply:\n{lines}\n"
            "Everything else was recovered and saved in the state; these stay in the journal and are retried "
            "by the next apply. Fix what the cloud reports above (or remove the object by hand), then run "
            "clbplan apply again.") from None
    finally:
        hooks.close()


@click.command("plan")
@run_flags
@click.option("-detailed-exitcode", "detailed", is_flag=True, help="Exit 2 when there are changes.")
@click.option("-destroy", "destroy", is_flag=True, help="Plan to destroy every managed resource.")
@click.option("-refresh", "refresh", default=True, type=bool, help="Read the cloud first (default true).")
@click.option("-out", "out", default=None, metavar="FILE", help="Save the plan to FILE for `apply FILE`.")
@click.option("-json", "--json", "json_", is_flag=True,
              help="Stream Terraform's machine-readable UI, one JSON object per line (the JSON plan "
                   "representation is `clbplan show -json PLANFILE`, as in Terraform).")
@click.option("-lock", "lock", type=bool, default=True, show_default=True,
              help="Hold the state lock while planning (-lock=false: read it without waiting for a run).")
@review_options
def plan(directory, var_args, var_files, lock_timeout, state_path, parallelism, detailed, destroy, refresh,
         out, json_, lock, targets, excludes, replace, refresh_only):
    """Show what apply would change, in the order it would change it."""
    if json_:
        json_ui.start()
    opts = make_options(targets, excludes, replace, refresh_only, destroy, refresh)
    workdir = workdir_of(directory)
    if not json_:  # -json sets -input=false, as in Terraform
        var_args = ask_for_missing_variables(workdir, var_args, var_files)
    backend = backend_for(workdir, state_path, lock_timeout)

    def show(planned: Planned) -> None:
        if json_:
            if out:
                save_plan(planned, opts, out=out, workdir=workdir, state_path=backend.path)
            json_plan_stream(planned, opts)
            return
        emit_plan(planned, opts, out=out, workdir=workdir, state_path=backend.path, echo=echo_plan,
                  ahead=hooks.take_ahead())
        echo_warnings(planned.config.warnings)

    request = RunRequest(workdir, backend, opts, apply=False, var_args=var_args, var_files=var_files,
                         parallelism=parallelism, lock=lock, reuse_unchanged=not (out or json_))
    hooks = CliHooks(opts, show=show, text_ahead=not json_)
    outcome = _run(request, hooks)
    if detailed and (has_changes(outcome.planned.plan, opts)
                     or has_output_changes(planned_output_changes(outcome.planned, opts))):
        raise SystemExit(EXIT_CHANGES)


LOCK_OPTION_HELP = ("Hold the state lock during the operation (default true). -lock=false is dangerous if "
                    "others might run commands against the same workspace at the same time.")


def _warn_unlocked(backend) -> None:
    """-lock=false on a command that writes: Terraform allows it silently; clbplan says what it risks."""
    click.echo(f"Warning: State locking is disabled (-lock=false)\n\n  This run will not take the lock of "
               f"{backend.where}: another run on it can write the state at the same time, and the last write "
               f"wins. Use it only when the lock cannot be taken and no one else is running.\n", err=True)


def _apply(directory, var_args, var_files, lock_timeout, state_path, parallelism, auto_approve,
           opts: PlanOptions, json_: bool = False, lock: bool = True) -> None:
    workdir = workdir_of(directory)
    if not json_:
        var_args = ask_for_missing_variables(workdir, var_args, var_files)
    backend = backend_for(workdir, state_path, lock_timeout)
    if not lock:
        _warn_unlocked(backend)
    request = RunRequest(workdir, backend, opts, var_args=var_args, var_files=var_files, parallelism=parallelism,
                         lock=lock)
    report = ApplyReport.of(_run(request, CliHooks(opts, auto_approve=auto_approve, json_=json_)), backend.path)
    json_report(report) if json_ else report.echo()


def _apply_saved(path: str, *, state_path: str | None, lock_timeout: str, parallelism: int,
                 var_args=(), var_files=(), json_: bool = False, lock: bool = True) -> None:
    """Apply exactly the operations of a saved plan, without asking; the engine refuses a stale one."""
    saved = read_plan_file(path, decision_view)
    # `apply ../other/p.plan` from a directory with its own configuration is refused with the
    # reason; from elsewhere the plan applies where it was made, and says so
    workdir, elsewhere = plan_workdir(saved, Path.cwd())
    if elsewhere:
        click.echo(f"Applying the plan to {workdir}, where it was made (its configuration and state).", err=True)
    opts = PlanOptions.from_json(saved.options)
    backend = backend_for(workdir, state_path or saved.section["state_path"], lock_timeout)
    check_backend(saved, backend.path)
    if not lock:
        _warn_unlocked(backend)
    request = RunRequest(workdir, backend, opts, var_args=var_args, var_files=var_files, parallelism=parallelism,
                         saved=saved, lock=lock)
    report = ApplyReport.of(_run(request, CliHooks(opts, json_=json_)), backend.path)
    json_report(report) if json_ else report.echo()


JSON_FLAG = click.option("-json", "--json", "json_", is_flag=True,
                         help="Stream Terraform's machine-readable UI (needs -auto-approve or a plan file).")


@click.command("apply")
@run_flags
@click.option("-auto-approve", "auto_approve", is_flag=True, help="Skip the confirmation prompt.")
@JSON_FLAG
@click.option("-lock", "lock", type=bool, default=True, help=LOCK_OPTION_HELP)
@review_options
def apply(directory, var_args, var_files, lock_timeout, state_path, parallelism, auto_approve, json_, lock, targets,
          excludes, replace, refresh_only):
    """Plan, ask, then make the cloud match the configuration; or apply a saved plan FILE exactly."""
    saved = bool(directory and is_plan_file(directory))
    if json_:
        json_ui.start()
        _require_approval(json_, auto_approve or saved)
    if saved:
        if targets or excludes or replace or refresh_only:
            raise DiagnosticsError([Diagnostic("Can't set planning options when applying a saved plan",
                                               hint="the options were fixed when the plan was created")])
        _apply_saved(directory, state_path=state_path, lock_timeout=lock_timeout, parallelism=parallelism,
                     var_args=var_args, var_files=var_files, json_=json_, lock=lock)
        return
    opts = make_options(targets, excludes, replace, refresh_only)
    _apply(directory, var_args, var_files, lock_timeout, state_path, parallelism, auto_approve, opts, json_, lock)


@click.command("destroy")
@run_flags
@click.option("-auto-approve", "auto_approve", is_flag=True, help="Skip the confirmation prompt.")
@JSON_FLAG
@click.option("-lock", "lock", type=bool, default=True, help=LOCK_OPTION_HELP)
def destroy(directory, var_args, var_files, lock_timeout, state_path, parallelism, auto_approve, json_, lock):
    """Destroy every resource this state manages."""
    if json_:
        json_ui.start()
        _require_approval(json_, auto_approve)
    _apply(directory, var_args, var_files, lock_timeout, state_path, parallelism, auto_approve,
           make_options(destroy=True), json_, lock)


@click.command("show")
@click.argument("planfile", required=False, type=click.Path(dir_okay=False))
@click.option("-state", "state_path", default=None, metavar="PATH",
              help="State file (default: the selected workspace's state).")
@click.option("-json", "--json", "json_", is_flag=True, help="The state document (or saved plan) as JSON.")
@click.option("-markdown", "--markdown", "markdown", is_flag=True, help="A saved plan as a PR comment.")
def show(planfile, state_path, json_, markdown):
    """Show the resources in the state, or a saved plan FILE, secrets masked."""
    if planfile:
        show_saved(planfile, json_=json_, markdown=markdown)
        return

    state = backend_for(Path.cwd(), state_path, "0s").read()
    remember_secrets(state=state)
    if json_:
        click.echo(state_json_text(state))
        return
    click.echo(render_state(state), nl=False)


@click.command("output")
@click.argument("name", required=False)
@click.option("-state", "state_path", default=None, metavar="PATH",
              help="State file (default: the selected workspace's state).")
@click.option("-json", "--json", "json_", is_flag=True, help="Print as JSON.")
@click.option("-raw", "raw", is_flag=True, help="Print a string value without quotes.")
def output(name, state_path, json_, raw):
    """Print output values recorded in the state."""
    outputs = backend_for(Path.cwd(), state_path, "0s").read().outputs
    if name is None:
        if json_:
            # Terraform's layout: two-space indent, keys sorted, the value's cty type as its state records it
            click.echo(json.dumps({k: {"value": v.get("value"), "sensitive": bool(v.get("sensitive")),
                                       "type": v.get("type") or cty_type(v.get("value"))}
                                   for k, v in outputs.items()}, indent=2, sort_keys=True))
            return
        if not outputs:
            click.echo("Warning: No outputs found\n\nThe state file either has no outputs defined, or all the "
                       "defined outputs are empty.", err=True)
            return
        click.echo(outputs_text(outputs), nl=False)
        return
    if name not in outputs:
        raise DiagnosticsError([Diagnostic(
            f"Output \"{name}\" not found",
            detail="The output variable requested could not be found in the state file.",
            hint="run apply first if the output was added recently; `clbplan output` lists them all",
        )])
    value = outputs[name].get("value")
    if json_:
        click.echo(json.dumps(value, separators=(",", ":"), sort_keys=True))  # compact, as Terraform's
    elif raw:
        if not isinstance(value, (str, int, float, bool)):
            raise DiagnosticsError([Diagnostic("Unsupported value for raw output",
                                               hint="-raw works for strings, numbers and bools; use -json")])
        # no newline, as Terraform's -raw prints it (for $(clbplan output -raw NAME) and for files)
        click.echo(value if not isinstance(value, bool) else str(value).lower(), nl=False)
    else:
        click.echo(format_value(value, type_=outputs[name].get("type")))  # indented HCL, as Terraform prints it


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
    try:
        addr = ResourceAddress.parse(address)
    except ValueError as e:
        raise DiagnosticsError([Diagnostic("Invalid resource address", detail=str(e),
                                           hint="e.g. alicloud_slb_load_balancer.web or alicloud_slb_listener.l[0]")])
    workdir = workdir_of(directory)
    backend = backend_for(workdir, state_path, lock_timeout)
    with open_state(backend, "import", mutating=False) as session:
        state = session.state
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
        from planner.providers.target import Clouds  # deferred: only import reaches a cloud here

        with Clouds(workdir) as clouds:
            provider, *_ = open_provider(config, workdir, clouds)
            attrs = provider.import_(addr.type, resource_id)
        deps = [d for d in sorted(config.resources[addr].depends_on, key=str) if d.mode == "managed"]
        state.resources[addr] = ResourceState(addr, str(attrs.get("id") or resource_id),
                                              {k: v for k, v in attrs.items() if k != "id"},
                                              provider=config.resources[addr].provider, dependencies=deps)
        backend.write(state)
    click.echo(f"{addr}: Importing from ID \"{resource_id}\"...\n{addr}: Import prepared!\n\n"
               "Import successful!\n\nThe resources that were imported are shown above. These resources are "
               "now in\nyour clbplan state and will henceforth be managed by clbplan.")
