"""Threat: the served emulator (``clbplan emulator serve``) is starved, confused, replayed or read.

The emulator is an HTTP server that a team shares. An attacker on the host (or, with
``--allow-remote``, on the network) tries to:

* starve real clients by holding idle connections until the process runs out of files;
* smuggle a request inside the unread body of a refused (413) one;
* replay a captured signed create after the server restarted (nonces were only in memory);
* expose it to the network with the well-known default keys;
* read the secret from ``ps`` (it was passed as ``--access-key-secret "$(cat ...)"``);
* fill the server log with tracebacks by hanging up mid-request;
* read the emulated cloud's file, world-readable under a 0755 folder.
"""

from __future__ import annotations

import http.client
import os
import re
import signal
import socket
import stat
import struct
import subprocess
import sys
import time
from pathlib import Path

import pytest

from planner.emulator import Emulator
from planner.emulator.server import DUMP_PATH, serve
from planner.emulator.signatures import sign_v3

AK, SK = "sec-ak", "sec-secret-0123456789"
ROOT = Path(__file__).resolve().parents[2]


def _signed_get(endpoint: str, *, nonce: str | None = None, secret: str = SK) -> dict[str, str]:
    return sign_v3(method="GET", host=endpoint, action="Dump", version="2014-05-15", query={},
                   access_key_id=AK, access_key_secret=secret, path=DUMP_PATH, nonce=nonce)


def _get(host: str, port: int, headers: dict[str, str], timeout: float = 5.0) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        conn.request("GET", DUMP_PATH, headers=headers)
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


def _start_cli_server(tmp_path: Path, *extra: str, nofile: int | None = None,
                      env: dict[str, str] | None = None) -> tuple[subprocess.Popen, str, int]:
    """``clbplan emulator serve --port 0`` in a subprocess; returns it with its host and port."""
    def limit() -> None:
        if nofile is not None:
            import resource

            resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, nofile))

    secret_file = tmp_path / "secret"
    secret_file.write_text(SK + "\n")
    cmd = [sys.executable, "-m", "planner.cli.main", "emulator", "serve", "--port", "0",
           "--state", str(tmp_path / "cloud" / "emulator.sqlite"), "--access-key-id", AK,
           "--access-key-secret-file", str(secret_file), *extra]
    full_env = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path,
                            env=full_env, preexec_fn=limit)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    m = re.search(r"listening on http://([\d.]+):(\d+)", line)
    if m is None:
        proc.kill()
        raise AssertionError(f"no banner: {line!r} {proc.stderr.read() if proc.stderr else ''}")
    return proc, m.group(1), int(m.group(2))


def _stop(proc: subprocess.Popen) -> tuple[str, str]:
    proc.send_signal(signal.SIGINT)
    try:
        out, err = proc.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
    return out, err


def test_idle_connections_cannot_starve_a_real_client(tmp_path: Path) -> None:
    """300 idle connections against a server limited to 256 open files (macOS's default): a signed
    request from a real client is still answered within 1 s. Before: accept() failed with EMFILE
    and every new client hung."""
    proc, host, port = _start_cli_server(tmp_path, nofile=256)
    idle: list[socket.socket] = []
    try:
        for _ in range(300):
            idle.append(socket.create_connection((host, port), timeout=5))
        time.sleep(0.5)  # let the server accept them all
        started = time.perf_counter()
        status, _body = _get(host, port, _signed_get(f"{host}:{port}"), timeout=5)
        elapsed = time.perf_counter() - started
        assert status == 200
        assert elapsed < 1.0, f"real client waited {elapsed:.2f} s behind 300 idle connections"
    finally:
        for s in idle:
            s.close()
        _out, err = _stop(proc)
    assert "Traceback" not in err


def test_slow_connection_is_closed_after_the_read_timeout() -> None:
    """A connection that goes silent is closed after the read timeout, not held forever."""
    with Emulator(None) as emu, serve(emu, port=0, credentials={AK: SK}, read_timeout=0.5) as srv:
        s = socket.create_connection((srv.host, srv.port), timeout=5)
        s.sendall(b"POST / HTTP/1.1\r\nHost: x\r\n")  # headers never finished
        started = time.perf_counter()
        assert s.recv(4096) == b""  # closed by the server
        assert time.perf_counter() - started < 4
        s.close()


def _read_until_closed(s: socket.socket, limit: float = 3.0) -> tuple[bytes, bool]:
    s.settimeout(limit)
    data = b""
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                return data, True
            data += chunk
    except TimeoutError:
        return data, False


def test_oversized_body_closes_the_connection_before_anything_in_it_is_parsed() -> None:
    """After a 413 the unread body was parsed as further requests (request smuggling)."""
    with Emulator(None) as emu, serve(emu, port=0, credentials={AK: SK}) as srv:
        smuggled = (f"GET {DUMP_PATH} HTTP/1.1\r\nHost: {srv.endpoint}\r\n\r\n").encode()
        s = socket.create_connection((srv.host, srv.port), timeout=5)
        s.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                  b"Content-Length: 999999999\r\n\r\n" + smuggled)
        data, closed = _read_until_closed(s)
        s.close()
    assert data.startswith(b"HTTP/1.1 413")
    assert data.count(b"HTTP/1.1 ") == 1, data
    assert closed, "the connection stayed open after a 413"


