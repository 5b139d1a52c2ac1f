"""``clbplan validate``: every configuration problem in one run, text or ``-json``."""

from __future__ import annotations

import json

import click

from planner.config.evaluation import evaluate
from planner.config.loader import load_module_partial
from planner.diagnostics import Diagnostic, DiagnosticsError


def _json_report(diags: list[Diagnostic]) -> dict:
    errors = sum(1 for d in diags if d.severity == "error")
    warnings = sum(1 for d in diags if d.severity == "warning")
    out = []
    for d in diags:
        item = d.to_json()
        item["summary"] = d.summary
        item["detail"] = d.detail + (("\n" if d.detail else "") + "hint: " + d.hint if d.hint else "")
        out.append(item)
    return {"format_version": "1.0", "valid": errors == 0, "error_count": errors, "warning_count": warnings,
            "diagnostics": out}


@click.command("validate")
@click.argument("directory", default=".", type=click.Path(file_okay=False))
@click.option("-json", "--json", "json_", is_flag=True, help="Print the result as JSON (terraform validate -json).")
@click.option("-var", "--var", "var_args", multiple=True, help="Set an input variable: -var name=value.")
@click.option("-var-file", "--var-file", "var_files", multiple=True, help="Load input variables from a file.")
def validate(directory: str, json_: bool, var_args: tuple[str, ...], var_files: tuple[str, ...]) -> None:
    """Check the configuration in DIRECTORY (default: the current one) without touching the cloud."""
    diags: list[Diagnostic] = []
    try:
        module, diags, all_parsed = load_module_partial(directory)
    except DiagnosticsError as e:  # no directory / no files
        module, diags, all_parsed = None, list(e.diagnostics), False
    if module is not None and all_parsed:
        # structure errors (duplicates, unknown blocks) do not stop evaluation: report everything at once
        try:
            config = evaluate(module, var_args=var_args, var_files=var_files)
            diags = diags + list(getattr(config, "warnings", []))
        except DiagnosticsError as e:
            diags = diags + list(e.diagnostics)
    diags = DiagnosticsError(diags).diagnostics  # sorted by file and line
    errors = [d for d in diags if d.severity == "error"]
    if json_:
        click.echo(json.dumps(_json_report(diags), indent=2))
        if errors:
            raise SystemExit(1)
        return
    for d in diags:
        click.echo(d.render(), err=True)
    if errors:
        click.echo(f"\n{len(errors)} error(s) found.", err=True)
        raise SystemExit(1)
    click.echo("Success! The configuration is valid.")
