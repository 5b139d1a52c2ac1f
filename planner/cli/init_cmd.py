"""``clbplan init [DIR]``: prepare a working directory the way ``terraform init`` does.

It installs the modules the configuration calls (``planner.config.module_install``), checks the
``terraform`` block of every module (``required_version``, ``required_providers``) and the root's
backend, says which providers are built in, and prints the next command to run. It is idempotent:
what terraform or an earlier init installed is used as it is. It is the only command that
downloads anything; ``plan`` and ``apply`` read what it installed.
"""

from __future__ import annotations

import os
from pathlib import Path

import click

from planner.config.module_install import ModuleNode, ModuleWalker, shown_dir
from planner.config.terraform_block import (
    DEFAULT_STATE_FILE,
    SUPPORTED_PROVIDERS,
    BackendConfig,
    ProviderRequirement,
    check_module,
    implied_source,
    read_settings,
    supported_provider_list,
)
from planner.diagnostics import Diagnostic, DiagnosticBag, DiagnosticsError
from planner.version import ALICLOUD_PROVIDER_VERSION

NEXT_STEPS = """
You may now begin working with clbplan. Try running "clbplan plan" to see
any changes that are required for your infrastructure. All clbplan commands
should now work.

If you ever set or change modules or backend configuration for clbplan,
rerun this command to reinitialize your working directory. If you forget, other
commands will detect it and remind you to do so if necessary."""


def walk_nodes(node: ModuleNode):
    yield node
    for child in node.children:
        yield from walk_nodes(child)


def module_requirements(node: ModuleNode, bag: DiagnosticBag) -> list[ProviderRequirement]:
    """A module's provider requirements: declared ones first, then those its resource types imply."""
    settings = check_module(node.scan.terraform_blocks, bag)
    reqs = list(settings.providers.values())
    declared = {r.local_name for r in reqs}
    for type_name, pos in node.scan.resource_types:
        local = type_name.split("_", 1)[0]
        if local not in declared:
            declared.add(local)
            reqs.append(ProviderRequirement(local, implied_source(local), "", pos, implied=True))
    for b in node.scan.provider_blocks:
        local = b.labels[0] if b.labels else ""
        if local and local not in declared:
            declared.add(local)
            reqs.append(ProviderRequirement(local, implied_source(local), "", None, implied=True))
    return reqs


def root_backend(node: ModuleNode) -> BackendConfig:
    settings = read_settings(node.scan.terraform_blocks, DiagnosticBag())
    settings.backend_problems.raise_if_errors()
    return settings.backend or BackendConfig("local", {})


def _check_tree(root: ModuleNode) -> tuple[BackendConfig | None, list[ProviderRequirement], DiagnosticBag]:
    bag = DiagnosticBag()
    providers: dict[str, ProviderRequirement] = {}
    for node in walk_nodes(root):
        for req in module_requirements(node, bag):
            if req.implied and req.local_name not in SUPPORTED_PROVIDERS:
                bag.add(f'Provider "{req.local_name}" is not supported', req.pos,
                        detail=f'This resource needs the "{req.local_name}" provider ({req.source}), which clbplan '
                               f"does not have. clbplan's providers: {supported_provider_list()}.",
                        hint="keep resources of other providers in a separate configuration applied with Terraform")
                continue
            providers.setdefault(req.source, req)
        if node.key:
            child = read_settings(node.scan.terraform_blocks, DiagnosticBag())
            if child.backend_pos is not None:
                bag.add("Backend configuration ignored", child.backend_pos, severity="warning",
                        detail="Only the root module's backend is used; this block in a called module has no effect.",
                        hint="remove it from the module")
    backend = None
    try:
        backend = root_backend(root)
    except DiagnosticsError as e:
        bag.extend(e.diagnostics)
    return backend, list(providers.values()), bag


@click.command("init")
@click.argument("directory", default=".", required=False)
@click.option("-upgrade", "--upgrade", is_flag=True, help="Fetch the newest allowed version of every remote module "
              "again, even when one is installed.")
@click.option("-backend", "--backend", "backend_flag", type=bool, default=True, show_default=True,
              help="Check and report the backend (-backend=false skips it).")
@click.option("-get", "--get", "get_flag", type=bool, default=True, show_default=True,
              help="Install modules (-get=false only checks the configuration).")
@click.option("-input", "--input", "input_flag", type=bool, default=True, hidden=True,
              help="Accepted for Terraform compatibility: init never prompts.")
@click.option("-migrate-state", "--migrate-state", "migrate", is_flag=True,
              help="Copy the state of every workspace from the previous backend to the configured one.")
@click.option("-force-copy", "--force-copy", "force_copy", is_flag=True,
              help="With -migrate-state: overwrite a different state already in the new backend.")
@click.option("-reconfigure", "--reconfigure", "reconfigure", is_flag=True,
              help="Use the configured backend as it is, without copying the previous backend's state.")
def init(directory: str, upgrade: bool, backend_flag: bool, get_flag: bool, input_flag: bool, migrate: bool,
         force_copy: bool, reconfigure: bool) -> None:
    """Prepare DIRECTORY (default: the current one): install modules, check the terraform block."""
    workdir = Path(directory)
    if not workdir.is_dir():
        raise DiagnosticsError([Diagnostic(f"No such directory: {directory}",
                                           hint="pass the directory holding your .tf files, or run from it")])
    lines: list[str] = []
    echo = lines.append
    with ModuleWalker(workdir, install=get_flag, upgrade=upgrade, echo=echo) as walker:
        if not get_flag:
            walker.install = False
        result = walker.run()
        backend, providers, bag = _check_tree(result.root)
        if not backend_flag:
            bag.items = [d for d in bag.items if "backend" not in d.summary.lower() and "HCP" not in d.summary]
        bag.raise_if_errors()
        if get_flag:
            walker.commit()
    for d in bag.items:  # warnings only by now
        click.echo(d.render(), err=True)
    if backend_flag and backend is not None:
        click.echo("Initializing the backend...")
        path = backend.config.get("path") or DEFAULT_STATE_FILE
        shown = os.path.join(shown_dir(workdir), str(path)) if shown_dir(workdir) else str(path)
        if backend.explicit:
            click.echo(f'\nSuccessfully configured the backend "{backend.type}"! clbplan will automatically\n'
                       "use this backend unless the backend configuration changes.")
        if backend.type == "pg":
            from planner.state.pg import PgSettings

            settings = PgSettings.from_config(backend.config, backend.pos)
            shown = f"{settings.safe_target()}, schema {settings.schema_name}"
        click.echo(f"- {backend.type} backend: state in {shown}")
        from planner.state.migrate import check_and_migrate

        check_and_migrate(workdir, backend, migrate=migrate, force_copy=force_copy, reconfigure=reconfigure,
                          echo=click.echo)
    if result.root.children or len(result.records) > 1:
        click.echo("Initializing modules...")
        for line in lines:
            click.echo(line)
    click.echo("Initializing provider plugins...")
    for req in providers:
        name = req.source if req.local_name == "terraform" else req.source.split("/", 1)[1]
        version = f" {ALICLOUD_PROVIDER_VERSION}" if req.local_name == "alicloud" else ""
        click.echo(f"- {name}{version} is built in to clbplan")
    click.echo("\nclbplan has been successfully initialized!")
    if not os.environ.get("TF_IN_AUTOMATION"):
        click.echo(NEXT_STEPS)
