"""The emulated cloud's entry point: ``Emulator.call(product, action, params)``.

Each call: parse parameters, find the load balancer it targets, ask the fault injector whether
the call may proceed, run the handler in one SQLite transaction (a rejected call changes
nothing), commit, then let the injector open its busy window or lose the response.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import orjson

from planner.emulator import actions as _actions  # noqa: F401  (registers the handlers)
from planner.emulator.codes import err
from planner.emulator.errors import CloudError
from planner.emulator.faults import FaultConfig, FaultInjector
from planner.emulator.params import Params, parse_json_list
from planner.emulator.registry import ACTIONS, Ctx, copy_doc, lookup
from planner.emulator.store import Store

IDEMPOTENT_PREFIXES = ("Create", "Run", "Upload")


def _params_digest(items: list) -> str:
    """What a ClientToken's call is compared by when the token comes again: a digest of its parameters,
    encoded by orjson (json's encoder was a fortieth of the walk's cloud process)."""
    try:
        text = orjson.dumps(items)
    except TypeError:  # (an integer beyond 64 bits)
        return _params_digest_json(items)
    return hashlib.sha1(text).hexdigest()


def _params_digest_json(items: list) -> str:
    """The digest as a cloud's file written before orjson holds it: a token saved then still matches."""
    return hashlib.sha1(json.dumps(items).encode()).hexdigest()


def default_emulator_path(cwd: str | Path) -> Path:
    """Where the embedded cloud lives for a working directory."""
    return Path(cwd) / ".clbplan" / "emulator.sqlite"


_ID_RNG = random.Random(int.from_bytes(os.urandom(16), "big"))


def _request_id() -> str:
    """A random RFC 4122 v4 id in the gateway's upper-case form (cheaper than uuid.uuid4())."""
    h = f"{_ID_RNG.getrandbits(128):032X}"
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89AB'[int(h[16], 16) & 3]}{h[17:20]}-{h[20:]}"


