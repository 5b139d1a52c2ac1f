"""``clbplan workspace new|select|list|show|delete``: Terraform's workspace commands and messages.

The workspace chosen here is what every other command reads and writes (see
``planner.state.workspaces``): ``TF_WORKSPACE`` overrides it, as in Terraform.
"""

from __future__ import annotations

from pathlib import Path

import click

from planner.diagnostics import Diagnostic, DiagnosticsError
from planner.state import workspaces as ws


def _fail(summary: str, *, detail: str = "", hint: str = "") -> DiagnosticsError:
    return DiagnosticsError([Diagnostic(summary, None, detail, hint)])


def _workdir(directory: str | None) -> Path:
    d = Path(directory) if directory else Path.cwd()
    if not d.is_dir():
        raise _fail(f"No such directory: {d}", hint="pass the directory holding your .tf files, or run from it")
    return d


def _check_name(name: str) -> None:
    problem = ws.name_problem(name)
    if problem:
        raise _fail(f"Invalid workspace name {name!r}", detail=problem)


@click.group("workspace")
def workspace() -> None:
    """Manage workspaces: several states for one configuration (dev, staging, prod...)."""


@workspace.command("show")
@click.argument("directory", required=False)
def show(directory: str | None) -> None:
    """Print the name of the current workspace."""
    click.echo(ws.current_workspace(_workdir(directory)))


@workspace.command("list")
@click.argument("directory", required=False)
def list_(directory: str | None) -> None:
    """List workspaces; the current one is marked with *."""
    workdir = _workdir(directory)
    current = ws.current_workspace(workdir)
    names = ws.list_workspaces(workdir)
    if current not in names:
        names.append(current)  # TF_WORKSPACE naming one that has no state yet
    for name in names:
        click.echo(("* " if name == current else "  ") + name)
    click.echo("")


@workspace.command("new")
@click.argument("name")
@click.argument("directory", required=False)
@click.option("-lock", "lock", type=bool, default=True, help="Hold the state lock while creating it.")
@click.option("-lock-timeout", "lock_timeout", default="0s", metavar="DURATION")
@click.option("-state", "state_path", default=None, metavar="PATH",
              help="Copy this state file into the new workspace.")
def new(name: str, directory: str | None, lock: bool, lock_timeout: str, state_path: str | None) -> None:
    """Create a workspace and switch to it."""
    workdir = _workdir(directory)
    _check_name(name)
    if name in ws.list_workspaces(workdir):
        raise _fail(f'Workspace "{name}" already exists')
    ws.create_workspace(workdir, name)
    ws.select_workspace(workdir, name)
    if state_path:
        from planner.state.backend import LocalBackend

        source = LocalBackend(Path(state_path)).read()
        backend = ws.open_backend(workdir, workspace=name, lock_timeout=lock_timeout, create_dirs=True)
        with backend.lock("workspace new") if lock else _null():
            backend.write(source)
    click.echo(f'Created and switched to workspace "{name}"!\n\n'
               "You're now on a new, empty workspace. Workspaces isolate their state,\n"
               'so if you run "clbplan plan" clbplan will not see any existing state\n'
               "for this configuration.")


@workspace.command("select")
@click.argument("name")
@click.argument("directory", required=False)
@click.option("-or-create", "or_create", is_flag=True, help="Create the workspace if it does not exist.")
def select(name: str, directory: str | None, or_create: bool) -> None:
    """Switch to another workspace."""
    workdir = _workdir(directory)
    _check_name(name)
    if ws.env_workspace() is not None:
        raise _fail("The selected workspace is currently overridden using the TF_WORKSPACE environment variable.",
                    hint="to select a new workspace, either update this environment variable or unset it and "
                         "then run this command again")
    if name not in ws.list_workspaces(workdir):
        if not or_create:
            raise _fail(f'Workspace "{name}" doesn\'t exist.',
                        hint='you can create this workspace with the "new" subcommand or include the '
                             '"-or-create" flag with the "select" subcommand')
        ws.create_workspace(workdir, name)
    ws.select_workspace(workdir, name)
    click.echo(f'Switched to workspace "{name}".')


@workspace.command("delete")
@click.argument("name")
@click.argument("directory", required=False)
@click.option("-force", "force", is_flag=True, help="Delete even if the workspace still manages resources.")
@click.option("-lock", "lock", type=bool, default=True)
@click.option("-lock-timeout", "lock_timeout", default="0s", metavar="DURATION")
def delete(name: str, directory: str | None, force: bool, lock: bool, lock_timeout: str) -> None:
    """Delete a workspace (refused for the current one, and for one that still manages resources)."""
    workdir = _workdir(directory)
    _check_name(name)
    if name == ws.DEFAULT:
        raise _fail('Can\'t delete the "default" workspace', hint="the default workspace always exists")
    if name not in ws.list_workspaces(workdir):
        raise _fail(f'Workspace "{name}" doesn\'t exist.')
    if name == ws.current_workspace(workdir):
        raise _fail(f'Workspace "{name}" is your active workspace.',
                    hint="you cannot delete the currently active workspace: switch to another workspace "
                         "(clbplan workspace select default) and try again")
    backend = ws.open_backend(workdir, workspace=name, lock_timeout=lock_timeout)
    with backend.lock("workspace delete") if lock else _null():
        state = backend.read() if backend.exists() else None
        managed = sorted(str(a) for a in state.resources) if state is not None else []
        if managed and not force:
            raise _fail("Workspace is not empty",
                        detail=f'Workspace "{name}" is currently tracking the following resource instances:\n'
                               + "\n".join(f"  - {a}" for a in managed),
                        hint="deleting it would leave these objects in the cloud with nothing managing them: "
                             "destroy them first (clbplan destroy in that workspace), or pass -force")
    ws.delete_workspace(workdir, name)
    click.echo(f'Deleted workspace "{name}"!')
    if managed:
        click.echo(f"Warning: {len(managed)} resource instance(s) were still tracked by it and are no longer "
                   "managed by clbplan; they remain in the cloud.", err=True)


def _null():
    import contextlib

    return contextlib.nullcontext()
