"""``clbplan validate``: every configuration problem in one run, text or ``-json``."""

from __future__ import annotations

import json

import click

from planner.config.evaluation import evaluate
from planner.config.loader import load_module_partial
from planner.diagnostics import Diagnostic, DiagnosticsError


def _byte_offset(cache: dict[str, list[int] | None], filename: str, line: int, column: int) -> int:
    """Byte offset of a 1-based line/column (columns count characters), as terraform's JSON has."""
    if filename not in cache:
        try:
            with open(filename, "rb") as f:
                raw = f.read()
            starts = [0]
            starts.extend(i + 1 for i, b in enumerate(raw) if b == 10)
            cache[filename] = starts
            cache[filename + "\0text"] = raw  # type: ignore[assignment]
        except OSError:
            cache[filename] = None
    starts = cache[filename]
    if not starts or line < 1 or line > len(starts):
        return 0
    raw: bytes = cache[filename + "\0text"]  # type: ignore[assignment]
    line_bytes = raw[starts[line - 1]:starts[line] if line < len(starts) else len(raw)]
    prefix = line_bytes.decode("utf-8", "replace")[:max(column - 1, 0)]
    return starts[line - 1] + len(prefix.encode("utf-8"))


def diagnostic_json(d: Diagnostic, files: dict | None = None) -> dict:
    """One diagnostic as Terraform's JSON writes it (validate -json, and the -json UI's ``diagnostic``)."""
    files = {} if files is None else files
    item = d.to_json()
    if "range" in item and d.pos is not None:
        byte = _byte_offset(files, d.pos.filename, d.pos.line, d.pos.column)
        item["range"]["start"]["byte"] = item["range"]["end"]["byte"] = byte
    item["summary"] = d.summary
    item["detail"] = d.detail + (("\n" if d.detail else "") + "hint: " + d.hint if d.hint else "")
    return item


def _json_report(diags: list[Diagnostic]) -> dict:
    errors = sum(1 for d in diags if d.severity == "error")
    warnings = sum(1 for d in diags if d.severity == "warning")
    files: dict = {}
    out = [diagnostic_json(d, files) for d in diags]
    return {"format_version": "1.0", "valid": errors == 0, "error_count": errors, "warning_count": warnings,
            "diagnostics": out}


@click.command("validate")
@click.argument("directory", default=".")
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
            config = None
        from planner.plan.moves import check_instance_moves, read_statements

        try:  # moved/removed blocks: their static checks, and (when it evaluated) the instance checks
            read_statements(module)
            if config is not None:
                check_instance_moves(module, config)
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
