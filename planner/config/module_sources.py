"""Module ``source`` strings: what kind each is, its normalised form, and fetching a package.

The kinds and their normalisation are Terraform's (``internal/addrs/module_source.go`` and the
go-getter detectors it uses): a local path starts with ``./`` or ``../`` and is read in place; a
registry address is ``[HOST/]NAMESPACE/NAME/SYSTEM[//SUBDIR]``; everything else is a remote package
(``git::URL``, ``github.com/ORG/REPO``, ``git@HOST:PATH``, an absolute path as ``file://``, an
``http(s)://`` archive), optionally with ``//SUBDIR`` before the query. The whole package is always
fetched; SUBDIR is where the module is inside it.

Fetching runs ``git`` for git sources and the standard library for archives; archives are
extracted with path checks (no absolute names, no ``..``, no links leaving the package).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tarfile
import tempfile
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from dataclasses import dataclass
from pathlib import Path

DEFAULT_REGISTRY_HOST = "registry.terraform.io"
_REG_PART = re.compile(r"^[0-9A-Za-z](?:[0-9A-Za-z_-]{0,62}[0-9A-Za-z])?$")
_HOST = re.compile(r"^(?:localhost|[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)+)(?::\d+)?$", re.I)
_ARCHIVES = (".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tar.xz", ".txz", ".tar", ".zip")
_GIT_SHORTHAND = {"github.com", "bitbucket.org"}


class SourceError(Exception):
    """A source that cannot be used or fetched; ``detail`` says why, ``hint`` what to do."""

    def __init__(self, summary: str, detail: str = "", hint: str = ""):
        super().__init__(detail or summary)
        self.summary, self.detail, self.hint = summary, detail, hint


@dataclass(frozen=True)
class LocalSource:
    path: str  # as written: ./modules/x

    def __str__(self) -> str:
        return self.path


@dataclass(frozen=True)
class RegistrySource:
    host: str
    namespace: str
    name: str
    system: str
    subdir: str = ""

    @property
    def package(self) -> str:
        return f"{self.host}/{self.namespace}/{self.name}/{self.system}"

    def __str__(self) -> str:
        return self.package + (f"//{self.subdir}" if self.subdir else "")


@dataclass(frozen=True)
class RemoteSource:
    package: str  # go-getter address with forced getter and query: git::https://x/y.git?ref=v1
    subdir: str = ""

    def __str__(self) -> str:
        if not self.subdir:
            return self.package
        base, q, query = self.package.partition("?")
        return f"{base}//{self.subdir}" + (f"?{query}" if q else "")


ModuleSource = LocalSource | RegistrySource | RemoteSource


def redact(url: str) -> str:
    """A URL fit to print: any user:password@ part removed."""
    return re.sub(r"(://)[^/@\s]+@", r"\1***@", url)


def split_subdir(src: str) -> tuple[str, str]:
    """go-getter's SourceDirSubdir: ``pkg//sub?q`` -> (``pkg?q``, ``sub``)."""
    forced = ""
    m = re.match(r"^([A-Za-z0-9]+)::", src)
    if m:
        forced, src = src[:m.end()], src[m.end():]
    start = src.find("://")
    start = start + 3 if start >= 0 else 0
    base, q, query = src.partition("?")
    idx = base.find("//", start)
    if idx < 0:
        return forced + src, ""
    subdir = base[idx + 2:]
    pkg = base[:idx]
    if q:
        pkg += "?" + query
    return forced + pkg, subdir.strip("/")


def parse_source(text: str) -> ModuleSource:
    """Classify and normalise a ``source`` string; SourceError if Terraform would refuse it too."""
    s = text.strip()
    if not s:
        raise SourceError("Invalid module source address", "The source address is empty.",
                          'use "./path", a registry address such as "alibaba/slb/alicloud", or a git URL')
    if s.startswith("./") or s.startswith("../") or s in (".", ".."):
        return LocalSource(s)
    if s.startswith(".\\") or s.startswith("..\\"):
        return LocalSource(s.replace("\\", "/"))
    reg = _try_registry(s)
    if reg is not None:
        return reg
    return RemoteSource(*_remote_package(s))


def _try_registry(s: str) -> RegistrySource | None:
    if "::" in s or "?" in s or "://" in s or s.startswith("/"):
        return None
    base, _q, _ = s.partition("?")
    pkg, _, subdir = base.partition("//")
    parts = pkg.split("/")
    if len(parts) == 4:
        host = parts[0].lower()
        if host in _GIT_SHORTHAND or not _HOST.match(host):
            return None
        parts = parts[1:]
    elif len(parts) == 3:
        if parts[0].lower() in _GIT_SHORTHAND or "." in parts[0]:
            return None
        host = DEFAULT_REGISTRY_HOST
    else:
        return None
    if not all(_REG_PART.match(p) for p in parts):
        return None
    ns, name, system = parts
    return RegistrySource(host, ns, name, system.lower(), subdir.strip("/"))


