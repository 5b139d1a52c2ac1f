"""A moderate real-world configuration for the engine tests, and how to run and inspect clbplan on it.

The engine tests drive the real ``clbplan`` CLI in subprocesses, so everything here is about the
process edge: write a directory, run a command, read the cloud (the embedded ``.clbplan/emulator.sqlite``,
or a served emulator's dump over HTTP: ``EngineCloud``) and the state file back. The configuration covers every kind of object an apply creates and orders:
VPC, vSwitch, security group, ECS instances, per load balancer a default group, two VServer groups,
a master-slave group, four listeners (HTTP with forwarding rules and an ACL, HTTPS with a certificate,
TCP on the master-slave group, UDP), and shared ACL and certificate.
"""

from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PEM_DIR = REPO / "examples" / "https-certificate"

#: emulator object kinds -> state resource types that own one cloud object of that kind each.
KIND_TO_TYPES: dict[str, tuple[str, ...]] = {
    "vpc": ("alicloud_vpc",),
    "vswitch": ("alicloud_vswitch",),
    "sg": ("alicloud_security_group",),
    "instance": ("alicloud_instance",),
    "lb": ("alicloud_slb_load_balancer", "alicloud_slb"),
    "listener": ("alicloud_slb_listener",),
    "vsg": ("alicloud_slb_server_group",),
    "msg": ("alicloud_slb_master_slave_server_group",),
    "rule": ("alicloud_slb_rule",),
    "acl": ("alicloud_slb_acl",),
    "cert": ("alicloud_slb_server_certificate",),
}


