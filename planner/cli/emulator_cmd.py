"""``clbplan emulator``: operate the emulated cloud by hand.

* ``serve``: run the emulator as a signed HTTP endpoint on loopback, for the official SDK, other tools,
  or a ``clbplan`` pointed at it;
* ``call``: poke the embedded cloud with one API call (this is how a person creates drift to test);
* ``reset``: empty the embedded cloud;
* ``seed``: add a company's own images and instance types to the embedded or served cloud.

No logic of its own: it parses flags and hands over to planner.emulator.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
from pathlib import Path
from typing import Any

import click

from planner.emulator.errors import CloudError, ResponseLost
from planner.emulator.faults import FaultConfig
from planner.emulator.server import (
    DEFAULT_ACCESS_KEY_ID,
    DEFAULT_ACCESS_KEY_SECRET,
    PRODUCT_BY_VERSION,
    is_loopback,
    serve,
)

ENV_KEY_ID = "CLBPLAN_EMULATOR_ACCESS_KEY_ID"
ENV_KEY_SECRET = "CLBPLAN_EMULATOR_ACCESS_KEY_SECRET"
_PRODUCTS = sorted(PRODUCT_BY_VERSION.values())


def _default_state() -> Path:
    from planner.emulator import default_emulator_path

    return default_emulator_path(Path.cwd())


def _open_emulator(state: str | None, faults: FaultConfig | None = None) -> Any:
    from planner.emulator import Emulator

    path = Path(state) if state else _default_state()  # Store creates its folder 0700
    if faults is None:
        return Emulator(path)
    return Emulator(path, faults=faults)


def _parse_faults(ctx: click.Context, param: click.Parameter, value: str | None) -> FaultConfig | None:
    if value is None:
        return None
    try:
        return FaultConfig.from_spec(value)
    except ValueError as e:
        raise click.BadParameter(str(e), ctx=ctx, param=param) from None


state_option = click.option(
    "-state", "--state", "state", type=click.Path(dir_okay=False), default=None,
    help="Emulator SQLite file (default: .clbplan/emulator.sqlite in the current directory).")


@click.group("emulator")
def emulator() -> None:
    """Run, poke or reset the emulated Alibaba Cloud (CLB + the VPC/ECS objects it needs)."""


@emulator.command("serve")
@click.option("-host", "--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("-port", "--port", default=8089, show_default=True, type=click.IntRange(0, 65535),
              help="Port to listen on (0 picks a free one).")
@state_option
@click.option("-access-key-id", "--access-key-id", "access_key_id", default=None,
              help=f"Access key the server accepts (default: ${ENV_KEY_ID} or {DEFAULT_ACCESS_KEY_ID!r}).")
@click.option("-access-key-secret-file", "--access-key-secret-file", "secret_file", default=None,
              type=click.Path(dir_okay=False),
              help=f"File holding its secret (first line). Or set ${ENV_KEY_SECRET}. "
                   f"Default: {DEFAULT_ACCESS_KEY_SECRET!r}, loopback only.")
@click.option("-access-key-secret", "--access-key-secret", "access_key_secret", default=None,
              help="The secret itself: avoid, any user can read it with ps; use --access-key-secret-file.")
@click.option("-faults", "--faults", "faults", default=None, callback=_parse_faults,
              help="Fault injection, e.g. busy=0.2,transient=0.1,throttle=0.05,lost=0.02,latency=0.01,"
                   "seed=7,start_delay=0.5 (reads=1 also faults reads).")
@click.option("-allow-remote", "--allow-remote", "allow_remote", is_flag=True,
              help="Allow a non-loopback --host (no TLS, well-known keys: think twice).")
@click.option("-v", "-verbose", "--verbose", "verbose", is_flag=True, help="Log one line per request.")
def serve_cmd(host: str, port: int, state: str | None, access_key_id: str | None, secret_file: str | None,
              access_key_secret: str | None, faults: FaultConfig | None, allow_remote: bool,
              verbose: bool) -> None:
    """Serve the emulator over HTTP with signature checks, until Ctrl-C."""
    if not allow_remote and not is_loopback(host):
        raise click.BadParameter(f"{host} is not a loopback address; the emulator has no TLS and its keys "
                                 "are well known. Use 127.0.0.1, or pass --allow-remote.",
                                 param_hint="'--host'")
    if secret_file is not None and access_key_secret is not None:
        raise click.BadParameter("give the secret once: --access-key-secret-file or --access-key-secret",
                                 param_hint="'--access-key-secret-file'")
    secret_from_file = _read_secret_file(secret_file) if secret_file is not None else None
    key_id = access_key_id or os.environ.get(ENV_KEY_ID) or DEFAULT_ACCESS_KEY_ID
    secret = (secret_from_file if secret_file is not None else access_key_secret) \
        or os.environ.get(ENV_KEY_SECRET) or DEFAULT_ACCESS_KEY_SECRET
    if not is_loopback(host) and secret == DEFAULT_ACCESS_KEY_SECRET:
        raise click.BadParameter(
            f"--allow-remote with the well-known default secret {DEFAULT_ACCESS_KEY_SECRET!r} would let anyone "
            f"on the network sign requests. Give a secret of your own with --access-key-secret-file FILE "
            f"or ${ENV_KEY_SECRET}.", param_hint="'--allow-remote'")
    emu = _open_emulator(state, faults)
    try:
        server = serve(emu, host=host, port=port, credentials={key_id: secret}, allow_remote=allow_remote,
                       on_request=_log_request if verbose else None)
    except OSError as e:
        emu.close()
        raise click.ClickException(f"cannot listen on {host}:{port}: {e.strerror or e}") from None
    # from here on a Ctrl-C at any moment (even while the banner prints) stops the server cleanly
    previous = previous_int = None
    try:
        stop = threading.Event()
        if threading.current_thread() is threading.main_thread():
            previous = signal.signal(signal.SIGTERM, lambda *_: stop.set())
            # a shell starts background jobs with SIGINT ignored, and Python then never raises
            # KeyboardInterrupt: `kill -INT` (what Ctrl-C sends) must still stop the server
            previous_int = signal.signal(signal.SIGINT, signal.default_int_handler)
        state_path = Path(state) if state else _default_state()
        fault_text = faults.to_spec() if faults is not None and faults.enabled else "off"
        click.echo(f"clbplan emulator listening on {server.url}  (state: {state_path}, faults: {fault_text})")
        click.echo("")
        click.echo("Point the official SDK at it:")
        click.echo(f"  Config(access_key_id={key_id!r}, access_key_secret=<secret>, endpoint={server.endpoint!r},")
        click.echo("         protocol='http', region_id='cn-hangzhou')")
        click.echo("Point a Terraform-style configuration at it:")
        click.echo(f'  provider "alicloud" {{ endpoints {{ slb = "{server.endpoint}" }} }}')
        click.echo(f"  with ALICLOUD_ACCESS_KEY={key_id} ALICLOUD_SECRET_KEY=<secret>")
        click.echo("Press Ctrl-C to stop.")
        sys.stdout.flush()
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
        if previous_int is not None:
            signal.signal(signal.SIGINT, previous_int)
        server.shutdown()
        emu.close()
        click.echo(f"Stopped after {server.requests_served} request(s).", err=True)


def _read_secret_file(path: str) -> str:
    """The first line of ``path``, stripped: the way to pass a secret that ``ps`` does not show."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise click.BadParameter(f"cannot read {path}: {getattr(e, 'strerror', None) or e}",
                                 param_hint="'--access-key-secret-file'") from None
    secret = text.splitlines()[0].strip() if text.strip() else ""
    if not secret:
        raise click.BadParameter(f"{path} is empty; put the secret on its first line",
                                 param_hint="'--access-key-secret-file'")
    return secret


