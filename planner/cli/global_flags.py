"""Terraform's global and common flags, handled once for every command.

A CI script written for Terraform passes ``-chdir=DIR`` before the command, ``-no-color``,
``-input=false`` and ``-compact-warnings`` after it, and sets ``TF_CLI_ARGS``,
``TF_CLI_ARGS_<command>`` and ``TF_IN_AUTOMATION``. Rather than add these options to every
subcommand (each module owns its own), the command group rewrites the argument list here and
records the result in :data:`settings`, which the output code consults.
"""

from __future__ import annotations

import os
import shlex
import sys
from dataclasses import dataclass, field

import click

#: Flags every command accepts after its name, as Terraform's plan/apply/... do.
COMMON_FLAGS = ("-no-color", "-compact-warnings", "-input")


@dataclass
class Settings:
    """What the flags and environment asked for in this invocation."""

    color: bool = True
    input: bool = True
    compact_warnings: bool = False
    chdir: str | None = None
    command: list[str] = field(default_factory=list)

    @property
    def in_automation(self) -> bool:
        """TF_IN_AUTOMATION set to anything non-empty: no "next steps" hints, as in Terraform."""
        return bool(os.environ.get("TF_IN_AUTOMATION"))

    def use_color(self, stream=None) -> bool:
        """Colour only on a terminal, never with -no-color or NO_COLOR."""
        stream = stream if stream is not None else sys.stdout
        isatty = getattr(stream, "isatty", None)
        return bool(self.color and not os.environ.get("NO_COLOR") and isatty is not None and isatty())

    def may_prompt(self) -> bool:
        """Prompt for a missing value only with input allowed and a terminal on stdin."""
        if os.environ.get("TF_INPUT", "").strip().lower() in ("0", "false", "f"):
            return False  # TF_INPUT=false is -input=false, as in Terraform
        return self.input and sys.stdin is not None and sys.stdin.isatty()


settings = Settings()


def _bool_value(flag: str, raw: str) -> bool:
    value = raw.strip().lower()
    if value in ("true", "1", "t"):
        return True
    if value in ("false", "0", "f"):
        return False
    raise click.UsageError(f"Invalid value {raw!r} for {flag}: use true or false.")


def _env_args(name: str) -> list[str]:
    raw = os.environ.get(name, "")
    if not raw.strip():
        return []
    try:
        return shlex.split(raw)
    except ValueError as e:
        raise click.UsageError(f"Error parsing extra CLI arguments from {name}: {e}") from None


def rewrite_args(group: click.Group, args: list[str]) -> tuple[list[str], Settings]:
    """Take the global and common flags out of ``args`` and splice in TF_CLI_ARGS*.

    Returns the argument list click should parse and the settings for this invocation.
    """
    found = Settings()
    args = list(args)
    # 1. global options before the subcommand: -chdir=DIR (Terraform accepts only this spelling)
    head: list[str] = []
    while args and args[0].startswith("-"):
        a = args[0]
        if a.startswith(("-chdir=", "--chdir=")):
            found.chdir = a.split("=", 1)[1]
            if not found.chdir:
                raise click.UsageError("The -chdir option requires a directory: -chdir=DIR")
            args.pop(0)
        elif a in ("-chdir", "--chdir"):
            raise click.UsageError("The -chdir option takes its directory after an equals sign: -chdir=DIR")
        elif _common_flag(a, found):
            args.pop(0)
        else:
            head.append(args.pop(0))
    if not args:
        return head + args, found
    # 2. the command words (a group such as `state` takes a second one)
    words = [args.pop(0)]
    command = group.get_command(click.Context(group), words[0])
    if isinstance(command, click.Group) and args and not args[0].startswith("-"):
        words.append(args.pop(0))
    found.command = words
    # 3. TF_CLI_ARGS_<command> then TF_CLI_ARGS, right after the command as Terraform inserts them
    suffix = "_".join(words).replace("-", "_")
    extra = _env_args(f"TF_CLI_ARGS_{suffix}") + _env_args("TF_CLI_ARGS")
    rest = extra + args
    # 4. the common flags, wherever they are before `--`
    kept: list[str] = []
    for i, a in enumerate(rest):
        if a == "--":
            kept.extend(rest[i:])
            break
        if a.startswith("-") and a.lstrip("-").partition("=")[0] == "chdir":
            raise click.UsageError("The -chdir option is global: put it before the command, "
                                   f"as in: clbplan -chdir=DIR {' '.join(words)}")
        if not _common_flag(a, found):
            kept.append(a)
    return head + words + kept, found


def _common_flag(arg: str, found: Settings) -> bool:
    """Record -no-color, -compact-warnings or -input[=BOOL] in ``found``; False for any other arg."""
    if not arg.startswith("-"):
        return False
    flag, eq, value = arg.lstrip("-").partition("=")
    if flag == "no-color" and not eq:
        found.color = False
    elif flag == "compact-warnings" and not eq:
        found.compact_warnings = True
    elif flag == "input":
        found.input = _bool_value("-input", value) if eq else True
    else:
        return False
    return True


def install(found: Settings) -> None:
    """Make ``found`` the settings of this invocation (modules hold a reference to :data:`settings`)."""
    settings.__dict__.update(found.__dict__)