def stack_tf(lbs: int = 3, instances: int = 4, rules: int = 2) -> str:
    """HCL for ``lbs`` load balancers sharing one network, ``instances`` ECS servers, one ACL and one
    certificate. Each LB: 2 VServer groups, 1 master-slave group, default-group servers, 4 listeners,
    ``rules`` forwarding rules on its HTTP listener."""
    names = ", ".join(f'"lb{i}"' for i in range(lbs))
    rule_names = ", ".join(f'"r{i}"' for i in range(rules))
    return f'''
provider "alicloud" {{
  region = "cn-hangzhou"
}}

locals {{
  lbs   = toset([{names}])
  rules = toset([{rule_names}])
  # every (lb, rule) pair, keyed "lb0/r1"
  lb_rules = {{ for pair in setproduct(local.lbs, local.rules) : "${{pair[0]}}/${{pair[1]}}" => {{
    lb = pair[0], rule = pair[1] }} }}
}}

data "alicloud_zones" "default" {{
  available_resource_creation = "VSwitch"
}}

resource "alicloud_vpc" "main" {{
  vpc_name   = "engine-vpc"
  cidr_block = "10.30.0.0/16"
}}

resource "alicloud_vswitch" "main" {{
  vpc_id       = alicloud_vpc.main.id
  cidr_block   = "10.30.1.0/24"
  zone_id      = data.alicloud_zones.default.ids[0]
  vswitch_name = "engine-vsw"
}}

resource "alicloud_security_group" "app" {{
  security_group_name = "engine-sg"
  vpc_id              = alicloud_vpc.main.id
}}

resource "alicloud_instance" "app" {{
  count           = {instances}
  instance_name   = "engine-app-${{count.index}}"
  image_id        = "ubuntu_22_04_x64_20G_alibase_20240508.vhd"
  instance_type   = "ecs.g6.large"
  vswitch_id      = alicloud_vswitch.main.id
  security_groups = [alicloud_security_group.app.id]
}}

resource "alicloud_slb_acl" "office" {{
  name       = "engine-office"
  ip_version = "ipv4"
  entry_list {{
    entry   = "203.0.113.0/24"
    comment = "office"
  }}
}}

resource "alicloud_slb_server_certificate" "shop" {{
  name               = "engine-cert"
  server_certificate = file("{PEM_DIR}/cert.pem")
  private_key        = file("{PEM_DIR}/key.pem")
}}

resource "alicloud_slb_load_balancer" "lb" {{
  for_each           = local.lbs
  load_balancer_name = "engine-${{each.key}}"
  address_type       = "intranet"
  vswitch_id         = alicloud_vswitch.main.id
  load_balancer_spec = "slb.s2.small"
}}

resource "alicloud_slb_backend_server" "default" {{
  for_each         = local.lbs
  load_balancer_id = alicloud_slb_load_balancer.lb[each.key].id
  dynamic "backend_servers" {{
    for_each = alicloud_instance.app
    content {{
      server_id = backend_servers.value.id
      weight    = 100
    }}
  }}
}}

resource "alicloud_slb_server_group" "web" {{
  for_each         = local.lbs
  load_balancer_id = alicloud_slb_load_balancer.lb[each.key].id
  name             = "web-${{each.key}}"
  servers {{
    server_ids = alicloud_instance.app[*].id
    port       = 8080
  }}
}}

resource "alicloud_slb_server_group" "api" {{
  for_each         = local.lbs
  load_balancer_id = alicloud_slb_load_balancer.lb[each.key].id
  name             = "api-${{each.key}}"
  servers {{
    server_ids = slice(alicloud_instance.app[*].id, 0, 2)
    port       = 9090
    weight     = 50
  }}
}}

resource "alicloud_slb_master_slave_server_group" "db" {{
  for_each         = local.lbs
  load_balancer_id = alicloud_slb_load_balancer.lb[each.key].id
  name             = "db-${{each.key}}"
  servers {{
    server_id   = alicloud_instance.app[0].id
    port        = 5432
    server_type = "Master"
  }}
  servers {{
    server_id   = alicloud_instance.app[1].id
    port        = 5432
    server_type = "Slave"
  }}
}}

resource "alicloud_slb_listener" "http" {{
  for_each         = local.lbs
  load_balancer_id = alicloud_slb_load_balancer.lb[each.key].id
  protocol         = "http"
  frontend_port    = 80
  server_group_id  = alicloud_slb_server_group.web[each.key].id
  bandwidth        = -1
  sticky_session   = "off"
  acl_status       = "on"
  acl_type         = "white"
  acl_id           = alicloud_slb_acl.office.id
}}

resource "alicloud_slb_listener" "https" {{
  for_each              = local.lbs
  load_balancer_id      = alicloud_slb_load_balancer.lb[each.key].id
  protocol              = "https"
  frontend_port         = 443
  server_group_id       = alicloud_slb_server_group.web[each.key].id
  server_certificate_id = alicloud_slb_server_certificate.shop.id
  bandwidth             = 50
  sticky_session        = "off"
}}

resource "alicloud_slb_listener" "db" {{
  for_each                     = local.lbs
  load_balancer_id             = alicloud_slb_load_balancer.lb[each.key].id
  protocol                     = "tcp"
  frontend_port                = 5432
  master_slave_server_group_id = alicloud_slb_master_slave_server_group.db[each.key].id
  bandwidth                    = 10
}}

resource "alicloud_slb_listener" "dns" {{
  for_each         = local.lbs
  load_balancer_id = alicloud_slb_load_balancer.lb[each.key].id
  protocol         = "udp"
  frontend_port    = 53
  backend_port     = 53
  bandwidth        = 5
}}

resource "alicloud_slb_rule" "path" {{
  for_each         = local.lb_rules
  load_balancer_id = alicloud_slb_load_balancer.lb[each.value.lb].id
  frontend_port    = 80
  name             = "${{each.value.rule}}-path"
  url              = "/${{each.value.rule}}"
  server_group_id  = alicloud_slb_server_group.api[each.value.lb].id
}}

output "lb_ids" {{
  value = {{ for k, lb in alicloud_slb_load_balancer.lb : k => lb.id }}
}}
'''


def expected_objects(lbs: int = 3, instances: int = 4, rules: int = 2) -> Counter:
    """How many cloud objects of each kind ``stack_tf`` makes: the emulator must hold exactly these."""
    return Counter({"vpc": 1, "vswitch": 1, "sg": 1, "instance": instances, "acl": 1, "cert": 1,
                    "lb": lbs, "vsg": 2 * lbs, "msg": lbs, "listener": 4 * lbs, "rule": rules * lbs})


def write_stack(directory: Path, **kw: int) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "main.tf").write_text(stack_tf(**kw))
    return directory


def clbplan_cmd(*args: str) -> list[str]:
    """The real CLI, as a user runs it (the console script's entry point)."""
    return [sys.executable, "-m", "planner.cli.main", *args]


#: environment variables that would change which keys, region or cloud the CLI resolves: a developer's
#: shell must neither leak into nor rescue a test.
CREDENTIAL_ENV = ("ALIBABA_CLOUD_ACCESS_KEY_ID", "ALIBABA_CLOUD_ACCESS_KEY_SECRET", "ALICLOUD_ACCESS_KEY",
                  "ALICLOUD_SECRET_KEY", "ALICLOUD_REGION", "ALIBABA_CLOUD_REGION_ID",
                  "ALIBABA_CLOUD_SECURITY_TOKEN", "ALICLOUD_SECURITY_TOKEN", "CLBPLAN_REAL_CLOUD")


