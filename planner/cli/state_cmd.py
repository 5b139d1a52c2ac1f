"""``clbplan state list|show|rm|mv`` and ``clbplan force-unlock``: inspect and edit state by hand.

These never touch the cloud. Mutating commands hold the state lock, write atomically and keep
``<state>.backup``. What they show includes operations an interrupted apply recorded in its
journal but never checkpointed into the state file, so the user sees what clbplan believes.

The option decorators ``state_path_option``/``lock_options`` and ``open_backend`` are shared with
the run commands (plan/apply/...), so ``-state`` and ``-lock-timeout`` behave the same everywhere.
"""

from __future__ import annotations

import contextlib
import difflib
import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import click

from planner.addresses import ModuleAddress, ResourceAddress, parse_target
from planner.diagnostics import Diagnostic, DiagnosticsError
from planner.state.backend import parse_duration
from planner.state.model import ResourceState, State
from planner.state.session import StateSession, open_state

SENSITIVE_NAME = re.compile(r"secret|private_key|password", re.IGNORECASE)
MASK = "(sensitive value)"
_TYPE_ONLY = re.compile(r"^(?:(data)\.)?([A-Za-z_][\w-]*)$")


def _fail(summary: str, *, detail: str = "", hint: str = "") -> DiagnosticsError:
    return DiagnosticsError([Diagnostic(summary, None, detail, hint)])


# ---------------------------------------------------------------------------- shared options
def state_path_option(f: Callable) -> Callable:
    """``-state PATH`` (default: the selected workspace's state of the configuration here)."""
    return click.option("-state", "--state", "state_path", default=None,
                        type=click.Path(dir_okay=False, path_type=Path),
                        help="Path of a state file (default: the selected workspace's state).")(f)


def lock_options(f: Callable) -> Callable:
    """``-lock-timeout DURATION`` and ``-lock=false``, as in Terraform."""
    f = click.option("-lock-timeout", "--lock-timeout", "lock_timeout", default="0s", show_default=True,
                     metavar="DURATION", help="How long to wait for another run's state lock (e.g. 30s, 2m).")(f)
    return click.option("-lock", "--lock", "lock", type=bool, default=True, show_default=True,
                        help="Hold the state lock (-lock=false is dangerous when others may run).")(f)


def open_backend(state_path: Path | None, lock_timeout: str = "0s") -> Any:
    """A backend for the CLI flags: ``-state PATH``, else the configured backend and workspace here.
    A bad duration is a user error (exit 1), not a traceback."""
    from planner.state import workspaces

    try:
        seconds = parse_duration(lock_timeout)
    except ValueError as e:
        raise _fail(f"invalid value for -lock-timeout: {e}", hint="use a duration such as 0s, 30s or 2m")
    return workspaces.open_backend(Path.cwd(), state_path=state_path, lock_timeout=seconds)


@contextlib.contextmanager
def _session(backend: Any, operation: str, *, lock: bool, mutating: bool) -> Iterator[StateSession]:
    """The state (journal replayed) for a state command; there must already be a state file."""
    if not backend.exists():
        raise _fail(
            f"No state file was found at {backend.where}",
            hint="state commands need a state file: run them where `clbplan apply` has run, or pass "
                 "-state PATH",
        )
    if mutating and not lock:
        click.echo("Warning: running without the state lock (-lock=false).", err=True)
    with open_state(backend, operation, lock=lock and mutating, mutating=mutating) as session:
        if session.recovered:
            click.echo(f"Note: included {len(session.recovered)} operation(s) an interrupted apply recorded "
                       f"in its journal ({session.journal.path}).", err=True)
        if session.pending:
            names = ", ".join(sorted({str(r.address) for r in session.pending}))
            click.echo(f"Warning: {len(session.pending)} API call(s) of an interrupted apply may or may not "
                       f"have taken effect ({names}); the next `clbplan plan` or `apply` reconciles them with "
                       f"the cloud.", err=True)
        yield session