def _remote_package(s: str) -> tuple[str, str]:
    pkg, subdir = split_subdir(s)
    m = re.match(r"^([A-Za-z0-9]+)::(.*)$", pkg)
    if m:
        getter, rest = m.group(1).lower(), m.group(2)
        if getter not in ("git", "http", "https", "file"):
            raise SourceError("Unsupported module source", f'clbplan cannot fetch "{getter}::" sources.',
                              "use a git repository, a registry module, an archive, or a local path")
        return f"{getter}::{rest}", subdir
    if pkg.startswith("/"):
        return "file://" + pkg, subdir
    if re.match(r"^[A-Za-z]:[\\/]", pkg):
        return "file:///" + pkg.replace("\\", "/"), subdir
    low = pkg.lower()
    if low.startswith("github.com/") or low.startswith("bitbucket.org/"):
        base, q, query = pkg.partition("?")
        segs = base.split("/")
        if len(segs) < 3:
            raise SourceError("Invalid module source address", f"{pkg!r} names no repository.",
                              "write it as github.com/ORG/REPO")
        repo = "/".join(segs[:3])
        if not repo.endswith(".git"):
            repo += ".git"
        extra = "/".join(segs[3:])
        if extra:
            subdir = "/".join(x for x in (extra, subdir) if x)
        return f"git::https://{repo}" + (f"?{query}" if q else ""), subdir
    m = re.match(r"^([A-Za-z0-9_.-]+)@([A-Za-z0-9_.-]+):(.+)$", pkg)
    if m:  # git@github.com:org/repo.git (scp-like)
        return f"git::ssh://{m.group(1)}@{m.group(2)}/{m.group(3)}", subdir
    scheme = urllib.parse.urlsplit(pkg).scheme.lower()
    if scheme in ("http", "https", "file"):
        return pkg, subdir
    if scheme in ("s3", "gcs", "hg", "ssh"):
        if scheme == "ssh":
            return f"git::{pkg}", subdir
        raise SourceError("Unsupported module source", f'clbplan cannot fetch "{scheme}" sources.',
                          "use a git repository, a registry module, an archive, or a local path")
    raise SourceError("Invalid module source address",
                      f"{s!r} is not a local path (which must start with ./ or ../), a registry address "
                      "(NAMESPACE/NAME/PROVIDER) or a remote source (git::URL, an http(s) archive).",
                      'prefix a local path with "./"')


# ---- fetching ---------------------------------------------------------------------------------

def fetch_package(package: str, dest: Path, *, token_for=None, timeout: float = 30.0) -> None:
    """Put the package at ``package`` into the (absent) directory ``dest``; SourceError on failure."""
    m = re.match(r"^([A-Za-z0-9]+)::(.*)$", package)
    getter, rest = (m.group(1).lower(), m.group(2)) if m else ("", package)
    if getter == "git":
        _fetch_git(rest, dest)
        return
    url = rest
    parts = urllib.parse.urlsplit(url)
    query = urllib.parse.parse_qs(parts.query)
    archive = (query.pop("archive", [""])[0] or "").lower()
    clean = urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(query, doseq=True)))
    if parts.scheme == "file":
        local = Path(urllib.request.url2pathname(parts.path))
        if local.is_dir() and not archive:
            shutil.copytree(local, dest, symlinks=True)
            return
        if not local.is_file():
            raise SourceError("Module package not found", f"{local} does not exist.",
                              "check the path in the module's source")
        _extract(local, archive or _archive_kind(local.name), dest, redact(url))
        return
    if parts.scheme not in ("http", "https"):
        raise SourceError("Unsupported module source", f"{redact(url)!r} has no scheme clbplan can fetch.")
    kind = archive or _archive_kind(parts.path)
    with tempfile.TemporaryDirectory(prefix="clbplan-dl-") as td:
        target = Path(td) / "package"
        redirect = _http_download(clean, target, token_for, timeout)
        if redirect is not None:  # go-getter's http getter: the page names the real source
            fetch_package(urllib.parse.urljoin(clean, redirect), dest, token_for=token_for, timeout=timeout)
            return
        if not kind:
            raise SourceError("Unsupported module package", f"{redact(url)} is not an archive clbplan can "
                              "unpack (.zip, .tar.gz, .tgz, .tar.bz2, .tar.xz, .tar).",
                              "add ?archive=zip or ?archive=tar.gz to the address if it is one")
        _extract(target, kind, dest, redact(url))


def _archive_kind(name: str) -> str:
    low = name.lower()
    for ext in _ARCHIVES:
        if low.endswith(ext):
            return {".tgz": "tar.gz", ".tbz2": "tar.bz2", ".txz": "tar.xz"}.get(ext, ext[1:])
    return ""