def cli_env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("CLBPLAN_DEBUG", None)
    env.pop(FAULTS_ENV, None)
    for name in CREDENTIAL_ENV:
        env.pop(name, None)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    return env


def run_cli(workdir: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(clbplan_cmd(*args), cwd=str(workdir), capture_output=True, text=True,
                          timeout=timeout, env=cli_env())


# --- where the cloud lives: the embedded emulator file, or a served emulator over HTTP -------------------

FAULTS_ENV = "CLBPLAN_TEST_FAULTS"
FAULTY_CLI = Path(__file__).with_name("faulty_cli.py")
MODES = ("inprocess", "apart", "http")
#: keys of the served emulator; the secret reaches the server through its environment, never argv
HTTP_KEY_ID = "LTAI5tEngineWireTests"
HTTP_KEY_SECRET = "engine-wire-secret-5c1e"
_LISTENING = re.compile(r"listening on http://(\S+)")
_SERVER_LOG = re.compile(r"^(\S+)\t(\d+|dropped)\t")


class EngineCloud:
    """The cloud one engine test runs the CLI against, in one of two ``MODES``.

    * ``inprocess``: the CLI's embedded emulator (``.clbplan/emulator.sqlite`` in the work directory);
      faults are switched on through ``faulty_cli.py``, which reports the fault codes that fired.
    * ``apart``: the embedded emulator's file, its calls answered during each apply's walk by the cloud's
      own process (``planner.engine.cloud_apart``, ``CLBPLAN_CLOUD_APART=always``): as ``inprocess`` otherwise.
    * ``http``: ``clbplan emulator serve`` in a subprocess on 127.0.0.1 (a free port, its own SQLite
      file, faults given with ``-faults``), and the configuration's provider block points at it with
      ``endpoints {}`` and keys, exactly as a user would. The cloud's contents come from the server's
      signed dump endpoint; which faults fired comes from the server's request log (``-v``).

    The tests call the same methods in both modes, so the assertions are the same.
    """

    def __init__(self, mode: str, base: Path):
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r}; expected one of {MODES}")
        self.apart = mode == "apart"
        self.mode = "inprocess" if self.apart else mode
        self.base = base
        self.work = base / "cfg"
        self.faults = ""
        self._server: subprocess.Popen | None = None
        self._server_spec: str | None = None
        self._endpoint: str | None = None
        self._log_path = base / "served-emulator.log"
        self._log_mark = 0

    # configuration -----------------------------------------------------------------------------------

    def write(self, **kw: int) -> Path:
        """Write the engine stack (``stack_tf(**kw)``) into the work directory, pointed at this cloud."""
        write_stack(self.work, **kw)
        if self.mode == "http":
            from tests.transport.conftest import point_at

            point_at(self.work, self._serve(), access_key=HTTP_KEY_ID, secret_key=HTTP_KEY_SECRET)
        return self.work

    def use_faults(self, spec: str) -> None:
        """Faults (a ``FaultConfig.from_spec`` string, "" for none) for the CLI runs that follow. Over HTTP
        the server is restarted with them on the same port and SQLite file (the cloud's contents stay)."""
        self.faults = spec
        if self.mode == "http" and self._server is not None:
            self._serve()

    # running the CLI ---------------------------------------------------------------------------------

    def command(self, *args: str) -> tuple[list[str], dict[str, str]]:
        """argv and environment of one CLI run with the current faults."""
        env = cli_env()
        if self.apart:
            env["CLBPLAN_CLOUD_APART"] = "always"
        if self.mode == "inprocess" and self.faults:
            env[FAULTS_ENV] = self.faults
            return [sys.executable, str(FAULTY_CLI), *args], env
        return clbplan_cmd(*args), env

    def run(self, *args: str, timeout: float = 180) -> tuple[subprocess.CompletedProcess, Counter]:
        """Run the CLI to its end; return the result and the faults that fired during the run
        (``transient``, ``lost`` and ``busy``; over HTTP ``busy`` also counts throttled calls, since the
        server log has only the status)."""
        argv, env = self.command(*args)
        self._log_mark = self._log_size()
        proc = subprocess.run(argv, cwd=str(self.work), env=env, capture_output=True, text=True,
                              timeout=timeout)
        if self.mode == "http":
            embedded = self.work / ".clbplan" / "emulator.sqlite"
            assert not embedded.exists(), f"over HTTP the CLI must not open an embedded cloud ({embedded})"
        return proc, self._fired(proc.stderr)

    def popen(self, *args: str) -> subprocess.Popen:
        """Start the CLI with stdout piped (the plan, then Terraform's progress lines: one
        "... complete after" line per finished operation) and stderr piped (notes, errors)."""
        argv, env = self.command(*args)
        return subprocess.Popen(argv, cwd=str(self.work), env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)

    def _fired(self, stderr: str) -> Counter:
        fired: Counter = Counter()
        if self.mode == "inprocess":
            for line in stderr.splitlines():
                if line.startswith("FAULTS"):
                    codes = Counter({k: int(v) for k, v in re.findall(r"(\S+)=(\d+)", line)})
                    fired = Counter({
                        "transient": codes["ServiceUnavailable"], "lost": codes["ResponseLost"],
                        "busy": sum(n for c, n in codes.items()
                                    if c not in ("ServiceUnavailable", "ResponseLost", "Throttling.User"))})
            return +fired
        with self._log_path.open() as f:
            f.seek(self._log_mark)
            for line in f:
                m = _SERVER_LOG.match(line)
                if not m:
                    continue
                status = m.group(2)
                if status == "dropped":
                    fired["lost"] += 1
                elif status == "503":
                    fired["transient"] += 1
                elif status in ("400", "409"):
                    fired["busy"] += 1
        return +fired

    # reading the cloud -------------------------------------------------------------------------------

    def rows(self) -> list[tuple[str, str, dict]]:
        """(kind, id, document) of every object in the cloud, read without changing it."""
        if self.mode == "inprocess":
            return embedded_rows(self.work)
        from planner.emulator.server import fetch_dump

        assert self._endpoint is not None, "the served emulator was never started"
        dump = fetch_dump(self._endpoint, HTTP_KEY_ID, HTTP_KEY_SECRET)
        # objects rows are (rowid, kind, id, region, lb_id, doc)
        return [(r[1], r[2], json.loads(r[5])) for r in dump["tables"]["objects"]]

    # the served emulator -----------------------------------------------------------------------------

    def _log_size(self) -> int:
        return self._log_path.stat().st_size if self._log_path.exists() else 0

    def _serve(self) -> str:
        """(Re)start ``clbplan emulator serve`` with the current faults; returns its ``host:port``."""
        if self._server is not None and self._server_spec == self.faults:
            assert self._endpoint is not None
            return self._endpoint
        port = "0"
        if self._server is not None:
            assert self._endpoint is not None
            port = self._endpoint.rsplit(":", 1)[1]
            self._stop_server()
        args = ["emulator", "serve", "-host", "127.0.0.1", "-port", port, "-v",
                "-state", str(self.base / "served-emulator.sqlite"), "-access-key-id", HTTP_KEY_ID]
        if self.faults:
            args += ["-faults", self.faults]
        env = cli_env()
        env["CLBPLAN_EMULATOR_ACCESS_KEY_SECRET"] = HTTP_KEY_SECRET
        banner = self.base / "served-emulator.out"
        with banner.open("w") as out, self._log_path.open("a") as log:
            self._server = subprocess.Popen(clbplan_cmd(*args), cwd=str(self.base), env=env, stdout=out,
                                            stderr=log, text=True)
        self._server_spec = self.faults
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            m = _LISTENING.search(banner.read_text())
            if m:
                self._endpoint = m.group(1)
                return self._endpoint
            if self._server.poll() is not None:
                break
            time.sleep(0.02)
        log_tail = self._log_path.read_text()[-2000:]
        self._stop_server()
        raise RuntimeError(f"clbplan emulator serve did not start: {banner.read_text()}{log_tail}")

    def _stop_server(self) -> None:
        proc, self._server = self._server, None
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGTERM)  # the serve loop stops cleanly and closes its SQLite file
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    def close(self) -> None:
        self._stop_server()