# ---------------------------------------------------------------------------- addresses
def _parse_any(text: str) -> ResourceAddress | ModuleAddress:
    """A resource address, or a module (``module.slb``, ``module.slb[0]``, ``module.a.module.b``)."""
    try:
        return parse_target(text)
    except ValueError as e:
        raise _fail(str(e), hint='quote keys in the shell, e.g. \'alicloud_slb_listener.http["80"]\'')


def _matcher(pattern: str) -> Callable[[ResourceAddress], bool]:
    """A filter for ``state list``: an instance, all instances of a resource, a whole type, or
    everything inside a module (an unkeyed module step matches every instance of the call)."""
    m = _TYPE_ONLY.match(pattern.strip())
    if m and m.group(2) != "module":
        mode = "data" if m.group(1) else "managed"
        return lambda a: a.type == m.group(2) and a.mode == mode
    want = _parse_any(pattern)
    if isinstance(want, ModuleAddress):
        return want.contains
    if want.key is None:
        return lambda a: a.resource == want
    return lambda a: a == want


def _select(state: State, text: str) -> list[ResourceAddress]:
    """Instances an address names: exactly that instance, every instance of a key-less address, or
    everything inside a module."""
    want = _parse_any(text)
    if isinstance(want, ModuleAddress):
        return sorted((a for a in state.resources if want.contains(a)), key=str)
    if want in state.resources:
        return [want]
    if want.key is None:
        return sorted((a for a in state.resources if a.resource == want), key=str)
    return []


def _not_found(state: State, text: str) -> DiagnosticsError:
    close = difflib.get_close_matches(text, [str(a) for a in state.resources], n=3, cutoff=0.85)
    hint = f"did you mean {' or '.join(close)}?" if close else "list what the state holds with `clbplan state list`"
    return _fail(f"No resource instance in state matches {text}", hint=hint)


# ---------------------------------------------------------------------------- rendering
def sensitive_names(resource_type: str) -> set[str]:
    """Attribute names to mask: the schema's sensitive ones (when the schema is available)."""
    try:
        from planner.schema import get_schema

        schema = get_schema(resource_type)
        return set(schema.sensitive) if schema is not None else set()
    except Exception:  # noqa: BLE001 - schema package absent/broken or type unknown: the name rule still masks
        return set()


def _is_sensitive(name: str, schema_sensitive: set[str]) -> bool:
    return name in schema_sensitive or bool(SENSITIVE_NAME.search(name))


_IDENT = re.compile(r"^[A-Za-z_][\w-]*$")


def _scalar(v: Any) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int | float):
        return repr(v)
    return json.dumps(str(v) if not isinstance(v, str) else v, ensure_ascii=False)


def _value(v: Any, indent: int, sens: set[str]) -> str:
    pad = " " * indent
    if isinstance(v, dict):
        if not v:
            return "{}"
        width = max(len(_key(k)) for k in v)
        rows = []
        for k in sorted(v, key=str):
            shown = MASK if _is_sensitive(str(k), sens) else _value(v[k], indent + 4, sens)
            rows.append(f"{pad}    {_key(k):<{width}} = {shown}")
        return "{\n" + "\n".join(rows) + f"\n{pad}}}"
    if isinstance(v, list | tuple):
        if not v:
            return "[]"
        return "[\n" + "".join(f"{pad}    {_value(x, indent + 4, sens)},\n" for x in v) + f"{pad}]"
    return _scalar(v)


def _key(k: Any) -> str:
    k = str(k)
    return k if _IDENT.match(k) else json.dumps(k)


def _body(attrs: dict[str, Any], indent: int, sens: set[str]) -> list[str]:
    """Attributes as ``name = value`` (aligned), nested blocks (lists of objects) as blocks."""
    pad = " " * indent
    simple = {k: v for k, v in attrs.items()
              if not (isinstance(v, list) and v and all(isinstance(x, dict) for x in v))
              or _is_sensitive(k, sens)}
    blocks = {k: v for k, v in attrs.items() if k not in simple}
    lines: list[str] = []
    if simple:
        width = max(len(_key(k)) for k in simple)
        order = sorted(simple, key=lambda k: (k != "id", k))
        for k in order:
            shown = MASK if _is_sensitive(k, sens) else _value(simple[k], indent, sens)
            lines.append(f"{pad}{_key(k):<{width}} = {shown}")
    for k in sorted(blocks):
        for item in blocks[k]:
            lines.append("")
            lines.append(f"{pad}{_key(k)} {{")
            lines.extend(_body(item, indent + 4, sens))
            lines.append(f"{pad}}}")
    return lines


