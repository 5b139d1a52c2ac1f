"""Review and CI glue for the run commands: flags, saved plans, JSON/Markdown output, drift.

``planner.cli.run_cmd`` stays thin: it adds ``review_options`` to plan/apply, hands the options to
``planner.engine.run``, prints with ``emit_plan`` and shows a saved plan with ``show_saved``.

Exit codes for CI (``-detailed-exitcode``): 0 no changes, 1 error, 2 changes. With
``-refresh-only`` "changes" means drift: a nightly job runs
``plan -refresh-only -detailed-exitcode`` (2 = something changed outside clbplan) and
``plan -detailed-exitcode`` (2 = the configuration has changes not yet applied).
"""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import click

from planner.cli.common import state_json_text
from planner.cli.global_flags import settings
from planner.cli.review_context import review_context
from planner.diagnostics import Diagnostic, DiagnosticsError
from planner.engine.options import PlanOptions
from planner.plan.model import Plan
from planner.plan.planfile import SECTION, build_document, read_plan_file, write_plan_file
from planner.plan.targeting import REFRESH_ONLY_NOTE, TARGET_WARNING, parse_addresses, relevant_drift
from planner.redact import scrub
from planner.render.drift import render_drift_detail
from planner.render.json_plan import decision_view, dumps, output_changes, plan_json
from planner.render.text import render_plan, render_state
from planner.state.backend import LocalBackend

ReviewOptions = PlanOptions  # the flags' name at the CLI: the engine's plan options


def review_options(f):
    """-target, -exclude, -replace, -refresh-only (Terraform's spelling, repeatable)."""
    f = click.option("-target", "targets", multiple=True, metavar="ADDRESS",
                     help="Plan only this resource and what it depends on (repeatable).")(f)
    f = click.option("-exclude", "excludes", multiple=True, metavar="ADDRESS",
                     help="Leave out this resource and everything that depends on it (repeatable).")(f)
    f = click.option("-replace", "replace", multiple=True, metavar="ADDRESS",
                     help="Force replacement of this resource (repeatable).")(f)
    f = click.option("-refresh-only", "refresh_only", is_flag=True,
                     help="Only look for changes made outside clbplan (apply records them in the "
                          "state); change nothing in the cloud. With -detailed-exitcode, 2 means drift.")(f)
    return f


def make_options(targets=(), excludes=(), replace=(), refresh_only: bool = False,
                 destroy: bool = False, refresh: bool = True) -> ReviewOptions:
    """Parse the flags; conflicting ones are a diagnostic (exit 1)."""
    opts = ReviewOptions(parse_addresses(targets, "-target"), parse_addresses(excludes, "-exclude"),
                         parse_addresses(replace, "-replace"), bool(refresh_only), bool(destroy), bool(refresh))
    if opts.refresh_only and not opts.refresh:
        raise DiagnosticsError([Diagnostic("Incompatible plan options",
                                           detail="-refresh-only needs the refresh that -refresh=false turns off")])
    if opts.refresh_only and (opts.replace or opts.destroy):
        raise DiagnosticsError([Diagnostic("Incompatible plan options",
                                           detail="-refresh-only changes nothing in the cloud, so it cannot be "
                                                  "combined with -replace or -destroy",
                                           hint="run the refresh-only plan and the other one separately")])
    return opts


def has_output_changes(outputs: dict | None) -> bool:
    """Any output to create, update or delete (Terraform applies such a plan and counts it as changes)."""
    return any(c.get("actions") != ["no-op"] for c in (outputs or {}).values())


def has_changes(plan: Plan, opts: ReviewOptions | None) -> bool:
    """What -detailed-exitcode reports as 2: pending changes, or drift for a refresh-only plan."""
    if opts is not None and opts.refresh_only:
        return bool(plan.drift) or any(c.previous_address is not None for c in plan.changes)
    return plan.has_changes


# ---------------------------------------------------------------------------------------------
# text

def planned_output_changes(planned: Any, opts: ReviewOptions | None) -> dict:
    """The plan's ``output_changes`` (as ``show -json`` writes them); none for a refresh-only plan."""
    if opts is not None and opts.refresh_only:
        return {}
    return output_changes(planned.config, planned.refreshed, planned.plan.destroy)[0]


