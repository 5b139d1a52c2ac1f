"""The ``clbplan`` command: a click group whose subcommands live one module each.

This module owns the process edge: exit codes, rendering of diagnostics, and the promise that
a user never sees a Python traceback (set CLBPLAN_DEBUG=1 to get one).
"""

from __future__ import annotations

import atexit
import importlib
import logging
import os
import sys
import time

import click

from planner import __version__, logs, process, redact
from planner.cli import global_flags, json_ui
from planner.cli.exit_codes import EXIT_ERROR, EXIT_INTERRUPTED, EXIT_OK
from planner.diagnostics import DiagnosticsError

# name -> (module, attribute) of every subcommand; each module owns its command(s). A module is
# imported when its command runs (or when help lists it), not at startup: the run commands pull in
# the language, the engine, networkx and the SDK (about a second), which `version`, `fmt`, `workspace`
# and the rest never use.
COMMANDS: dict[str, tuple[str, str]] = {
    "validate": ("planner.cli.validate_cmd", "validate"),
    "emulator": ("planner.cli.emulator_cmd", "emulator"),
    "state": ("planner.cli.state_cmd", "state"),
    "force-unlock": ("planner.cli.state_cmd", "force_unlock"),
    "plan": ("planner.cli.run_cmd", "plan"),
    "apply": ("planner.cli.run_cmd", "apply"),
    "destroy": ("planner.cli.run_cmd", "destroy"),
    "show": ("planner.cli.run_cmd", "show"),
    "output": ("planner.cli.run_cmd", "output"),
    "import": ("planner.cli.run_cmd", "import_"),
    "graph": ("planner.cli.graph_cmd", "graph"),
    "init": ("planner.cli.init_cmd", "init"),
    "version": ("planner.cli.version_cmd", "version"),
    "providers": ("planner.cli.version_cmd", "providers"),
    "fmt": ("planner.cli.fmt_cmd", "fmt"),
    "console": ("planner.cli.console_cmd", "console"),
    "workspace": ("planner.cli.workspace_cmd", "workspace"),
}


class ClbplanGroup(click.Group):
    """Turns every failure into a message and exit 1, and loads each command's module on first use.

    Usage errors too: click's own status for them is 2, which ``plan -detailed-exitcode``
    reserves for "changes present", so a CI job would mistake a typo for drift.
    """

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(COMMANDS) | set(self.commands))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in COMMANDS:
            module_name, attr = COMMANDS[cmd_name]
            command = getattr(importlib.import_module(module_name), attr)
            if command.name != cmd_name:  # the table and the module disagree: a bug, caught by the tests
                raise RuntimeError(f"{module_name}.{attr} is the command {command.name!r}, not {cmd_name!r}")
            self.add_command(command)
        return self.commands.get(cmd_name)

    def make_context(self, info_name, args, parent=None, **extra):
        try:
            return super().make_context(info_name, args, parent=parent, **extra)
        except click.UsageError as e:
            e.exit_code = EXIT_ERROR
            raise

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        args, found = global_flags.rewrite_args(self, args)
        global_flags.install(found)
        return super().parse_args(ctx, args)

    def invoke(self, ctx: click.Context):
        logs.configure()
        redact.reset()
        command = " ".join(global_flags.settings.command) or "(none)"
        logs.log.info("clbplan %s: command %s in %s", __version__, command, global_flags.settings.chdir or ".")
        started = time.monotonic()
        chdir, previous = global_flags.settings.chdir, None
        try:
            if chdir:
                previous = os.getcwd()
                try:
                    os.chdir(chdir)
                except OSError as e:
                    raise click.ClickException(f"Error handling -chdir option: chdir {chdir}: "
                                               f"{e.strerror.lower() if e.strerror else e}") from None
            return super().invoke(ctx)
        except click.UsageError as e:
            e.exit_code = EXIT_ERROR
            raise
        except DiagnosticsError as e:
            if json_ui.active():  # -json: findings are ``diagnostic`` messages on stdout
                for d in e.diagnostics:
                    json_ui.diagnostic(d)
                ctx.exit(EXIT_ERROR)
            for d in e.diagnostics:
                click.echo(d.render(), err=True)
            n = sum(1 for d in e.diagnostics if d.severity == "error")
            click.echo(f"\n{n} error(s) found.", err=True)
            ctx.exit(EXIT_ERROR)
        except click.ClickException as e:
            if json_ui.active():
                json_ui.error(e.format_message())
                ctx.exit(EXIT_ERROR)
            raise
        except (click.exceptions.Exit, click.exceptions.Abort):
            raise
        except KeyboardInterrupt:
            click.echo("Interrupted.", err=True)
            ctx.exit(EXIT_INTERRUPTED)
        except Exception as e:  # noqa: BLE001 - the process edge: report, never a traceback
            if os.environ.get("CLBPLAN_DEBUG"):
                raise
            if json_ui.active():
                json_ui.error(f"{e.__class__.__name__}: {redact.shorten(str(e), 1000)}",
                              "This is a bug in clbplan; set CLBPLAN_DEBUG=1 to see the traceback.")
                ctx.exit(EXIT_ERROR)
            click.echo(redact.scrub(f"Error: {e.__class__.__name__}: {redact.shorten(str(e), 1000)}"), err=True)
            click.echo("This is a bug in clbplan; set CLBPLAN_DEBUG=1 to see the traceback.", err=True)
            ctx.exit(EXIT_ERROR)
        finally:
            json_ui.stop()
            logs.log.info("command %s finished in %.3fs", command, time.monotonic() - started)
            if previous is not None:
                os.chdir(previous)


@click.group(cls=ClbplanGroup, context_settings={"help_option_names": ["-h", "-help", "--help"]})
@click.version_option(__version__, "-version", "--version", prog_name="clbplan")
def cli() -> None:
    """Plan and apply Alibaba Cloud CLB backends from Terraform-style HCL."""


def main() -> None:
    # A plan at 10,000 load balancers holds millions of objects that live until the end: the collector's
    # thresholds are sized for that heap, and the run's result is kept until _exit_now (no teardown).
    process.one_shot()
    try:
        cli.main(prog_name="clbplan", standalone_mode=True)
    except SystemExit as e:
        _exit_now(e.code)
    except Exception as e:  # noqa: BLE001
        if os.environ.get("CLBPLAN_DEBUG"):
            raise
        print(f"Error: {e}", file=sys.stderr)
        _exit_now(EXIT_ERROR)
    _exit_now(EXIT_OK)


def _exit_now(code: int | str | None) -> None:
    """Leave without tearing the heap down object by object (seconds after a large plan).

    Everything the run promised is already durable (state and journal are fsynced, files are
    renamed into place); what is left to do is run the exit handlers and flush the output and the log."""
    if isinstance(code, str):
        print(code, file=sys.stderr)
        code = EXIT_ERROR
    atexit._run_exitfuncs()  # what a normal exit runs first; only the teardown after it is skipped
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(EXIT_OK if code is None else int(code))


if __name__ == "__main__":
    main()