def render_resource(rs: ResourceState) -> str:
    """``state show`` text: the instance as an HCL-like block with sensitive values masked."""
    a = rs.address
    sens = sensitive_names(a.type) | set(rs.sensitive)  # + the state's sensitive_attributes
    attrs = dict(rs.attributes)
    attrs.setdefault("id", rs.id)
    head = "data" if a.mode == "data" else "resource"
    lines = [f"# {a}:", f"{head} {json.dumps(a.type)} {json.dumps(a.name)} {{"]
    lines.extend(_body(attrs, 4, sens))
    lines.append("}")
    if rs.dependencies:
        lines.append("# depends on: " + ", ".join(sorted(str(d) for d in rs.dependencies)))
    return "\n".join(lines)


# ---------------------------------------------------------------------------- commands
@click.group("state")
def state() -> None:
    """Inspect and edit the state by hand (never touches the cloud)."""


@state.command("list")
@click.argument("addresses", nargs=-1, metavar="[ADDR_PREFIX]...")
@click.option("-id", "--id", "id_", default=None, help="Only instances whose cloud id is this.")
@state_path_option
def list_(addresses: tuple[str, ...], id_: str | None, state_path: Path) -> None:
    """List resource instances in state, optionally filtered by address (instance, resource or type)."""
    matchers = [_matcher(p) for p in addresses]
    with _session(open_backend(state_path), "state list", lock=False, mutating=False) as session:
        st = session.state
    for a in sorted(st.resources, key=str):
        if matchers and not any(m(a) for m in matchers):
            continue
        if id_ is not None and st.resources[a].id != id_:
            continue
        click.echo(str(a))


@state.command("show")
@click.argument("address", metavar="ADDR")
@state_path_option
def show(address: str, state_path: Path) -> None:
    """Show one resource instance's attributes (sensitive values masked)."""
    with _session(open_backend(state_path), "state show", lock=False, mutating=False) as session:
        st = session.state
    found = _select(st, address)
    if not found:
        raise _not_found(st, address)
    if len(found) > 1:
        raise _fail(f"{address} names {len(found)} instances; show needs exactly one",
                    detail="instances: " + ", ".join(str(a) for a in found),
                    hint=f"add the instance key, e.g. {found[0]}")
    from planner import redact
    from planner.engine.pipeline import remember_secrets

    remember_secrets(state=st)  # a secret echoed by the cloud into an unmarked attribute
    click.echo(redact.scrub(render_resource(st.resources[found[0]])))


@state.command("rm")
@click.argument("addresses", nargs=-1, required=True, metavar="ADDR...")
@click.option("-dry-run", "--dry-run", "dry_run", is_flag=True, help="Only say what would be removed.")
@state_path_option
@lock_options
def rm(addresses: tuple[str, ...], dry_run: bool, state_path: Path, lock_timeout: str, lock: bool) -> None:
    """Forget instances: they stay in the cloud, clbplan stops managing them."""
    backend = open_backend(state_path, lock_timeout)
    with _session(backend, "state rm", lock=lock, mutating=True) as session:
        st = session.state
        targets: list[ResourceAddress] = []
        for text in addresses:
            found = _select(st, text)
            if not found:
                raise _not_found(st, text)  # nothing is removed unless every address matched
            targets.extend(a for a in found if a not in targets)
        verb = "Would remove" if dry_run else "Removed"
        for a in targets:
            click.echo(f"{verb} {a}")
            if not dry_run:
                del st.resources[a]
        if dry_run:
            click.echo(f"Would have removed {len(targets)} resource instance(s); nothing was changed.")
            return
        session.checkpoint()
    gone = set(targets) | {a.resource for a in targets}
    for a in sorted(st.resources, key=str):
        lost = sorted({str(d) for d in st.resources[a].dependencies if d in gone})
        if lost:
            click.echo(f"Warning: {a} depends on {', '.join(lost)}, no longer in state; clbplan will not "
                       f"order its deletion after it.", err=True)
    click.echo(f"Successfully removed {len(targets)} resource instance(s).")
    click.echo("The cloud objects were not touched: they still exist, no longer managed by clbplan "
               "(adopt them again with `clbplan import`).")