def _http_download(url: str, target: Path, token_for, timeout: float) -> str | None:
    req = urllib.request.Request(url, headers={"User-Agent": "clbplan"})
    host = urllib.parse.urlsplit(url).netloc
    token = token_for(host) if token_for else None
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:  # noqa: S310 - http(s) only, checked above
            header = resp.headers.get("X-Terraform-Get")
            if header:
                return header
            with open(target, "wb") as f:
                shutil.copyfileobj(resp, f)
    except urllib.error.HTTPError as e:
        raise SourceError("Failed to download module package", f"GET {redact(url)} answered {e.code} {e.reason}.")
    except (urllib.error.URLError, OSError) as e:
        reason = getattr(e, "reason", e)
        raise SourceError("Failed to download module package", f"GET {redact(url)} failed: {reason}.",
                          "check the address and that the host can be reached")
    return None


def _extract(archive: Path, kind: str, dest: Path, shown: str) -> None:
    if not kind:
        raise SourceError("Unsupported module package", f"{shown} is not a directory or an archive clbplan "
                          "can unpack (.zip, .tar.gz, .tgz, .tar.bz2, .tar.xz, .tar).")
    dest.mkdir(parents=True)
    try:
        if kind == "zip":
            with zipfile.ZipFile(archive) as z:
                for info in z.infolist():
                    name = info.filename
                    if name.startswith("/") or ".." in Path(name).parts or ":" in name.split("/")[0]:
                        raise SourceError("Unsafe module archive", f"{shown} holds the path {name!r}, which "
                                          "leaves the package.")
                z.extractall(dest)
        else:
            mode = {"tar.gz": "r:gz", "tar.bz2": "r:bz2", "tar.xz": "r:xz", "tar": "r:"}[kind]
            with tarfile.open(archive, mode) as t:
                try:
                    t.extractall(dest, filter="data")
                except tarfile.FilterError as e:
                    raise SourceError("Unsafe module archive", f"{shown}: {e}.")
    except (zipfile.BadZipFile, tarfile.TarError, EOFError, OSError) as e:
        if isinstance(e, SourceError):
            raise
        raise SourceError("Invalid module archive", f"{shown} could not be unpacked as {kind}: {e}.")


def _git(args: list[str], cwd: Path | None = None) -> subprocess.CompletedProcess:
    env = dict(os.environ, GIT_TERMINAL_PROMPT="0", GIT_ASKPASS="true")
    try:
        return subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
    except FileNotFoundError:
        raise SourceError("git is not installed", "Fetching a git module source needs the git command.",
                          "install git, or install the module with terraform init")
    except subprocess.TimeoutExpired:
        raise SourceError("git timed out", "git did not finish within 5 minutes.")


def _git_message(proc: subprocess.CompletedProcess) -> str:
    lines = [ln.strip() for ln in (proc.stderr or proc.stdout or "").splitlines() if ln.strip()]
    lines = [ln for ln in lines if not ln.lower().startswith("cloning into")]
    return redact(" ".join(lines[-3:])) or f"git exited with status {proc.returncode}"


def _fetch_git(url_with_query: str, dest: Path) -> None:
    base, _q, query = url_with_query.partition("?")
    params = urllib.parse.parse_qs(query)
    ref = (params.pop("ref", [""])[0] or "").strip()
    depth = (params.pop("depth", [""])[0] or "").strip()
    if params:
        raise SourceError("Unsupported git source option",
                          f"clbplan understands ?ref= and ?depth= on git sources, not {', '.join(sorted(params))}.")
    if ref.startswith("-"):
        raise SourceError("Invalid git ref", f"{ref!r} is not a branch, tag or commit.")
    args = ["clone", "--quiet"]
    if depth:
        if not depth.isdigit():
            raise SourceError("Invalid git depth", f"depth={depth!r} must be a whole number.")
        args += ["--depth", depth]
        if ref:
            args += ["--branch", ref]
    args += ["--", base, str(dest)]
    proc = _git(args)
    if proc.returncode != 0:
        shutil.rmtree(dest, ignore_errors=True)
        raise SourceError("Failed to clone git repository", f"git clone {redact(base)}: {_git_message(proc)}.",
                          "check the URL and that you can reach the repository with git")
    if ref and not depth:
        proc = _git(["checkout", "--quiet", ref, "--"], cwd=dest)
        if proc.returncode != 0:
            shutil.rmtree(dest, ignore_errors=True)
            raise SourceError("Git ref not found", f'The repository {redact(base)} has no branch, tag or commit '
                              f'"{ref}": {_git_message(proc)}.',
                              "check ?ref= in the source: it must name an existing tag, branch or commit")
