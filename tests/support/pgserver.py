"""A throwaway PostgreSQL server for tests and benchmarks: initdb into a temp folder, start it on a
free loopback port, hand out databases, stop and remove it.

Why a real server (never a mock): the pg backend's correctness is advisory-lock and connection
semantics that only PostgreSQL has. PostgreSQL refuses to run as root, and CI runs as root: the
folder is handed to the ``postgres`` system user and every server command runs through
``runuser -u postgres --``. The binaries are found with ``pg_config --bindir`` (then the usual
Debian folders); when there are none, callers skip with the reason ``PgServer.unavailable()`` gives.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from pathlib import Path


def find_bindir() -> Path | None:
    candidates: list[str] = []
    pg_config = shutil.which("pg_config")
    if pg_config:
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, timeout=20).stdout.strip()
            if out:
                candidates.append(out)
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)
    candidates += [os.path.dirname(p) for p in filter(None, [shutil.which("initdb")])]
    for c in candidates:
        if all((Path(c) / b).is_file() for b in ("initdb", "pg_ctl", "postgres")):
            return Path(c)
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PgServer:
    """One server. ``url(db)`` is a connection string with the superuser's password."""

    def __init__(self, *, fast: bool = True):
        self.bindir = find_bindir()
        self.fast = fast
        self.root = Path(tempfile.mkdtemp(prefix="clbplan-pg-"))
        self.data = self.root / "data"
        self.sock = self.root / "sock"
        self.port = _free_port()
        self.password = "pw-" + secrets.token_hex(8)
        self.user = "postgres"
        self._as_postgres = os.geteuid() == 0

    @staticmethod
    def unavailable() -> str | None:
        """Why no server can be started here (None when it can)."""
        if find_bindir() is None:
            return "PostgreSQL binaries (initdb, pg_ctl, postgres) not found: pg_config --bindir names none"
        if os.geteuid() == 0:
            try:
                pwd.getpwnam("postgres")
            except KeyError:
                return "running as root and there is no 'postgres' system user to run PostgreSQL as"
            if shutil.which("runuser") is None:
                return "running as root and runuser is missing"
        return None

    def _run(self, *args: str, check: bool = True, timeout: float = 120) -> subprocess.CompletedProcess:
        cmd = [str(self.bindir / args[0]), *args[1:]]
        if self._as_postgres:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd="/")
        if check and r.returncode != 0:
            raise RuntimeError(f"{' '.join(args[:2])} failed ({r.returncode}): {r.stdout[-2000:]}{r.stderr[-2000:]}")
        return r

    def start(self) -> PgServer:
        self.sock.mkdir(parents=True)
        pwfile = self.root / "pw"
        pwfile.write_text(self.password + "\n")
        if self._as_postgres:
            pw = pwd.getpwnam("postgres")
            for p in (self.root, self.sock, pwfile):
                os.chown(p, pw.pw_uid, pw.pw_gid)
            os.chmod(self.root, 0o700)
        self._run("initdb", "-D", str(self.data), "-U", self.user, f"--pwfile={pwfile}", "--auth-local=trust",
                  "--auth-host=scram-sha-256", "-E", "UTF8", "--no-locale", *(["--no-sync"] if self.fast else []))
        pwfile.unlink()
        for attempt in range(5):
            try:
                self._pg_ctl_start()
                return self
            except RuntimeError:
                # the free port was taken between _free_port() and the server's bind (the suite runs in
                # parallel processes, each opening listeners): only that failure is retried, on another port
                log = self.root / "server.log"
                said = log.read_text(errors="replace") if log.is_file() else ""
                if attempt == 4 or said.count("Address already in use") <= attempt:
                    raise
                self.port = _free_port()
        return self

    def _pg_ctl_start(self) -> None:
        opts = f"-p {self.port} -k {self.sock} -c listen_addresses=127.0.0.1 -c max_connections=200"
        if self.fast:
            opts += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.root / "server.log"), "-o", opts, "-w",
                  "-t", "60", "start")

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop", check=False)

    def restart(self, down_for: float = 0.0) -> None:
        """Stop (fast: every client connection is cut) and start again on the same port."""
        self.stop("fast")
        if down_for:
            time.sleep(down_for)
        self._pg_ctl_start()

    def url(self, dbname: str = "postgres", *, user: str | None = None, password: str | None = None) -> str:
        pw = self.password if password is None else password
        return f"postgresql://{user or self.user}:{pw}@127.0.0.1:{self.port}/{dbname}"

    def create_database(self, prefix: str = "t") -> str:
        import psycopg

        name = f"{prefix}_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return name

    def drop_database(self, name: str) -> None:
        import psycopg

        with contextlib.suppress(Exception), psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def destroy(self) -> None:
        self.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)