@pytest.mark.parametrize("bad", [b"Content-Length: nope\r\n", b"Content-Length: 4\r\n"])
def test_bad_body_closes_the_connection(bad: bytes) -> None:
    """A bad Content-Length, or a body that is not UTF-8 form data, ends the connection."""
    with Emulator(None) as emu, serve(emu, port=0, credentials={AK: SK}) as srv:
        s = socket.create_connection((srv.host, srv.port), timeout=5)
        s.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n" + bad
                  + b"\r\n\xff\xfe\xfd\xfc" + b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        data, closed = _read_until_closed(s)
        s.close()
    assert data.startswith(b"HTTP/1.1 400"), data[:80]
    assert data.count(b"HTTP/1.1 ") == 1, data
    assert closed


def test_replay_after_restart_is_refused(tmp_path: Path) -> None:
    """A captured signed request replayed to a restarted server: refused as SignatureNonceUsed."""
    db = tmp_path / "cloud.sqlite"
    with Emulator(db) as emu, serve(emu, port=0, credentials={AK: SK}) as srv:
        headers = _signed_get(srv.endpoint, nonce="captured-nonce-1")
        status, _ = _get(srv.host, srv.port, headers)
        assert status == 200
        port = srv.port
    with Emulator(db) as emu, serve(emu, port=port, credentials={AK: SK}) as srv:
        status, body = _get(srv.host, srv.port, headers)
        assert status == 400, body
        assert b"SignatureNonceUsed" in body
        # a fresh nonce still works
        status, _ = _get(srv.host, srv.port, _signed_get(srv.endpoint))
        assert status == 200


def test_old_nonces_are_forgotten_after_the_signature_window(tmp_path: Path) -> None:
    """The nonce table does not grow without bound: entries older than the window are purged."""
    import sqlite3

    now = [1_000_000.0]
    with Emulator(tmp_path / "c.sqlite") as emu:
        assert emu.remember_nonce(AK, "n1", now[0], now[0] - 1800)
        assert not emu.remember_nonce(AK, "n1", now[0] + 10, now[0] + 10 - 1800)
        later = now[0] + 3600
        assert emu.remember_nonce(AK, "n2", later, later - 1800)
    rows = sqlite3.connect(tmp_path / "c.sqlite").execute("SELECT nonce FROM nonces").fetchall()
    assert rows == [("n2",)]


def test_allow_remote_with_the_default_keys_is_refused(tmp_path: Path) -> None:
    with Emulator(None) as emu, pytest.raises(ValueError, match="default secret"):
        serve(emu, host="0.0.0.0", port=0, allow_remote=True)  # noqa: S104 - the point of the test
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLBPLAN_EMULATOR_")}
    r = subprocess.run([sys.executable, "-m", "planner.cli.main", "emulator", "serve", "--port", "0",
                        "--host", "0.0.0.0", "--allow-remote", "--state", str(tmp_path / "e.sqlite")],
                       capture_output=True, text=True, timeout=60, cwd=tmp_path,
                       env={**env, "PYTHONPATH": str(ROOT)})
    assert r.returncode != 0
    assert "default secret" in r.stderr and "--access-key-secret-file" in r.stderr
    assert "listening" not in r.stdout


def test_secret_file_keeps_the_secret_out_of_ps_and_the_docs_say_so(tmp_path: Path) -> None:
    proc, host, port = _start_cli_server(tmp_path)
    try:
        cmdline = Path(f"/proc/{proc.pid}/cmdline").read_bytes().decode()
        assert SK not in cmdline
        assert _get(host, port, _signed_get(f"{host}:{port}"))[0] == 200
        assert _get(host, port, _signed_get(f"{host}:{port}", secret="wrong"))[0] != 200
    finally:
        _stop(proc)
    docs = (ROOT / "docs" / "shared-emulator.md").read_text()
    assert '--access-key-secret "$(' not in docs
    assert "--access-key-secret-file" in docs


def test_client_disconnect_is_one_log_line_not_a_traceback(tmp_path: Path) -> None:
    proc, host, port = _start_cli_server(tmp_path)
    try:
        s = socket.create_connection((host, port), timeout=5)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # close = RST
        s.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                  b"Content-Length: 100\r\n\r\nAction=Desc")
        time.sleep(0.3)
        s.close()
        time.sleep(0.5)
        assert _get(host, port, _signed_get(f"{host}:{port}"))[0] == 200  # still serving
    finally:
        _out, err = _stop(proc)
    assert "Traceback" not in err, err
    gone = [line for line in err.splitlines() if "disconnected" in line]
    assert len(gone) == 1, err


def test_emulator_files_are_private(tmp_path: Path) -> None:
    folder = tmp_path / "work" / ".clbplan"
    old = os.umask(0o022)
    try:
        with Emulator(folder / "emulator.sqlite") as emu:
            emu.call("Slb", "DescribeLoadBalancers", {"RegionId": "cn-hangzhou"})
            files = [p for p in folder.iterdir() if p.name.startswith("emulator.sqlite")]
            assert files
            for f in files:
                assert stat.S_IMODE(f.stat().st_mode) == 0o600, (f, oct(f.stat().st_mode))
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    finally:
        os.umask(old)


def test_existing_world_readable_emulator_file_is_tightened(tmp_path: Path) -> None:
    folder = tmp_path / ".clbplan"
    folder.mkdir(mode=0o755)
    db = folder / "emulator.sqlite"
    db.touch(mode=0o644)
    os.chmod(db, 0o644)
    with Emulator(db):
        pass
    assert stat.S_IMODE(db.stat().st_mode) == 0o600
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