def _log_request(action: str, status: int, seconds: float) -> None:
    outcome = str(status) if status else "dropped"
    click.echo(f"{action or '-'}\t{outcome}\t{seconds * 1000:.1f} ms", err=True)


def _parse_pairs(pairs: tuple[str, ...]) -> dict[str, str]:
    params: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"{pair!r} is not Key=Value (for example LoadBalancerId=lb-123)",
                                     param_hint="'PARAMS'")
        if key in params:
            raise click.BadParameter(f"parameter {key!r} given twice", param_hint="'PARAMS'")
        params[key] = value
    return params


@emulator.command("call", context_settings={"ignore_unknown_options": True})
@click.argument("action")
@click.argument("params", nargs=-1)
@click.option("-product", "--product", default="Slb", show_default=True,
              type=click.Choice(_PRODUCTS, case_sensitive=False), help="Which API of the emulated cloud.")
@click.option("-region", "--region", default="cn-hangzhou", show_default=True,
              help="RegionId sent when PARAMS do not give one.")
@state_option
def call_cmd(action: str, params: tuple[str, ...], product: str, region: str, state: str | None) -> None:
    """Send one API call to the embedded cloud and print its JSON response.

    PARAMS are Key=Value pairs with the API's own names and string values, as on the wire, e.g.

      clbplan emulator call SetLoadBalancerName LoadBalancerId=lb-123 LoadBalancerName=drifted

    An API error prints its code and message and exits 1.
    """
    api_params = _parse_pairs(params)
    api_params.setdefault("RegionId", region)
    product = {p.lower(): p for p in _PRODUCTS}[product.lower()]
    emu = _open_emulator(state)
    try:
        result = emu.call(product, action, api_params)
    except CloudError as e:
        click.echo(f"Error: {e.code}: {e.message} (HTTP {e.http_status})", err=True)
        click.get_current_context().exit(1)
    except ResponseLost:
        click.echo("Error: the call committed but its response was lost (fault injection).", err=True)
        click.get_current_context().exit(1)
    finally:
        emu.close()
    click.echo(json.dumps(result, indent=2, ensure_ascii=False, sort_keys=False))


