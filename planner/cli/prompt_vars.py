"""Ask for root variables that have no value, as Terraform does on a terminal (unless -input=false)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import click

from planner.cli.global_flags import settings
from planner.diagnostics import DiagnosticsError

_MISSING = "No value for required variable"
_NAME = re.compile(r'input variable "([^"]+)"')


def missing_variables(workdir: Path, var_args: Sequence[str], var_files: Sequence[str]) -> list[str]:
    """Names of required root variables that -var, -var-file, tfvars files and TF_VAR_* leave unset."""
    from planner.config import evaluate, load_module

    try:
        evaluate(load_module(workdir), var_args=var_args, var_files=var_files)
    except DiagnosticsError as e:
        return [m.group(1) for d in e.diagnostics if d.summary == _MISSING
                for m in [_NAME.search(d.detail or "")] if m]
    except Exception:  # noqa: BLE001 - the run itself reports whatever else is wrong, with its location
        return []
    return []


def ask_for_missing_variables(workdir: Path, var_args: Sequence[str], var_files: Sequence[str]) -> tuple[str, ...]:
    """``var_args`` plus a ``NAME=VALUE`` for each missing variable typed at the terminal.

    Without a terminal on stdin, or with -input=false, nothing is asked: the run then stops with
    "No value for required variable", naming the variable and where it is declared.
    """
    if not settings.may_prompt():
        return tuple(var_args)
    names = missing_variables(workdir, var_args, var_files)
    answers = []
    for name in names:
        value = click.prompt(f"var.{name}\n  Enter a value", default="", show_default=False, prompt_suffix=": ")
        click.echo("")
        answers.append(f"{name}={value}")
    return tuple(var_args) + tuple(answers)