def render_text(plan: Plan, opts: ReviewOptions | None, outputs: dict | None = None) -> str:
    """The human plan: refresh-only plans show all drift; normal ones only the relevant drift.
    ``outputs``: the plan's output changes, shown under "Changes to Outputs:"."""
    out: list[str] = []
    if opts is not None and opts.refresh_only:
        moved = [c for c in plan.changes if c.previous_address is not None]
        if moved:  # a refresh-only apply records moves too (Terraform shows them with the drift)
            out.append("\n".join(["Objects moved by moved blocks (applying this plan records them at their new "
                                   "addresses):", ""] + [f"  # {c.previous_address} has moved to {c.address}"
                                                         for c in moved]) + "\n")
        if not plan.drift and moved:
            out.append(REFRESH_ONLY_NOTE + "\n")
        elif not plan.drift:
            out.append("No changes. Your infrastructure still matches the configuration.\n\n"
                       "clbplan has checked that the real remote objects still match the result of your "
                       "most recent changes, and found no differences.\n")
        else:
            out.append("\n".join(render_drift_detail(plan, plan.drift, refresh_only=True)))
            out.append(REFRESH_ONLY_NOTE + "\n")
            out.append(f"Refresh-only plan: {len(plan.drift)} object(s) changed outside clbplan.\n")
    else:
        relevant = relevant_drift(plan)
        body = render_plan(replace(plan, drift=[]), outputs)
        if plan.has_changes and relevant:
            out.append("\n".join(render_drift_detail(plan, relevant)))
            out.append("Unless you have made equivalent changes to your configuration, or ignored the "
                       "relevant attributes using ignore_changes, the following plan may include actions "
                       "to undo or respond to these changes.\n")
            out.append("─" * 77 + "\n")
        out.append(body)
    if opts is not None and opts.partial:
        out.append("\n" + TARGET_WARNING)
    return scrub("\n".join(out) if len(out) > 1 else out[0])


def save_plan(planned: Any, opts: ReviewOptions | None, *, out: str, workdir: Path | None = None,
              state_path: Path | None = None) -> dict:
    """Write the plan file (-out) and return its document."""
    options = opts.to_json() if opts is not None else {}
    workdir = workdir or Path.cwd()
    state_path = state_path or workdir / "clbplan.tfstate"
    terraform_json = plan_json(planned.plan, prior=planned.refreshed, config=planned.config, options=options)
    doc = build_document(planned, terraform_json=terraform_json, options=options, workdir=workdir,
                         state_path=state_path)
    doc[SECTION]["review"] = review_context(workdir, state_path)
    write_plan_file(out, doc)
    return doc


def emit_plan(planned: Any, opts: ReviewOptions | None, *, json_: bool = False, out: str | None = None,
              workdir: Path | None = None, state_path: Path | None = None, echo: Any = None,
              ahead: Any = None) -> None:
    """Print the plan (text, or with ``json_`` the JSON plan representation) and write the plan file
    when -out was given. ``ahead``: the text rendered meanwhile (``planner.cli.plan_text_ahead``)."""
    options = opts.to_json() if opts is not None else {}
    doc = save_plan(planned, opts, out=out, workdir=workdir, state_path=state_path) if out else None
    if json_:
        if doc is not None:
            click.echo(dumps({k: v for k, v in doc.items() if k != "clbplan_planfile"}))
        else:
            click.echo(dumps(plan_json(planned.plan, prior=planned.refreshed, config=planned.config,
                                       options=options)))
        return
    outputs = planned_output_changes(planned, opts)
    if ahead is None or not ahead.write_to(sys.stdout):
        text = render_text(planned.plan, opts, outputs)
        if echo is not None:
            echo(text)
        else:
            click.echo(text, nl=False)
    if out:
        click.echo(f"\nSaved the plan to: {out}")
    if (planned.plan.has_changes or has_output_changes(outputs)) and not settings.in_automation:  # Terraform's "next steps" hint
        click.echo("\n" + "─" * 77 + "\n")
        if out:
            click.echo(f"To perform exactly these actions, run the following command to apply:\n"
                       f"    clbplan apply {out}")
        else:
            click.echo("Note: You didn't use the -out option to save this plan, so clbplan can't guarantee to "
                       "take exactly these actions if you run \"clbplan apply\" now.")


# ---------------------------------------------------------------------------------------------
# show FILE

def show_saved(path: str, *, json_: bool = False, markdown: bool = False) -> None:
    """``show FILE``: text (default), -json (Terraform's representation) or -markdown (for a PR)."""
    if json_ and markdown:
        raise DiagnosticsError([Diagnostic("Choose one of -json and -markdown")])
    if _is_state_file(path):  # `show FILE` with a state file shows that state, as Terraform does
        if markdown:
            raise DiagnosticsError([Diagnostic(f"{path} is a state file", hint="-markdown renders saved plans")])
        state = LocalBackend(Path(path)).read()
        click.echo(state_json_text(state) if json_ else render_state(state), nl=json_)
        return
    saved = read_plan_file(path, decision_view)
    if json_:
        click.echo(dumps(saved.terraform_json))
        return
    opts = ReviewOptions.from_json(saved.options)
    if markdown:
        from planner.render.markdown import render_markdown  # deferred: deepdiff is only for this view

        click.echo(render_markdown(saved.plan, partial=opts.partial, refresh_only=opts.refresh_only,
                                   outputs=saved.terraform_json.get("output_changes"),
                                   context=saved.section.get("review"), plan_file=path), nl=False)
        return
    outputs = {} if opts.refresh_only else saved.terraform_json.get("output_changes") or {}
    click.echo(render_text(saved.plan, opts, outputs), nl=False)


def _is_state_file(path: str) -> bool:
    """A state document starts with its version and serial; a plan file with format_version."""
    try:
        with open(path, encoding="utf-8") as f:
            head = f.read(256)
    except (OSError, UnicodeDecodeError):
        return False
    return head.lstrip().startswith("{") and '"serial"' in head and '"format_version"' not in head
