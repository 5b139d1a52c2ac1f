"""A client for the Terraform module registry protocol (``modules.v1``), as ``terraform init`` uses it.

Service discovery: ``GET https://HOST/.well-known/terraform.json`` names the ``modules.v1`` base
URL (absolute, or relative to the discovery document). Then ``GET BASE/NS/NAME/SYSTEM/versions``
lists versions and ``GET BASE/NS/NAME/SYSTEM/VERSION/download`` answers 204 with the package's
real address in ``X-Terraform-Get``.

Terraform's CLI configuration is honoured so the same file serves both tools: ``host "NAME" {
services = { "modules.v1" = "URL" } }`` blocks replace discovery for that host (the way a private
registry, or the test suite's loopback registry, is named), ``credentials "NAME" { token }`` and
``TF_TOKEN_<host>`` give a bearer token. The file is ``TF_CLI_CONFIG_FILE``, else ``~/.terraformrc``.
A token goes with the registry API requests of its own host (not with package downloads) and is
never printed.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from planner.config.module_sources import RegistrySource, SourceError, redact
from planner.version import CLBPLAN_VERSION, TERRAFORM_LANGUAGE_VERSION
from planner.workdir import user_home

SERVICE = "modules.v1"


@dataclass
class CliConfig:
    """The parts of Terraform's CLI configuration the module installer uses."""

    hosts: dict[str, dict[str, str]] = field(default_factory=dict)  # host -> service id -> URL
    tokens: dict[str, str] = field(default_factory=dict)  # host -> token
    path: str = ""

    def token_for(self, host: str) -> str | None:
        host = host.lower()
        env_name = "TF_TOKEN_" + host.replace("-", "__").replace(".", "_")
        for k, v in os.environ.items():
            if k == env_name or (k.startswith("TF_TOKEN_") and k.lower() == env_name.lower()):
                return v
        return self.tokens.get(host)


def load_cli_config(env: dict[str, str] | None = None) -> CliConfig:
    """Read ``TF_CLI_CONFIG_FILE`` (or ``~/.terraformrc``); a missing file is an empty configuration."""
    from planner.config.hclparse import SyntaxProblem, parse_text
    from planner.config.terraform_block import _NotLiteral, static_value

    env = os.environ if env is None else env
    path = env.get("TF_CLI_CONFIG_FILE")
    if not path:
        home = user_home()
        if home is None:  # no home folder (a container's user without a password entry): nothing to read
            return CliConfig(path="~/.terraformrc")
        path = str(home / ".terraformrc")
    cfg = CliConfig(path=path)
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except OSError:
        if env.get("TF_CLI_CONFIG_FILE"):
            raise SourceError("Cannot read the CLI configuration", f"TF_CLI_CONFIG_FILE names {path}, which "
                              "cannot be read.", "point TF_CLI_CONFIG_FILE at an existing file, or unset it")
        return cfg
    try:
        body = parse_text(text)
    except SyntaxProblem as s:
        raise SourceError("Invalid CLI configuration", f"{path}:{s.line}:{s.col}: {s.summary}. {s.detail}")
    for b in body.blocks:
        if b.type not in ("host", "credentials") or len(b.labels) != 1:
            continue
        name = b.labels[0].lower()
        try:
            if b.type == "host":
                a = b.body.attr("services")
                services = static_value(a.expr) if a is not None else {}
                if isinstance(services, dict):
                    cfg.hosts[name] = {str(k): str(v) for k, v in services.items()}
            else:
                a = b.body.attr("token")
                if a is not None:
                    cfg.tokens[name] = str(static_value(a.expr))
        except _NotLiteral:
            raise SourceError("Invalid CLI configuration", f"{path}:{b.line}: the {b.type} block for {name!r} "
                              "must hold literal values.")
    return cfg


def _timeout() -> float:
    try:
        return float(os.environ.get("TF_REGISTRY_CLIENT_TIMEOUT", "10"))
    except ValueError:
        return 10.0