@state.command("mv")
@click.argument("source", metavar="SRC")
@click.argument("destination", metavar="DST")
@click.option("-dry-run", "--dry-run", "dry_run", is_flag=True, help="Only say what would be moved.")
@state_path_option
@lock_options
def mv(source: str, destination: str, dry_run: bool, state_path: Path, lock_timeout: str, lock: bool) -> None:
    """Rename an instance (or every instance of a resource, or a whole module) in state, e.g. after
    renaming a block or moving it into or out of a module."""
    src, dst = _parse_any(source), _parse_any(destination)
    if src == dst:
        raise _fail(f"source and destination are the same address {src}", hint="nothing to move")
    if isinstance(src, ModuleAddress) != isinstance(dst, ModuleAddress):
        raise _fail(f"cannot move {src} to {dst}: one is a module and the other a resource",
                    hint="move a module to a module (module.old module.new) or a resource to a resource")
    if isinstance(src, ResourceAddress) and isinstance(dst, ResourceAddress) \
            and (src.type != dst.type or src.mode != dst.mode):
        raise _fail(f"cannot move {src} to {dst}: resource types differ",
                    hint="state mv only renames; the type of an object cannot change")
    backend = open_backend(state_path, lock_timeout)
    with _session(backend, "state mv", lock=lock, mutating=True) as session:
        st = session.state
        found = _select(st, source)
        if not found:
            raise _not_found(st, source)
        moves: dict[ResourceAddress, ResourceAddress]
        resource_moves: dict[ResourceAddress, ResourceAddress] = {}
        if isinstance(src, ModuleAddress):
            assert isinstance(dst, ModuleAddress)
            n = len(src.path)
            moves = {a: a.with_module((*dst.path, *a.module[n:])) for a in found}
            # a key-less source step names every instance: each keeps its own key
            if src.path and src.path[-1][1] is None and dst.path[-1][1] is None:
                moves = {a: a.with_module((*dst.path[:-1], (dst.path[-1][0], a.module[n - 1][1]), *a.module[n:]))
                         for a in found}
            resource_moves = {a.resource: b.resource for a, b in moves.items()}
        elif src.key is None and (len(found) > 1 or found[0].key is not None):
            assert isinstance(dst, ResourceAddress)
            if dst.key is not None:
                raise _fail(f"{src} is a resource with {len(found)} instance(s); its destination must be a "
                            f"resource address without a key",
                            hint=f"e.g. clbplan state mv {src} {dst.resource}")
            moves = {a: ResourceAddress(dst.type, dst.name, a.key, dst.mode, dst.module) for a in found}
            resource_moves = {src: dst.resource}
        else:
            assert isinstance(dst, ResourceAddress)
            moves = {found[0]: dst}
            if src.key is None:
                resource_moves = {src: dst.resource}
        clash = [d for d in moves.values() if d in st.resources]
        if clash:
            raise _fail(f"cannot move to {clash[0]}: the state already has an instance at that address",
                        hint=f"remove it first with `clbplan state rm {clash[0]}`, or pick another name")
        for old, new in moves.items():
            click.echo(f'{"Would move" if dry_run else "Move"} "{old}" to "{new}"')
        if dry_run:
            return
        for old, new in moves.items():
            rs = st.resources.pop(old)
            rs.address = new
            st.resources[new] = rs
        for rs in st.resources.values():  # keep recorded dependencies pointing at the moved objects
            rs.dependencies = [moves.get(d, resource_moves.get(d, d)) for d in rs.dependencies]
        session.checkpoint()
    click.echo(f"Successfully moved {len(moves)} object(s).")