@emulator.command("reset")
@state_option
@click.option("-yes", "--yes", "yes", is_flag=True, help="Do not ask for confirmation.")
def reset_cmd(state: str | None, yes: bool) -> None:
    """Delete every object in the embedded cloud (the SQLite file is kept, emptied)."""
    path = Path(state) if state else _default_state()
    if not path.exists():
        click.echo(f"Nothing to reset: {path} does not exist.")
        return
    if not yes:
        click.confirm(f"Delete every load balancer and every other object in the emulator at {path}?",
                      abort=True)
    emu = _open_emulator(str(path))
    try:
        emu.reset()
    finally:
        emu.close()
    click.echo(f"Emulator at {path} reset.")


@emulator.command("actions")
def actions_cmd() -> None:
    """List the API actions the emulator implements, by product."""
    from planner.emulator import Emulator

    emu = Emulator(None)
    try:
        for product, action in sorted(emu.actions()):
            click.echo(f"{product}\t{action}")
    finally:
        emu.close()


@emulator.command("seed")
@click.argument("file", type=click.Path(dir_okay=False))
@state_option
def seed_cmd(file: str, state: str | None) -> None:
    """Add your own images and instance types (a JSON FILE) to the emulated cloud.

    FILE holds {"images": [{"ImageId": ..., "ImageName": ..., "OSName": ..., "RegionId": ...}],
    "instance_types": [{"InstanceTypeId": ..., "CpuCoreCount": ..., "MemorySize": ...}]}
    (planner/emulator/catalogue/README.md). A served emulator started with the same -state sees them
    on its next request.
    """
    from planner.emulator import catalogue

    try:
        text = Path(file).read_text(encoding="utf-8")
    except OSError as e:
        click.echo(f"Error: {file}: cannot read the seed file: {e.strerror or e}", err=True)
        click.get_current_context().exit(1)
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as e:
        click.echo(f"Error: {file}:{e.lineno}:{e.colno}: not valid JSON: {e.msg}", err=True)
        click.get_current_context().exit(1)
    emu = _open_emulator(state)
    try:
        n_images, n_types = emu.seed(doc)
    except catalogue.SeedError as e:
        click.echo(f"Error: {file}: {e}", err=True)
        click.get_current_context().exit(1)
    finally:
        emu.close()
    click.echo(f"Seeded {n_images} image(s) and {n_types} instance type(s) into {Path(state) if state else _default_state()}.")