class RegistryClient:
    """Discovery, version listing and download addresses for one run (discovery cached per host)."""

    def __init__(self, cli_config: CliConfig | None = None):
        self.cfg = cli_config if cli_config is not None else load_cli_config()
        self._bases: dict[str, str] = {}

    def _get(self, url: str, host: str, what: str) -> tuple[int, dict, bytes]:
        req = urllib.request.Request(url, headers={
            "User-Agent": f"clbplan/{CLBPLAN_VERSION}", "X-Terraform-Version": TERRAFORM_LANGUAGE_VERSION,
            "Accept": "application/json"})
        token = self.cfg.token_for(host)
        if token:  # as terraform: the module host's credentials go with its registry API requests
            req.add_header("Authorization", f"Bearer {token}")
        retries = 1
        while True:
            try:
                with urllib.request.urlopen(req, timeout=_timeout()) as resp:  # noqa: S310 - http(s) URLs only
                    return resp.status, dict(resp.headers), resp.read()
            except urllib.error.HTTPError as e:
                return e.code, dict(e.headers or {}), b""
            except (urllib.error.URLError, OSError) as e:
                if retries > 0:
                    retries -= 1
                    continue
                reason = getattr(e, "reason", e)
                raise SourceError("Module registry unreachable",
                                  f"Could not {what} at {redact(url)}: {reason}.",
                                  "check the registry host is reachable (or run terraform init where it is, and "
                                  "commit .terraform/modules)")

    def modules_base(self, host: str) -> str:
        """The ``modules.v1`` base URL of ``host``: from a CLI ``host`` block, else service discovery."""
        host = host.lower()
        if host in self._bases:
            return self._bases[host]
        override = self.cfg.hosts.get(host)
        if override is not None:
            base = override.get(SERVICE)
            if not base:
                raise SourceError("Host does not provide a module registry",
                                  f'The host "{host}" block in {self.cfg.path} names no "{SERVICE}" service.')
            self._bases[host] = base if base.endswith("/") else base + "/"
            return self._bases[host]
        url = f"https://{host}/.well-known/terraform.json"
        status, _headers, body = self._get(url, host, "discover services")
        if status != 200:
            raise SourceError("Failed to discover the module registry",
                              f"GET {url} answered {status}; {host} does not look like a Terraform registry.")
        try:
            doc = json.loads(body)
            if not isinstance(doc, dict):
                raise ValueError
        except ValueError:
            raise SourceError("Failed to discover the module registry", f"{url} is not a JSON object.")
        base = doc.get(SERVICE)
        if not isinstance(base, str) or not base:
            raise SourceError("Host does not provide a module registry",
                              f'The services of {host} ({url}) have no "{SERVICE}" entry.')
        base = urllib.parse.urljoin(url, base)
        self._bases[host] = base if base.endswith("/") else base + "/"
        return self._bases[host]

    def versions(self, src: RegistrySource) -> list[str]:
        base = self.modules_base(src.host)
        url = urllib.parse.urljoin(base, f"{src.namespace}/{src.name}/{src.system}/versions")
        status, _h, body = self._get(url, src.host, "list module versions")
        if status == 404:
            raise SourceError("Module not found in the registry",
                              f"The registry at {src.host} has no module {src.namespace}/{src.name}/{src.system}.",
                              "check the namespace, name and provider in the source address")
        if status != 200:
            raise SourceError("Failed to list module versions", f"GET {redact(url)} answered {status}.")
        try:
            doc = json.loads(body)
            return [str(v["version"]) for v in doc["modules"][0]["versions"]]
        except (ValueError, KeyError, IndexError, TypeError):
            raise SourceError("Invalid registry response", f"{redact(url)} did not return a version list.")

    def download_address(self, src: RegistrySource, version: str) -> str:
        """The go-getter address the registry gives for ``version`` (``X-Terraform-Get``), made absolute."""
        base = self.modules_base(src.host)
        url = urllib.parse.urljoin(base, f"{src.namespace}/{src.name}/{src.system}/{version}/download")
        status, headers, _body = self._get(url, src.host, "get the download address")
        if status not in (200, 204):
            raise SourceError("Failed to get the module download address", f"GET {redact(url)} answered {status}.")
        got = next((v for k, v in headers.items() if k.lower() == "x-terraform-get"), "")
        if not got:
            raise SourceError("Invalid registry response",
                              f"GET {redact(url)} gave no X-Terraform-Get header naming the package.")
        if got.startswith(("/", "./", "../")):
            got = urllib.parse.urljoin(url, got)
        return got