def as_cloud(where: Path | EngineCloud) -> EngineCloud:
    """Accept a work directory (the embedded cloud, as older callers pass) or an EngineCloud."""
    if isinstance(where, EngineCloud):
        return where
    cloud = EngineCloud("inprocess", where.parent)
    cloud.work = where
    return cloud


def embedded_rows(workdir: Path) -> list[tuple[str, str, dict]]:
    """(kind, id, document) of every object in the directory's embedded cloud, read straight from
    SQLite (read-only, so a test never changes what it inspects)."""
    path = workdir / ".clbplan" / "emulator.sqlite"
    if not path.exists():
        return []
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return [(k, i, json.loads(d)) for k, i, d in conn.execute("SELECT kind, id, doc FROM objects")]
    finally:
        conn.close()


def cloud_rows(where: Path | EngineCloud) -> list[tuple[str, str, dict]]:
    return as_cloud(where).rows()


def cloud_counts(where: Path | EngineCloud) -> Counter:
    return Counter(kind for kind, _id, _doc in cloud_rows(where) if kind in KIND_TO_TYPES)


def state_doc(where: Path | EngineCloud) -> dict:
    cloud = as_cloud(where)
    reader = getattr(cloud, "state_reader", None)  # a remote backend (pg): the test says how to read it
    if reader is not None:
        return reader()
    path = cloud.work / "clbplan.tfstate"
    return json.loads(path.read_text()) if path.exists() and path.stat().st_size else {}


