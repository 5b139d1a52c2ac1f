"""Fuzz the served emulator's request handling and the configuration loader (issue 11, item 7).

    python bench/fuzz.py [--seconds 60]

(a) raw HTTP requests (random method, path, headers, Content-Length, body; valid-looking query
    strings) to a served emulator on loopback. A crash is a 5xx answer or a traceback in the
    server's log; http.server's own 400 for a malformed request line and 501 for an unknown
    method are correct answers.
(b) configuration text (random bytes, and mutations of valid HCL) through the loader and the
    evaluator. A crash is any exception other than DiagnosticsError.
Prints the number of inputs tried and the crashes found for each.
"""

from __future__ import annotations

import argparse
import io
import logging
import socket
import sys
import tempfile
import time
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SEED_HCL = '''
variable "n" {
  type    = number
  default = 2
}
locals {
  names = [for i in range(var.n) : "lb-${i}"]
  m     = { for k in local.names : k => upper(k) }
}
resource "alicloud_slb_load_balancer" "web" {
  count              = var.n
  load_balancer_name = local.names[count.index]
  address_type       = "internet"
  load_balancer_spec = "slb.s1.small"
}
output "o" { value = jsonencode(local.m) }
'''


def fuzz_http(seconds: float) -> tuple[int, list[str]]:
    from planner.emulator.core import Emulator
    from planner.emulator.server import serve

    log = io.StringIO()
    handler = logging.StreamHandler(log)
    logging.getLogger().addHandler(handler)
    served = serve(Emulator())
    host, port = "127.0.0.1", served.port if hasattr(served, "port") else served.address[1]
    tried, crashes = 0, []
    deadline = time.monotonic() + seconds
    methods = st.sampled_from(["GET", "POST", "PUT", "HEAD", "OPTIONS", "XYZ", ""])
    query = st.lists(st.tuples(st.sampled_from(["Action", "Version", "Format", "RegionId", "LoadBalancerId",
                                                "Signature", "AccessKeyId", "SignatureNonce", "Timestamp",
                                                "PageSize", "Tag.1.Key", "x"]),
                               st.text(max_size=20)), max_size=8)
    extra = st.binary(max_size=200)

    @settings(max_examples=200, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(methods, query, st.one_of(st.none(), st.integers(-5, 10**7), st.text(max_size=8)), extra,
           st.booleans())
    def one(method: str, q: list, clen: object, body: bytes, http10: bool) -> None:
        nonlocal tried
        if time.monotonic() > deadline:
            return
        from urllib.parse import quote
        path = "/?" + "&".join(f"{quote(k)}={quote(v)}" for k, v in q)
        head = f"{method} {path} HTTP/1.{0 if http10 else 1}\r\nHost: x\r\nConnection: close\r\n"
        if clen is not None:
            head += f"Content-Length: {clen}\r\n"
        raw = head.encode("utf-8", "replace") + b"\r\n" + body
        tried += 1
        with socket.create_connection((host, port), timeout=5) as s:
            s.sendall(raw)
            s.shutdown(socket.SHUT_WR)
            data = b""
            try:
                while chunk := s.recv(65536):
                    data += chunk
            except (ConnectionResetError, TimeoutError):
                pass
        status = data.split(b" ", 2)[1] if data.startswith(b"HTTP/") and data.count(b" ") >= 2 else b""
        if status.startswith(b"5") and status != b"501":  # 501: http.server's own "unsupported method"
            crashes.append(f"{status.decode()} for {raw[:200]!r}")
        if "Traceback" in log.getvalue():
            crashes.append(f"traceback in the server log for {raw[:200]!r}: {log.getvalue()[-500:]}")
            log.truncate(0)
            log.seek(0)

    while time.monotonic() < deadline:
        one()
    served.close() if hasattr(served, "close") else None
    return tried, crashes


def fuzz_config(seconds: float) -> tuple[int, list[str]]:
    from planner.config.evaluation import evaluate
    from planner.config.loader import load_module
    from planner.diagnostics import DiagnosticsError

    tried, crashes = 0, []
    deadline = time.monotonic() + seconds
    work = Path(tempfile.mkdtemp(prefix="clbplan-fuzz-"))

    def mutate(data: st.DataObject) -> str:
        text = SEED_HCL
        for _ in range(data.draw(st.integers(1, 4))):
            i = data.draw(st.integers(0, len(text)))
            j = data.draw(st.integers(i, min(len(text), i + 12)))
            text = text[:i] + data.draw(st.text(alphabet='{}[]()"$%=.,:?!<>*/+-\n #abcxyz0123456789~\\',
                                                max_size=12)) + text[j:]
        return text

    @settings(max_examples=50, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(st.data())
    def one(data: st.DataObject) -> None:
        nonlocal tried
        raw = data.draw(st.one_of(st.binary(max_size=300), st.builds(lambda: b"")), label="raw") \
            if data.draw(st.integers(0, 4)) == 0 else mutate(data).encode()
        tried += 1
        (work / "main.tf").write_bytes(raw)
        try:
            module = load_module(work, use_cache=False)
            evaluate(module, env={})
        except DiagnosticsError:
            pass
        except Exception as e:  # noqa: BLE001 - any other exception is the finding
            crashes.append(f"{type(e).__name__}: {e} for {raw[:300]!r}")

    while time.monotonic() < deadline:
        one()
    return tried, crashes


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=60.0, help="time budget for each of the two targets")
    args = ap.parse_args()
    for name, fn in (("served emulator (raw HTTP)", fuzz_http), ("configuration loader+evaluator", fuzz_config)):
        t0 = time.monotonic()
        tried, crashes = fn(args.seconds)
        print(f"{name}: {tried} inputs in {time.monotonic() - t0:.0f}s, crashes: {len(crashes)}")
        for c in crashes[:10]:
            print("  ", c[:600])


if __name__ == "__main__":
    main()