class Emulator:
    """An in-process CLB (+ minimal VPC/ECS) cloud backed by SQLite; thread-safe."""

    # every entry point takes the lock, so a server need not serialise calls; injected latency is
    # then slept by each request thread at once, as a real gateway's round trips overlap
    thread_safe = True

    def __init__(self, path: str | Path | None = None, *, faults: FaultConfig | None = None,
                 region: str = "cn-hangzhou", clock: Callable[[], float] = time.time):
        self.path = None if path is None else Path(path)
        self.region = region
        self.clock = clock
        self.faults = faults if faults is not None else FaultConfig()
        self.injector = FaultInjector(self.faults, clock)
        self.store = Store(self.path)
        self._lock = threading.RLock()
        self._rng = random.Random()

    # --- the API ------------------------------------------------------------------------
    def call(self, product: str, action: str, params: Mapping[str, Any]) -> dict:
        """Run one API action as the real gateway would; raise CloudError on refusal."""
        request_id = _request_id()
        spec = lookup(product, action)
        if spec is None:
            e = err("InvalidAction.NotFound")
            e.request_id = request_id
            raise e
        p = Params(params)
        region = p.get("RegionId") or self.region
        self.injector.delay()
        with self._lock:
            try:
                # the built-in injector uses a read's load balancer for nothing (busy windows are about
                # writes): reads skip the lookup, one more SQL query per call for a group or rule id
                lb_id = (self._target_lb(p) if spec.write or getattr(self.injector, "reads_need_target", True)
                         else None)
                self.injector.before_call(spec.name, lb_id, spec.write)
                try:
                    result = self._run(spec, p, region)
                except CloudError:
                    self.injector.after_failure(spec.name, lb_id, spec.write)
                    raise
            except CloudError as e:
                e.request_id = request_id
                raise
            # a new load balancer is "configuring" right after its create, like any other write
            self.injector.after_commit(spec.name, lb_id or result.get("LoadBalancerId"), spec.write)
        result["RequestId"] = request_id
        return result

    def _run(self, spec: Any, p: Params, region: str) -> dict:
        store = self.store
        ctx = Ctx(store, region, self.clock(), float(self.faults.listener_start_delay or 0.0),
                  self._rng)
        token = p.get("ClientToken") if spec.write and spec.name.startswith(IDEMPOTENT_PREFIXES) else None
        store.begin(spec.write)
        try:
            if token:
                items = [kv for kv in p.items() if kv[0] != "clienttoken"]
                digest = _params_digest(items)
                prior = store.token(spec.name, token)
                if prior is not None:
                    store.rollback()
                    if prior[0] != digest and prior[0] != _params_digest_json(items):
                        raise err("IdempotentParameterMismatch")
                    return prior[1]
            result = spec.handler(ctx, p)
            if spec.write and p.has("DryRun") and p.bool("DryRun"):
                # validated in full, then undone: the gateway's DryRun answer is an error by design
                store.rollback()
                raise err("DryRunOperation")
            if token:
                store.save_token(spec.name, token, digest, result)
            store.commit()
            return copy_doc(result) if token else result
        except CloudError:
            store.rollback()
            raise
        except BaseException as e:
            store.rollback()
            if isinstance(e, Exception):
                raise err("InternalError") from e
            raise

    def _target_lb(self, p: Params) -> str | None:
        """The load balancer a call acts on, for per-instance fault windows."""
        lb = p.get("LoadBalancerId")
        if lb:
            return lb.split(",")[0].strip()
        st = self.store
        for param, kind in (("VServerGroupId", "vsg"), ("MasterSlaveServerGroupId", "msg"), ("RuleId", "rule")):
            v = p.get(param)
            if v:
                return st.lb_of(kind, v)
        ids = p.get("RuleIds")
        if ids:
            try:
                lst = parse_json_list(ids)
                if isinstance(lst, list) and lst:
                    return st.lb_of("rule", str(lst[0]))
            except ValueError:
                return None
        return None

    # --- whole-cloud operations -----------------------------------------------------------
    def dump(self) -> dict:
        """The full contents as JSON-able data (stable across copy/from_dump)."""
        with self._lock:
            return {"format": 1, "region": self.region, "tables": self.store.dump()}

    @classmethod
    def from_dump(cls, dump: dict, *, path: str | Path | None = None, faults: FaultConfig | None = None,
                  clock: Callable[[], float] = time.time) -> Emulator:
        emu = cls(path, faults=faults, region=dump.get("region", "cn-hangzhou"), clock=clock)
        emu.store.load(dump["tables"])
        return emu

    def copy(self) -> Emulator:
        """An independent in-memory copy without faults: the planner's shadow cloud."""
        emu = Emulator(None, region=self.region, clock=self.clock)
        with self._lock:
            self.store.copy_into(emu.store)
        return emu

    def snapshot(self) -> bytes:
        """This cloud as bytes (``Store.snapshot``): a copy for another process, see ``restored``."""
        with self._lock:
            return self.store.snapshot()

    @classmethod
    def restored(cls, data: bytes, *, region: str = "cn-hangzhou", clock: Callable[[], float] = time.time) -> Emulator:
        """An in-memory cloud without faults holding a ``snapshot``."""
        emu = cls(None, region=region, clock=clock)
        emu.store.restore(data)
        return emu

    def seed(self, doc: Any) -> tuple[int, int]:
        """Add a user's images and instance types (``catalogue.seed``) in one transaction:
        all of the document or nothing. Returns (images, instance types) added."""
        from planner.emulator import catalogue

        with self._lock:
            self.store.begin(True)
            try:
                added = catalogue.seed(self.store, doc)
            except BaseException:
                self.store.rollback()
                raise
            self.store.commit()
            return added

    def reset(self) -> None:
        """Empty the cloud (and forget fault windows)."""
        with self._lock:
            self.store.reset()
            self.injector.reset()

    def close(self) -> None:
        with self._lock:
            self.store.close()

    def remember_nonce(self, key_id: str, nonce: str, now: float, horizon: float) -> bool:
        """The served emulator's replay check, persisted beside the cloud (see Store.remember_nonce)."""
        with self._lock:
            return self.store.remember_nonce(key_id, nonce, now, horizon)

    @staticmethod
    def actions() -> list[tuple[str, str]]:
        """Every implemented (product, action), for the coverage document."""
        return sorted(ACTIONS)

    def __enter__(self) -> Emulator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