def state_resources(where: Path | EngineCloud) -> list[dict]:
    """The resources of the state file (one entry per instance: address, type, id, attributes)."""
    from planner.state.tfstate import flat_instances

    return flat_instances(state_doc(where))


def cloud_key(kind: str, object_id: str, doc: dict) -> str:
    """The id the state records for a cloud object (listeners are ``lb:protocol:port`` in state)."""
    if kind == "listener":
        return f"{doc['LoadBalancerId']}:{doc['ListenerProtocol']}:{doc['ListenerPort']}"
    return object_id


def assert_cloud_matches_state(where: Path | EngineCloud, expected: Counter) -> None:
    """Every tracked cloud object is in the state exactly once, the state holds nothing the cloud
    lacks, and the cloud holds exactly ``expected`` objects of each kind (nothing created twice)."""
    type_to_kind = {t: k for k, ts in KIND_TO_TYPES.items() for t in ts}
    in_state: Counter = Counter()
    rows = cloud_rows(where)
    for r in state_resources(where):
        kind = type_to_kind.get(r["type"])
        if kind is not None:
            in_state[(kind, r["id"])] += 1
    twice = {k: n for k, n in in_state.items() if n > 1}
    assert not twice, f"objects recorded more than once in state: {twice}"
    in_cloud = {(k, cloud_key(k, i, d)) for k, i, d in rows if k in KIND_TO_TYPES}
    forgotten = sorted(in_cloud - set(in_state))
    assert not forgotten, f"cloud objects missing from state (forgotten by a killed run): {forgotten}"
    phantom = sorted(set(in_state) - in_cloud)
    assert not phantom, f"state records objects the cloud does not have: {phantom}"
    counts = Counter(k for k, _i, _d in rows if k in KIND_TO_TYPES)
    assert counts == expected, f"cloud object counts differ from the configuration's: {counts} != {expected}"


def member_counts(where: Path | EngineCloud) -> Counter:
    """Backend servers attached, by kind of group: a retried attach must never add a server twice."""
    out: Counter = Counter()
    for kind, _id, doc in cloud_rows(where):
        if kind == "lb":
            out["default"] += len(doc.get("BackendServers") or [])
        elif kind == "vsg":
            out["vsg"] += len(doc.get("BackendServers") or [])
        elif kind == "msg":
            out["msg"] += len(doc.get("MasterSlaveBackendServers") or [])
    return out


def expected_members(lbs: int = 3, instances: int = 4, rules: int = 2) -> Counter:
    """Members ``stack_tf`` attaches: all instances in the default and web groups, 2 in api and db."""
    return Counter({"default": lbs * instances, "vsg": lbs * (instances + 2), "msg": 2 * lbs})


def apply_ok(cloud: EngineCloud) -> None:
    """``clbplan apply -auto-approve`` runs to success (its output tails shown if not)."""
    done, _ = cloud.run("apply", "-auto-approve")
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]


def assert_converged(cloud: EngineCloud, after: str, lbs: int = 3, rules: int = 2) -> None:
    """Cloud == state exactly, members attached once, and ``plan -detailed-exitcode`` has nothing to do."""
    assert_cloud_matches_state(cloud, expected_objects(lbs=lbs, rules=rules))
    assert member_counts(cloud) == expected_members(lbs=lbs, rules=rules)
    plan, _ = cloud.run("plan", "-detailed-exitcode")
    assert plan.returncode == 0, f"plan after {after} is not empty (exit {plan.returncode}):\n" + \
        plan.stdout[-3000:] + plan.stderr[-2000:]
