"""What the commands share at the process edge: exit codes, the working directory and state
backend from flags, the run's flags, coloured plan text, apply progress and the one apply report.

Exit codes follow Terraform: 0 success, 1 error, 2 changes present (``plan -detailed-exitcode``),
130 interrupted. They are defined here only.
"""

from __future__ import annotations

import json
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import click

from planner import redact
from planner.apply.executor import ApplyEvent
from planner.cli.batched_lines import BatchedLines
from planner.cli.exit_codes import EXIT_ERROR, EXIT_OK
from planner.cli.global_flags import settings
from planner.cli.interrupts import report_interrupted
from planner.cli.live_status import LiveStatus
from planner.cli.progress import Hook, Progress
from planner.diagnostics import Diagnostic, DiagnosticsError
from planner.engine.pipeline import Planned
from planner.engine.run import RunOutcome, RunStatus
from planner.hclvalue import format_value
from planner.plan.diff import get_schema
from planner.plan.model import OpKind
from planner.redact import scrub, shorten
from planner.state.backend import LocalBackend
from planner.state.model import State


def workdir_of(directory: str | None) -> Path:
    """The configuration directory named on the command line (default: the current one)."""
    d = Path(directory) if directory else Path.cwd()
    if not d.is_dir():
        raise DiagnosticsError([Diagnostic(f"No such directory: {d}",
                                           hint="pass the directory holding your .tf files, or run from it")])
    return d


def backend_for(workdir: Path, state_path: str | None, lock_timeout: str) -> LocalBackend:
    """-state wins; else the root module's backend (local or pg) and the selected workspace
    (``planner.state.workspaces``: TF_WORKSPACE, .terraform/environment, default)."""
    from planner.state.workspaces import open_backend

    if state_path and str(state_path).startswith("/pg:"):
        state_path = None  # a saved plan made against the pg backend: reopen it from the configuration
    return open_backend(workdir, state_path=state_path, lock_timeout=lock_timeout, create_dirs=True)


def run_flags(f):
    """DIRECTORY, -var, -var-file, -lock-timeout, -state, -parallelism: the flags of plan/apply/destroy."""
    f = click.option("-var", "var_args", multiple=True, metavar="NAME=VALUE", help="Set a variable.")(f)
    f = click.option("-var-file", "var_files", multiple=True, metavar="FILE", help="Read variables from a file.")(f)
    f = click.option("-lock-timeout", "lock_timeout", default="0s", show_default=True,
                     help="How long to wait for the state lock.")(f)
    f = click.option("-state", "state_path", default=None, metavar="PATH",
                     help="State file (default: clbplan.tfstate in DIR).")(f)
    f = click.option("-parallelism", "parallelism", default=10, show_default=True, type=click.IntRange(1, 256),
                     help="How many operations run at once (at most one per load balancer).")(f)
    return click.argument("directory", required=False, type=click.Path())(f)


_PIECE = 1 << 20


def echo_plan(text: str) -> None:
    """Plain text, coloured like Terraform's markers only when stdout is a terminal (and not -no-color)."""
    out = sys.stdout
    if not settings.use_color(out):
        # in pieces that end at a line's end: one write of a 200 MB plan (100,000 creates) made a copy of
        # it to strip and another to encode, at the command's peak of memory
        start = 0
        while start < len(text):
            end = text.find("\n", start + _PIECE)
            end = len(text) if end < 0 else end + 1
            click.echo(text[start:end], nl=False)
            start = end
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


def progress(planned: Planned, state: State, out: LiveStatus | BatchedLines) -> Callable[[ApplyEvent], None]:
    """Terraform's apply progress on stdout: ``<addr>: Creating...``, ``Still creating... [10s
    elapsed]``, ``Creation complete after 1s [id=...]`` (see ``planner.cli.progress``), above a status
    line when ``out`` is one (``planner.cli.live_status``), else a few lines at a time: close ``out``
    before printing anything after the walk."""
    lock = threading.Lock()
    bold = settings.use_color(sys.stdout)
    live = out if isinstance(out, LiveStatus) else None

    def sink(hook: Hook) -> None:
        if hook.type == "apply_errored":
            return  # the error is reported once, with the summary
        text = scrub(hook.message)
        if live is None:
            out.line(click.style(text, bold=True) if bold else text)
            return
        with lock:
            live.print(text, bold=bold)

    hooks = Progress(planned.plan.operations, state, sink)
    if live is None:
        return hooks

    def both(ev: ApplyEvent) -> None:
        hooks(ev)
        live.event(ev)

    return both


