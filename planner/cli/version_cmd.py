"""``clbplan version [-json]`` and ``clbplan providers [DIR]``: what clbplan is, and what a configuration needs.

``version`` answers what ``terraform version`` answers, for clbplan: its own version, the
Terraform language level it implements, the platform and the alicloud provider whose schemas it
mirrors. Its ``-json`` keeps Terraform's keys (``terraform_version`` is the language level) so
scripts that parse ``terraform version -json`` read it, and adds clbplan's own.
``providers`` prints the provider requirements of the configuration and its modules as a tree,
the way ``terraform providers`` does, and those of the state.
"""

from __future__ import annotations

import json
import platform
import re
import sys
from pathlib import Path

import click

from planner.cli.init_cmd import module_requirements
from planner.config.module_install import ModuleNode, module_tree
from planner.config.terraform_block import implied_source
from planner.diagnostics import Diagnostic, DiagnosticBag, DiagnosticsError
from planner.version import (
    ALICLOUD_PROVIDER_COMMIT,
    ALICLOUD_PROVIDER_SOURCE,
    ALICLOUD_PROVIDER_VERSION,
    CLBPLAN_VERSION,
    TERRAFORM_LANGUAGE_VERSION,
)


def platform_name() -> str:
    """Go's GOOS_GOARCH spelling, as ``terraform version`` prints it (linux_amd64)."""
    arch = platform.machine().lower()
    arch = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64", "i386": "386",
            "i686": "386", "armv7l": "arm"}.get(arch, arch)
    osname = {"win32": "windows", "cygwin": "windows"}.get(sys.platform, sys.platform)
    return f"{osname}_{arch}"


def version_info() -> dict:
    return {
        "terraform_version": TERRAFORM_LANGUAGE_VERSION,
        "platform": platform_name(),
        "provider_selections": {ALICLOUD_PROVIDER_SOURCE: ALICLOUD_PROVIDER_VERSION},
        "terraform_outdated": False,
        "clbplan_version": CLBPLAN_VERSION,
        "alicloud_provider_schema": {"source": ALICLOUD_PROVIDER_SOURCE, "version": ALICLOUD_PROVIDER_VERSION,
                                     "commit": ALICLOUD_PROVIDER_COMMIT},
    }


@click.command("version")
@click.option("-json", "--json", "json_", is_flag=True, help="Print the versions as JSON (terraform version -json).")
def version(json_: bool) -> None:
    """Print clbplan's version, the Terraform language it implements and the provider schema it mirrors."""
    info = version_info()
    if json_:
        click.echo(json.dumps(info, indent=2))
        return
    click.echo(f"clbplan v{CLBPLAN_VERSION}")
    click.echo(f"implements the language of Terraform v{TERRAFORM_LANGUAGE_VERSION}")
    click.echo(f"on {info['platform']}")
    click.echo(f"+ provider {ALICLOUD_PROVIDER_SOURCE} v{ALICLOUD_PROVIDER_VERSION} "
               f"(resource schemas mirrored from commit {ALICLOUD_PROVIDER_COMMIT})")


def _state_provider(provider: str) -> str:
    m = re.match(r'^provider\["([^"]+)"\]', provider)
    if m:
        return m.group(1)
    return implied_source(provider.split(".", 1)[0])  # what terraform infers for a bare local name


def _tree_lines(node: ModuleNode, bag: DiagnosticBag, prefix: str) -> list[str]:
    items: list[tuple[str, ModuleNode | None]] = []
    for req in module_requirements(node, bag):
        text = f"provider[{req.source}]" + (f" {req.version}" if req.version else "")
        items.append((text, None))
    for child in sorted(node.children, key=lambda c: c.key):
        items.append((f"module.{child.key.rsplit('.', 1)[-1]}", child))
    out: list[str] = []
    for i, (text, child) in enumerate(items):
        last = i == len(items) - 1
        out.append(f"{prefix}{'└── ' if last else '├── '}{text}")
        if child is not None:
            out.extend(_tree_lines(child, bag, prefix + ("    " if last else "│   ")))
    return out


@click.command("providers")
@click.argument("directory", default=".", required=False)
def providers(directory: str) -> None:
    """Show the providers the configuration in DIRECTORY, its modules and its state require."""
    workdir = Path(directory)
    if not workdir.is_dir():
        raise DiagnosticsError([Diagnostic(f"No such directory: {directory}",
                                           hint="pass the directory holding your .tf files, or run from it")])
    root = module_tree(workdir)
    bag = DiagnosticBag()
    lines = _tree_lines(root, bag, "")
    bag.raise_if_errors()
    click.echo("\nProviders required by configuration:\n.")
    for line in lines:
        click.echo(line)
    from planner.state.workspaces import open_backend

    backend = open_backend(workdir)
    if backend.exists():
        state = backend.read()
        seen = sorted({_state_provider(r.provider) for r in state.resources.values()})
        if seen:
            click.echo("\nProviders required by state:\n")
            for src in seen:
                click.echo(f"    provider[{src}]\n")
