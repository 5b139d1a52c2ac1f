"""Review and CI glue for the run commands: flags, saved plans, JSON/Markdown output, drift.

``planner.cli.run_cmd`` stays thin: it adds ``review_options`` to plan/apply, passes
``plan_kwargs(opts)`` to ``make_plan``, prints with ``emit_plan``, applies a saved plan with
``apply_saved`` and shows one with ``show_saved``.

Exit codes for CI (``-detailed-exitcode``): 0 no changes, 1 error, 2 changes. With
``-refresh-only`` "changes" means drift: a nightly job runs
``plan -refresh-only -detailed-exitcode`` (2 = something changed outside clbplan) and
``plan -detailed-exitcode`` (2 = the configuration has changes not yet applied).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import click

from planner.addresses import ModuleAddress, ResourceAddress, parse_target
from planner.cli.global_flags import settings
from planner.diagnostics import Diagnostic, DiagnosticsError
from planner.plan.model import OpKind, Plan
from planner.plan.render import fmt_value, render_plan

EXIT_CHANGES = 2


@dataclass
class ReviewOptions:
    """The plan-shaping flags of one run (saved in a plan file, re-used when applying it)."""

    targets: list[ResourceAddress | ModuleAddress]
    excludes: list[ResourceAddress | ModuleAddress]
    replace: list[ResourceAddress]
    refresh_only: bool = False
    destroy: bool = False
    refresh: bool = True

    @property
    def partial(self) -> bool:
        return bool(self.targets or self.excludes)

    def to_json(self) -> dict:
        return {"targets": [str(a) for a in self.targets], "excludes": [str(a) for a in self.excludes],
                "replace": [str(a) for a in self.replace], "refresh_only": self.refresh_only,
                "destroy": self.destroy, "refresh": self.refresh}

    @classmethod
    def from_json(cls, doc: dict) -> ReviewOptions:
        return cls([parse_target(a) for a in doc.get("targets", [])],
                   [parse_target(a) for a in doc.get("excludes", [])],
                   [ResourceAddress.parse(a) for a in doc.get("replace", [])],
                   bool(doc.get("refresh_only")), bool(doc.get("destroy")), bool(doc.get("refresh", True)))


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
    from planner.plan.targeting import parse_addresses

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


def plan_kwargs(opts: ReviewOptions | None) -> dict:
    """Keyword arguments for ``planner.plan.pipeline.make_plan``."""
    if opts is None:
        return {}
    return {"targets": opts.targets, "excludes": opts.excludes, "replace": opts.replace,
            "refresh_only": opts.refresh_only}


def has_changes(plan: Plan, opts: ReviewOptions | None) -> bool:
    """What -detailed-exitcode reports as 2: pending changes, or drift for a refresh-only plan."""
    if opts is not None and opts.refresh_only:
        return bool(plan.drift) or any(c.previous_address is not None for c in plan.changes)
    return plan.has_changes


# ---------------------------------------------------------------------------------------------
# text

def _is_items(v: Any) -> bool:
    return isinstance(v, list) and all(isinstance(x, dict) for x in v)


def render_drift_detail(plan: Plan, drift: list, *, refresh_only: bool = False) -> list[str]:
    """Drift attribute by attribute, old -> new, secrets masked."""
    from planner.diff import get_schema, values_equal

    if not drift:
        return []
    lines = ["Note: Objects have changed outside of clbplan", "",
             "clbplan detected the following changes made outside of clbplan since the last "
             "\"clbplan apply\"" + (":" if refresh_only else " which may have affected this plan:"), ""]
    masked = {c.address: set(c.sensitive) for c in plan.changes if c.sensitive}
    for d in drift:
        if d.after is None:
            lines.append(f"  # {d.address} has been deleted")
            lines.append(f"  - resource \"{d.address.type}\" \"{d.address.name}\" {{ ... }}")
            lines.append("")
            continue
        schema = get_schema(d.address.type)
        sens = set(schema.sensitive) if schema is not None else set()
        sens |= masked.get(d.address, set())
        lines.append(f"  # {d.address} has changed")
        lines.append(f"  ~ resource \"{d.address.type}\" \"{d.address.name}\" {{")
        width = max(len(n) for n in d.changed)
        for n in d.changed:
            b, a = (d.before or {}).get(n), (d.after or {}).get(n)
            if _is_items(b) and _is_items(a) and n not in sens:
                # blocks: only the items that differ, one per line
                lines.append(f"      ~ {n}:")
                lines += [f"          - {fmt_value(x)}" for x in b if not any(values_equal(x, y) for y in a)]
                lines += [f"          + {fmt_value(y)}" for y in a if not any(values_equal(y, x) for x in b)]
                continue
            lines.append(f"      ~ {n.ljust(width)} = {fmt_value(b, n in sens)} -> {fmt_value(a, n in sens)}")
        lines.append("    }")
        lines.append("")
    return lines


def render_text(plan: Plan, opts: ReviewOptions | None) -> str:
    """The human plan: refresh-only plans show all drift; normal ones only the relevant drift."""
    from planner.plan.targeting import REFRESH_ONLY_NOTE, TARGET_WARNING, relevant_drift

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
        body = render_plan(replace(plan, drift=[]))
        if plan.has_changes and relevant:
            out.append("\n".join(render_drift_detail(plan, relevant)))
            out.append("Unless you have made equivalent changes to your configuration, or ignored the "
                       "relevant attributes using ignore_changes, the following plan may include actions "
                       "to undo or respond to these changes.\n")
            out.append("─" * 77 + "\n")
        out.append(body)
    if opts is not None and opts.partial:
        out.append("\n" + TARGET_WARNING)
    return "\n".join(out) if len(out) > 1 else out[0]


def emit_plan(planned: Any, opts: ReviewOptions | None, *, json_: bool = False, out: str | None = None,
              workdir: Path | None = None, state_path: Path | None = None, echo: Any = None) -> None:
    """Print the plan (text or JSON) and write the plan file when -out was given."""
    from planner.plan.json_plan import dumps, plan_json
    from planner.plan.planfile import build_document, write_plan_file

    options = opts.to_json() if opts is not None else {}
    doc = None
    if out:
        doc = build_document(planned, options=options, workdir=workdir or Path.cwd(),
                             state_path=state_path or (workdir or Path.cwd()) / "clbplan.tfstate")
        write_plan_file(out, doc)
    if json_:
        if doc is not None:
            click.echo(dumps({k: v for k, v in doc.items() if k != "clbplan_planfile"}))
        else:
            click.echo(dumps(plan_json(planned.plan, prior=planned.refreshed, config=planned.config,
                                       options=options)))
        return
    text = render_text(planned.plan, opts)
    if echo is not None:
        echo(text)
    else:
        click.echo(text, nl=False)
    if out:
        click.echo(f"\nSaved the plan to: {out}")
    if planned.plan.has_changes and not settings.in_automation:  # Terraform's "next steps" hint
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
    from planner.plan.markdown import render_markdown
    from planner.plan.planfile import read_plan_file

    if json_ and markdown:
        raise DiagnosticsError([Diagnostic("Choose one of -json and -markdown")])
    if _is_state_file(path):  # `show FILE` with a state file shows that state, as Terraform does
        from planner.cli.run_cmd import _masked_state_json
        from planner.plan.render import render_state
        from planner.state.backend import LocalBackend

        if markdown:
            raise DiagnosticsError([Diagnostic(f"{path} is a state file", hint="-markdown renders saved plans")])
        state = LocalBackend(Path(path)).read()
        click.echo(json.dumps(_masked_state_json(state), indent=2, sort_keys=True) if json_
                   else render_state(state), nl=json_)
        return
    saved = read_plan_file(path)
    if json_:
        from planner.plan.json_plan import dumps

        click.echo(dumps(saved.terraform_json))
        return
    opts = ReviewOptions.from_json(saved.options)
    if markdown:
        click.echo(render_markdown(saved.plan, partial=opts.partial, refresh_only=opts.refresh_only), nl=False)
        return
    click.echo(render_text(saved.plan, opts), nl=False)


def _is_state_file(path: str) -> bool:
    """A state document starts with its version and serial; a plan file with format_version."""
    try:
        with open(path, encoding="utf-8") as f:
            head = f.read(256)
    except (OSError, UnicodeDecodeError):
        return False
    return head.lstrip().startswith("{") and '"serial"' in head and '"format_version"' not in head


# ---------------------------------------------------------------------------------------------
# apply FILE

def apply_saved(path: str, *, state_path: str | None, lock_timeout: str, parallelism: int,
                var_args=(), var_files=()) -> None:
    """Apply exactly the operations of a saved plan, without asking; refuse a stale one."""
    from planner.cli.run_cmd import _backend, _read_state
    from planner.plan.pipeline import make_plan
    from planner.plan.planfile import check_fresh, check_state, read_plan_file, saved_var_file

    saved = read_plan_file(path)
    section = saved.section
    workdir = Path(section["workdir"])
    if not workdir.is_dir():
        raise DiagnosticsError([Diagnostic(f"The plan's configuration directory {workdir} does not exist",
                                           hint="apply the plan where it was made")])
    opts = ReviewOptions.from_json(saved.options)
    backend = _backend(workdir, state_path or section["state_path"], lock_timeout)
    with backend.lock("apply"):
        state, journal, pending = _read_state(backend)
        if pending:
            raise DiagnosticsError([Diagnostic(
                "Saved plan is stale",
                detail="an apply was interrupted after this plan was made; its recovery changes the state",
                hint="run `clbplan plan` (it warns) or `clbplan apply` to recover, then create a new plan")])
        check_state(saved, state)
        journal = backend.journal(state.lineage)  # the lineage may have been adopted from the plan
        tmp = saved_var_file(saved)
        try:
            var_files = (*var_files, str(tmp))
            fresh = make_plan(workdir, state, var_args=var_args, var_files=var_files, destroy=opts.destroy,
                              refresh=opts.refresh, **plan_kwargs(opts))
            check_fresh(saved, fresh)
            result = _run_saved(fresh, opts, backend, journal, parallelism, var_args, var_files)
        finally:
            tmp.unlink(missing_ok=True)
    if result is None:
        return

    ops = {op.id: op for op in fresh.plan.operations}
    executed = [ops[i] for i in result.executed if i in ops]
    counts = {k: sum(1 for op in executed if op.kind is k) for k in OpKind}
    if result.failures:
        click.echo(f"\nError: apply failed: {len(result.failures)} operation(s) failed, "
                   f"{len(result.skipped)} skipped because they depend on a failure.", err=True)
        for op_id, err in result.failures:
            click.echo(f"  - {op_id}: {err}", err=True)
        raise SystemExit(1)
    word = "Destroy" if opts.destroy else "Apply"
    click.echo(f"\n{word} complete! Resources: {counts[OpKind.CREATE]} added, {counts[OpKind.UPDATE]} changed, "
               f"{counts[OpKind.DELETE]} destroyed.")


def _run_saved(fresh: Any, opts: ReviewOptions, backend: Any, journal: Any, parallelism: int, var_args,
               var_files) -> Any:
    """Run the checked plan; returns the executor's result (None for a refresh-only plan)."""
    from planner.cli.run_cmd import _progress
    from planner.plan.pipeline import apply_plan, final_outputs

    state = fresh.refreshed
    if opts.refresh_only:
        backend.write(state)
        click.echo(f"\nApply complete! Resources: 0 added, 0 changed, 0 destroyed. "
                   f"{len(fresh.plan.drift)} object(s) changed outside clbplan recorded in the state.")
        return None
    from planner.plan.pipeline import forget_objects

    if forget_objects(fresh.plan, state) or not backend.path.exists():
        backend.write(state)  # the journal is per lineage: leave the lineage on disk before the first call
    result = apply_plan(fresh, state, parallelism=parallelism, journal=journal,
                        on_event=_progress(len(fresh.plan.operations)))
    if not result.failures and not opts.partial:
        state.outputs = final_outputs(fresh, state, var_args=var_args, var_files=var_files)
    backend.write(state)
    journal.checkpoint()
    return result