def outputs_text(outputs: dict) -> str:
    """``name = value`` lines sorted by name, values as indented HCL and secrets as <sensitive>, as
    ``terraform output`` and the end of ``terraform apply`` print them (names are not aligned)."""
    lines = []
    for name in sorted(outputs):
        o = outputs[name]
        value = "<sensitive>" if o.get("sensitive") else format_value(o.get("value"), type_=o.get("type"))
        lines.append(f"{name} = {value}")
    return "\n".join(lines) + "\n" if lines else ""


def masked_state_json(state: State) -> dict:
    """The state document with sensitive attributes and outputs masked."""
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


def state_json_text(state: State) -> str:
    return json.dumps(redact.scrub_doc(masked_state_json(state)), indent=2, sort_keys=True)


@dataclass
class ApplyReport:
    """The end of an apply, destroy or saved-plan apply: counts, failures, skipped, summary, exit code."""

    status: RunStatus
    destroy: bool = False
    added: int = 0
    changed: int = 0
    destroyed: int = 0
    failures: list[tuple[str, Exception]] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    drift: int = 0
    outputs: dict = field(default_factory=dict)
    interrupted: tuple | None = None  # (result, operations by id, word, state path) after Ctrl-C

    @classmethod
    def of(cls, outcome: RunOutcome, state_path: object = None) -> ApplyReport:
        plan = outcome.planned.plan
        report = cls(outcome.status, destroy=plan.destroy, drift=len(plan.drift))
        result = outcome.result
        if result is None:
            if outcome.status is RunStatus.UNCHANGED:  # Terraform lists the outputs after any apply
                report.outputs = dict(outcome.state.outputs)
            return report
        kinds = {op.id: op.kind for op in plan.operations}
        executed = [kinds[i] for i in result.executed if i in kinds]
        report.added = executed.count(OpKind.CREATE)
        report.changed = executed.count(OpKind.UPDATE)
        report.destroyed = executed.count(OpKind.DELETE)
        report.failures, report.skipped = list(result.failures), list(result.skipped)
        report.outputs = dict(outcome.state.outputs)
        if result.interrupted:
            ops = {op.id: op for op in plan.operations}
            report.interrupted = (result, ops, "Destroy" if plan.destroy else "Apply", state_path)
        return report

    @property
    def exit_code(self) -> int:
        return EXIT_ERROR if self.failures or self.status is RunStatus.CANCELLED else EXIT_OK

    @property
    def counts(self) -> str:
        return f"{self.added} added, {self.changed} changed, {self.destroyed} destroyed"

    def summary(self) -> str:
        """The last line on stdout (or, after a failure, the error on stderr)."""
        if self.status is RunStatus.CANCELLED:
            return "\nApply cancelled."
        if self.failures:
            return (f"\nError: apply failed: {len(self.failures)} operation(s) failed, "
                    f"{len(self.skipped)} skipped because they depend on a failure.")
        if self.status is RunStatus.REFRESHED:
            return (f"\nApply complete! Resources: {self.counts} "
                    f"({self.drift} changed outside clbplan, recorded in the state).")
        if self.destroy and self.status is RunStatus.APPLIED:
            return f"\nDestroy complete! Resources: {self.destroyed} destroyed."  # as Terraform words it
        return f"\nApply complete! Resources: {self.counts}."

    def echo(self) -> None:
        """Print the report; exit 1 when the run failed or was cancelled."""
        if self.interrupted is not None:
            result, ops, word, state_path = self.interrupted
            report_interrupted(result, ops, word=word, state_path=state_path)
        if self.status is RunStatus.CANCELLED:
            click.echo(self.summary(), err=True)
            raise SystemExit(self.exit_code)
        if self.failures:
            click.echo(self.summary(), err=True)
            for op_id, err in self.failures:
                click.echo(scrub(f"  - {op_id}: {shorten(str(err), 1000)}"), err=True)
            for op_id in self.skipped:
                click.echo(f"  - {op_id}: skipped", err=True)
            click.echo(f"\nWhat succeeded is recorded in the state ({self.counts}); run apply again after "
                       "fixing the cause.", err=True)
            raise SystemExit(self.exit_code)
        click.echo(self.summary())
        if self.status in (RunStatus.APPLIED, RunStatus.UNCHANGED) and self.outputs and not self.destroy:
            click.echo("\nOutputs:\n")
            click.echo(outputs_text(self.outputs), nl=False)
