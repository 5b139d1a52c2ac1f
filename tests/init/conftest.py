"""Fixtures for ``clbplan init``: a module registry served on loopback from archives the tests build,
and git repositories made with ``git init`` in temporary directories. Never the internet."""

from __future__ import annotations

import http.server
import io
import json
import shutil
import ssl
import subprocess
import tarfile
import threading
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import pytest


def tar_gz(files: dict[str, str]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as t:
        for name, text in sorted(files.items()):
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = 0o644
            t.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def zip_bytes(files: dict[str, str]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, text in sorted(files.items()):
            z.writestr(name, text)
    return buf.getvalue()


@dataclass
class Registry:
    """modules.v1 on 127.0.0.1: ``modules[(ns, name, system)][version] = {path: text}``."""

    modules: dict[tuple[str, str, str], dict[str, dict[str, str]]] = field(default_factory=dict)
    requests: list[str] = field(default_factory=list)
    headers: list[dict] = field(default_factory=list)
    base_path: str = "/terraform/modules/v1/"
    server: http.server.HTTPServer | None = None
    scheme: str = "http"
    # how download answers: "relative" (/files/...), "absolute" (http://host/files/...)
    get_style: str = "relative"

    @property
    def port(self) -> int:
        assert self.server is not None
        return self.server.server_address[1]

    @property
    def url(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.port}"

    def add(self, ns: str, name: str, system: str, version: str, files: dict[str, str]) -> None:
        self.modules.setdefault((ns, name, system), {})[version] = files

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def handler(self):
        reg = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # keep test output clean
                pass

            def _send(self, status: int, body: bytes = b"", ctype: str = "application/json",
                      headers: dict | None = None) -> None:
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                if body:
                    self.wfile.write(body)

            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                reg.requests.append(self.path)
                reg.headers.append(dict(self.headers))
                path = self.path
                if path == "/.well-known/terraform.json":
                    self._send(200, json.dumps({"modules.v1": reg.base_path}).encode())
                    return
                if path.startswith("/files/"):
                    ns, name, system, version, kind = path[len("/files/"):].split("/")
                    files = reg.modules.get((ns, name, system), {}).get(version)
                    if files is None:
                        self._send(404)
                        return
                    body = tar_gz(files) if kind == "pkg.tar.gz" else zip_bytes(files)
                    self._send(200, body, "application/octet-stream")
                    return
                if not path.startswith(reg.base_path):
                    self._send(404)
                    return
                parts = path[len(reg.base_path):].split("/")
                key = tuple(parts[:3])
                if key not in reg.modules:
                    self._send(404, b'{"errors":["Not Found"]}')
                    return
                if len(parts) == 4 and parts[3] == "versions":
                    doc = {"modules": [{"source": "/".join(key),
                                        "versions": [{"version": v} for v in reg.modules[key]]}]}
                    self._send(200, json.dumps(doc).encode())
                    return
                if len(parts) == 5 and parts[4] == "download" and parts[3] in reg.modules[key]:
                    rel = f"/files/{'/'.join(key)}/{parts[3]}/pkg.tar.gz"
                    where = rel if reg.get_style == "relative" else f"{reg.url}{rel}"
                    self._send(204, headers={"X-Terraform-Get": where})
                    return
                self._send(404)

        return Handler


def _serve(reg: Registry, context: ssl.SSLContext | None = None) -> Registry:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), reg.handler())
    if context is not None:
        server.socket = context.wrap_socket(server.socket, server_side=True)
        reg.scheme = "https"
    reg.server = server
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return reg


@pytest.fixture
def registry(tmp_path, monkeypatch):
    """A loopback registry named, as for terraform, by a CLI configuration ``host`` block."""
    reg = _serve(Registry())
    rc = tmp_path / "cli.tfrc"
    rc.write_text(f'host "registry.terraform.io" {{\n  services = {{\n    "modules.v1" = "{reg.url}{reg.base_path}"\n'
                  f'  }}\n}}\nhost "regs.example.test" {{\n  services = {{\n    "modules.v1" = "{reg.url}{reg.base_path}"\n'
                  "  }\n}\n")
    monkeypatch.setenv("TF_CLI_CONFIG_FILE", str(rc))
    yield reg
    reg.stop()


@pytest.fixture
def tls_registry(tmp_path, monkeypatch):
    """A registry on https://localhost:PORT found by real service discovery (/.well-known/terraform.json),
    with a self-signed certificate the process trusts through SSL_CERT_FILE."""
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost"),
                                                        x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_pem = tmp_path / "cert.pem"
    key_pem = tmp_path / "key.pem"
    cert_pem.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_pem.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption()))
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert_pem, key_pem)
    reg = _serve(Registry(), ctx)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert_pem))
    monkeypatch.setenv("TF_CLI_CONFIG_FILE", str(tmp_path / "empty.tfrc"))
    (tmp_path / "empty.tfrc").write_text("")
    yield reg
    reg.stop()


def git(*args: str, cwd: Path) -> str:
    return subprocess.run(["git", "-c", "user.email=t@example.test", "-c", "user.name=t", "-c",
                           "init.defaultBranch=main", *args], cwd=cwd, check=True, capture_output=True,
                          text=True).stdout


@pytest.fixture
def git_repo(tmp_path):
    """A bare repository with tag v1.0 (module at the root, a sub-module in sub/) and a later v2.0."""
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    work = tmp_path / "gitwork"
    (work / "sub").mkdir(parents=True)
    git("init", "-q", ".", cwd=work)
    (work / "main.tf").write_text('module "inner" {\n  source = "./sub"\n}\n\noutput "v" {\n  value = "one"\n}\n')
    (work / "sub" / "main.tf").write_text('output "s" {\n  value = "sub"\n}\n')
    git("add", "-A", cwd=work)
    git("commit", "-qm", "one", cwd=work)
    git("tag", "v1.0", cwd=work)
    (work / "main.tf").write_text('output "v" {\n  value = "two"\n}\n')
    git("commit", "-qam", "two", cwd=work)
    git("tag", "v2.0", cwd=work)
    bare = tmp_path / "repo.git"
    git("clone", "-q", "--bare", str(work), str(bare), cwd=tmp_path)
    return bare