@click.command("force-unlock")
@click.argument("lock_id", metavar="LOCK_ID")
@click.option("-force", "--force", "force", is_flag=True, help="Do not ask for confirmation.")
@state_path_option
@click.option("-lock-timeout", "--lock-timeout", "lock_timeout", default="0s", metavar="DURATION",
              help="Accepted for symmetry with other commands; force-unlock never waits.")
def force_unlock(lock_id: str, force: bool, state_path: Path, lock_timeout: str) -> None:
    """Remove a state lock left by a run that is no longer running."""
    backend = open_backend(state_path, lock_timeout)
    if not force:
        info = backend.read_lock_info()
        if info is not None:
            click.echo("Lock Info:\n" + info.describe() + "\n")
        click.echo("Do you really want to force-unlock?\n  clbplan will remove the lock on the state.\n"
                   "  This will allow local clbplan commands to modify this state, even though it\n"
                   "  may still be in use. Only 'yes' will be accepted to confirm.\n")
        answer = click.prompt("  Enter a value", default="", show_default=False)
        if answer.strip() != "yes":
            click.echo("force-unlock cancelled.", err=True)
            raise click.exceptions.Exit(1)
    backend.force_unlock(lock_id)
    click.echo("clbplan state has been successfully unlocked!\n\nThe state has been unlocked, and clbplan "
               "commands should now be able to obtain a new lock on the state.")


# ---------------------------------------------------------------------------- pull / push
@state.command("pull")
@state_path_option
def pull(state_path: Path | None) -> None:
    """Print the selected workspace's state (format 4 JSON), from whichever backend holds it."""
    from planner.state.backend import _encode, _render

    backend = open_backend(state_path)
    if not backend.exists():
        return  # as Terraform: no state, no output
    st = backend.read()
    click.echo(_render(st, _encode(st)[0]).decode("utf-8"), nl=False)


@state.command("push")
@click.argument("path", metavar="PATH")
@click.option("-force", "--force", "force", is_flag=True,
              help="Write even over a state of another lineage or a newer serial.")
@lock_options
def push(path: str, force: bool, lock_timeout: str, lock: bool) -> None:
    """Replace the selected workspace's state with the state file PATH ("-" for stdin).

    Refused, as in Terraform, when PATH is of another lineage, has an older serial, or the same
    serial with different content; -force skips those checks.
    """
    import sys
    import tempfile

    from planner.state.backend import LocalBackend, _encode

    if path == "-":
        with tempfile.NamedTemporaryFile("wb", suffix=".tfstate", delete=False) as tmp:
            tmp.write(sys.stdin.buffer.read())
        source_path = Path(tmp.name)
    else:
        source_path = Path(path)
        if not source_path.is_file():
            raise _fail(f"No state file at {path}", hint="pass the path of a state file, or - for stdin")
    try:
        pushed = LocalBackend(source_path).read()
    finally:
        if path == "-":
            source_path.unlink(missing_ok=True)
    backend = open_backend(None, lock_timeout)
    cm = backend.lock("state push") if lock else contextlib.nullcontext()
    with cm:
        if backend.exists() and not force:
            current = backend.read()
            empty = not current.resources and not current.outputs and not current.foreign
            if not empty:
                if current.lineage != pushed.lineage:
                    raise _fail(f"cannot import state with lineage {pushed.lineage!r} over unrelated state with "
                                f"lineage {current.lineage!r}",
                                hint="these are different states; pass -force to overwrite anyway")
                if pushed.serial < current.serial:
                    raise _fail(f"cannot import state with serial {pushed.serial} over newer state with serial "
                                f"{current.serial}", hint="pull the current state first, or pass -force")
                if pushed.serial == current.serial and _encode(pushed)[1] != _encode(current)[1]:
                    raise _fail(f"cannot overwrite existing state with serial {current.serial} with a different "
                                "state that has the same serial", hint="pass -force to overwrite anyway")
        backend.replace(pushed)
    click.echo(f"Pushed state (lineage {pushed.lineage}, serial {pushed.serial}) to {backend.where}.")
