"""Random clbplan configurations, valid by construction, rendered to Terraform HCL.

One generator serves two drivers: hypothesis (shrinking, CI) and a seeded ``random.Random``
(the long campaign in bench/campaign.py, where each transition must replay from its seed). Both
go through the small :class:`Draw` interface, so the generator is written once.

Resource names are *slots* (``lb0``, ``lb0_g1``, ``lb0_l2`` ...): the same slot in configuration
A and B is the same resource, so a transition updates, replaces and re-points resources instead
of only deleting everything and creating it again.

The seed rules respected by construction: weights 0-100; at most 50 listeners per load balancer
and unique frontend ports; master-slave groups have exactly two different servers and serve only
TCP/UDP listeners; forwarding rules only on HTTP/HTTPS listeners, pointing at groups of the same
load balancer, with a unique match per listener; ENI backends only on performance-guaranteed
load balancers (and, since an ENI lives in a VPC, only on intranet ones in our VPC); at most three
ACLs per listener; HTTPS listeners always have a certificate; groups of a listener belong to its
load balancer.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

CERT_DIR = Path(__file__).parent / "certs"
N_INSTANCES = 4
N_ENIS = 2
SPECS = ("slb.s1.small", "slb.s2.small", "slb.s2.medium")
PORT_POOL = (80, 443, 8080, 8443, 53, 9000)  # small on purpose: port swaps and re-uses happen often
BACKEND_PORTS = (80, 8080, 9000)
CIDR_POOL = ("10.0.0.0/8", "192.168.1.0/24", "203.0.113.0/24", "198.51.100.7/32", "172.16.0.0/16")
URLS = ("/api", "/img", "/static", "/v1")
DOMAINS = ("a.example.com", "b.example.com", "*.example.org")


class Draw(Protocol):
    """The few random choices the generator needs."""

    def integer(self, lo: int, hi: int) -> int: ...

    def boolean(self) -> bool: ...

    def choice(self, options: tuple | list) -> Any: ...


class RandomDraw:
    """Draw from a seeded ``random.Random`` (reproducible campaign transitions)."""

    def __init__(self, rng: random.Random):
        self.rng = rng

    def integer(self, lo: int, hi: int) -> int:
        return self.rng.randint(lo, hi)

    def boolean(self) -> bool:
        return self.rng.random() < 0.5

    def choice(self, options: tuple | list) -> Any:
        return options[self.rng.randrange(len(options))]


class HypothesisDraw:
    """Draw through hypothesis' ``data.draw`` so failures shrink towards small configurations."""

    def __init__(self, data: Any):
        """``data``: a ``st.data()`` object or the ``draw`` function of an ``@st.composite``."""
        from hypothesis import strategies as st

        self.draw, self.st = getattr(data, "draw", data), st

    def integer(self, lo: int, hi: int) -> int:
        return self.draw(self.st.integers(lo, hi))

    def boolean(self) -> bool:
        return self.draw(self.st.booleans())

    def choice(self, options: tuple | list) -> Any:
        return self.draw(self.st.sampled_from(list(options)))


# --- the model ----------------------------------------------------------------------------------

@dataclass
class Member:
    """One backend: instance ``s<idx>`` or ENI ``e<idx>``."""

    kind: str  # "ecs" | "eni"
    idx: int
    port: int
    weight: int


@dataclass
class Group:
    slot: str
    name: str
    members: list[Member]


@dataclass
class MSGroup:
    slot: str
    name: str
    master: int
    slave: int
    port: int


@dataclass
class Listener:
    slot: str
    protocol: str
    port: int
    backend: tuple[str, Any]  # ("port", n) | ("group", slot) | ("ms", slot)
    bandwidth: int
    opts: dict[str, Any] = field(default_factory=dict)
    acls: list[str] = field(default_factory=list)
    acl_type: str = "white"
    cert: str | None = None


@dataclass
class Rule:
    slot: str
    listener: str
    name: str
    domain: str | None
    url: str | None
    group: str


@dataclass
class LB:
    slot: str
    name: str
    address_type: str
    spec: str
    delete_protection: str
    groups: list[Group] = field(default_factory=list)
    ms_groups: list[MSGroup] = field(default_factory=list)
    default_servers: list[Member] | None = None
    listeners: list[Listener] = field(default_factory=list)
    rules: list[Rule] = field(default_factory=list)

    @property
    def eni_ok(self) -> bool:
        return self.address_type == "intranet"  # every generated LB has a spec (guaranteed)


@dataclass
class Acl:
    slot: str
    name: str
    entries: list[str]


@dataclass
class Config:
    instance_names: list[str]
    acls: list[Acl] = field(default_factory=list)
    certs: list[str] = field(default_factory=list)  # cert slots c0/c1
    lbs: list[LB] = field(default_factory=list)
    extra: str = ""  # raw HCL appended (the invalid strategy uses it)

    def listener_count(self) -> int:
        return sum(len(lb.listeners) for lb in self.lbs)


# --- generation ----------------------------------------------------------------------------------

def _members(d: Draw, lb: LB, *, with_port: bool, max_n: int) -> list[Member]:
    out: list[Member] = []
    seen: set[tuple] = set()
    for _ in range(d.integer(0, max_n)):
        kind = "eni" if lb.eni_ok and d.integer(0, 3) == 0 else "ecs"
        idx = d.integer(0, (N_ENIS if kind == "eni" else N_INSTANCES) - 1)
        port = d.choice(BACKEND_PORTS) if with_port else 0
        key = (kind, idx, port)
        if key in seen:
            continue
        seen.add(key)
        out.append(Member(kind, idx, port, d.choice((0, 1, 50, 100)) if d.boolean() else d.integer(0, 100)))
    return out


def _listener(d: Draw, lb: LB, slot: str, port: int, acls: list[Acl], certs: list[str]) -> Listener:
    protos = ["tcp", "udp", "http"] + (["https"] if certs else [])
    proto = d.choice(protos)
    if proto == "udp" and port == 4789:
        proto = "tcp"
    options: list[tuple[str, Any]] = [("port", d.choice(BACKEND_PORTS))]
    if lb.groups:
        options.append(("group", d.choice([g.slot for g in lb.groups])))
    if proto in ("tcp", "udp") and lb.ms_groups:
        options.append(("ms", d.choice([m.slot for m in lb.ms_groups])))
    backend = d.choice(options)
    bandwidth = d.choice((-1, 5, 10, 50))
    lst = Listener(slot, proto, port, backend, bandwidth)
    o = lst.opts
    if d.boolean():
        o["scheduler"] = d.choice(("wrr", "wlc", "rr"))
    if d.boolean():
        o["healthy_threshold"] = d.integer(1, 10)
    if d.boolean():
        o["health_check_interval"] = d.integer(1, 50)
    if proto == "tcp" and d.boolean():
        o["established_timeout"] = d.integer(10, 900)
    if proto in ("tcp", "udp") and d.boolean():
        o["persistence_timeout"] = d.integer(0, 3600)
    if proto in ("http", "https"):
        if d.boolean():
            o["request_timeout"] = d.integer(1, 180)
        if d.boolean():
            o["idle_timeout"] = d.integer(1, 60)
        if d.boolean():
            o["health_check_uri"] = d.choice(("/", "/healthz", "/ping"))
        sticky = d.integer(0, 2)
        if sticky == 1:
            o.update(sticky_session="on", sticky_session_type="insert", cookie_timeout=d.integer(1, 86400))
        elif sticky == 2:
            o.update(sticky_session="on", sticky_session_type="server", cookie=d.choice(("SID", "session")))
    if proto == "https":
        lst.cert = d.choice(certs)
        if d.boolean():
            o["tls_cipher_policy"] = d.choice(("tls_cipher_policy_1_0", "tls_cipher_policy_1_2"))
        if d.boolean():
            o["enable_http2"] = d.choice(("on", "off"))
    if acls and d.integer(0, 2) == 0:
        n = d.integer(1, min(3, len(acls)))
        chosen: list[str] = []
        for _ in range(n):
            a = d.choice([a.slot for a in acls])
            if a not in chosen:
                chosen.append(a)
        lst.acls = chosen
        lst.acl_type = d.choice(("white", "black"))
    return lst


def _lb(d: Draw, n: int, acls: list[Acl], certs: list[str]) -> LB:
    slot = f"lb{n}"
    lb = LB(slot, f"cmp-{slot}-{d.choice(('a', 'b'))}", d.choice(("intranet", "internet")), d.choice(SPECS),
            d.choice(("off", "off", "on")))
    for g in range(d.integer(0, 3)):
        lb.groups.append(Group(f"{slot}_g{g}", f"{slot}-g{g}-{d.choice(('x', 'y'))}",
                               _members(d, lb, with_port=True, max_n=4)))
    for m in range(d.integer(0, 2)):
        master = d.integer(0, N_INSTANCES - 1)
        slave = (master + d.integer(1, N_INSTANCES - 1)) % N_INSTANCES
        lb.ms_groups.append(MSGroup(f"{slot}_m{m}", f"{slot}-m{m}-{d.choice(('x', 'y'))}", master, slave,
                                    d.choice(BACKEND_PORTS)))
    if d.boolean():
        lb.default_servers = _members(d, lb, with_port=False, max_n=4)
    ports = list(PORT_POOL)
    for i in range(d.integer(0, 4)):
        port = d.choice(ports)
        ports.remove(port)
        lb.listeners.append(_listener(d, lb, f"{slot}_l{i}", port, acls, certs))
    http = [ls for ls in lb.listeners if ls.protocol in ("http", "https")]
    if http and lb.groups:
        used: set[tuple] = set()
        for r in range(d.integer(0, 3)):
            ls = d.choice(http)
            domain = d.choice(DOMAINS) if d.boolean() else None
            url = d.choice(URLS) if domain is None or d.boolean() else None
            if (ls.slot, domain, url) in used:
                continue
            used.add((ls.slot, domain, url))
            lb.rules.append(Rule(f"{slot}_r{r}", ls.slot, f"r{r}-{d.choice(('p', 'q'))}", domain, url,
                                 d.choice([g.slot for g in lb.groups])))
    return lb


def gen_config(d: Draw, *, max_lbs: int = 2) -> Config:
    """A random valid configuration (see the module docstring for the rules it respects)."""
    cfg = Config([f"cmp-s{i}-{d.choice(('a', 'b'))}" for i in range(N_INSTANCES)])
    for a in range(d.integer(0, 3)):
        entries: list[str] = []
        for _ in range(d.integer(0, 3)):
            e = d.choice(CIDR_POOL)
            if e not in entries:
                entries.append(e)
        cfg.acls.append(Acl(f"a{a}", f"cmp-a{a}-{d.choice(('x', 'y'))}", entries))
    cfg.certs = [f"c{i}" for i in range(d.integer(0, 2))]
    for n in range(d.integer(1, max_lbs)):
        cfg.lbs.append(_lb(d, n, cfg.acls, cfg.certs))
    return cfg


# --- rendering -----------------------------------------------------------------------------------

def _v(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


def _server_id(m: Member) -> str:
    return f"alicloud_instance.s{m.idx}.id" if m.kind == "ecs" else f"alicloud_ecs_network_interface.e{m.idx}.id"


def render(cfg: Config) -> str:
    """The configuration as one main.tf (certificates read with file() from the certs folder)."""
    out: list[str] = ['provider "alicloud" {\n  region = "cn-hangzhou"\n}\n']
    out.append('resource "alicloud_vpc" "main" {\n  vpc_name   = "cmp-vpc"\n  cidr_block = "172.16.0.0/12"\n}\n')
    out.append('resource "alicloud_vswitch" "main" {\n  vpc_id       = alicloud_vpc.main.id\n'
               '  cidr_block   = "172.16.0.0/24"\n  zone_id      = "cn-hangzhou-h"\n'
               '  vswitch_name = "cmp-vsw"\n}\n')
    out.append('resource "alicloud_security_group" "main" {\n  security_group_name = "cmp-sg"\n'
               '  vpc_id              = alicloud_vpc.main.id\n}\n')
    for i, name in enumerate(cfg.instance_names):
        out.append(f'resource "alicloud_instance" "s{i}" {{\n  instance_name   = {_v(name)}\n'
                   '  image_id        = "ubuntu_22_04_x64_20G_alibase_20240508.vhd"\n'
                   '  instance_type   = "ecs.g6.large"\n  vswitch_id      = alicloud_vswitch.main.id\n'
                   '  security_groups = [alicloud_security_group.main.id]\n}\n')
    for e in range(N_ENIS):
        out.append(f'resource "alicloud_ecs_network_interface" "e{e}" {{\n'
                   f'  network_interface_name = "cmp-e{e}"\n  vswitch_id             = alicloud_vswitch.main.id\n'
                   '  security_group_ids     = [alicloud_security_group.main.id]\n'
                   f'  primary_ip_address     = "172.16.0.{200 + e}"\n}}\n')
        out.append(f'resource "alicloud_ecs_network_interface_attachment" "e{e}" {{\n'
                   f'  instance_id          = alicloud_instance.s{e}.id\n'
                   f'  network_interface_id = alicloud_ecs_network_interface.e{e}.id\n}}\n')
    for c in cfg.certs:
        n = c[1:]
        out.append(f'resource "alicloud_slb_server_certificate" "{c}" {{\n  name               = "cmp-{c}"\n'
                   f'  server_certificate = file("${{path.module}}/cert{n}.pem")\n'
                   f'  private_key        = file("${{path.module}}/key{n}.pem")\n}}\n')
    for a in cfg.acls:
        body = f'  name       = {_v(a.name)}\n  ip_version = "ipv4"\n'
        for e in a.entries:
            body += f'  entry_list {{\n    entry   = {_v(e)}\n    comment = "c{e.split("/")[0].replace(".", "")}"\n  }}\n'
        out.append(f'resource "alicloud_slb_acl" "{a.slot}" {{\n{body}}}\n')
    for lb in cfg.lbs:
        out.extend(_render_lb(lb))
    if cfg.extra:
        out.append(cfg.extra)
    return "\n".join(out)


def _render_lb(lb: LB) -> list[str]:
    out: list[str] = []
    lbref = f"alicloud_slb_load_balancer.{lb.slot}.id"
    body = (f"  load_balancer_name = {_v(lb.name)}\n  address_type       = {_v(lb.address_type)}\n"
            f"  load_balancer_spec = {_v(lb.spec)}\n  delete_protection  = {_v(lb.delete_protection)}\n")
    if lb.address_type == "intranet":
        body += "  vswitch_id         = alicloud_vswitch.main.id\n"
    out.append(f'resource "alicloud_slb_load_balancer" "{lb.slot}" {{\n{body}}}\n')
    for g in lb.groups:
        body = f"  load_balancer_id = {lbref}\n  name             = {_v(g.name)}\n"
        for m in g.members:
            body += (f"  servers {{\n    server_ids = [{_server_id(m)}]\n    port       = {m.port}\n"
                     f"    weight     = {m.weight}\n    type       = {_v(m.kind)}\n  }}\n")
        out.append(f'resource "alicloud_slb_server_group" "{g.slot}" {{\n{body}}}\n')
    for m in lb.ms_groups:
        body = f"  load_balancer_id = {lbref}\n  name             = {_v(m.name)}\n"
        for idx, role in ((m.master, "Master"), (m.slave, "Slave")):
            body += (f"  servers {{\n    server_id   = alicloud_instance.s{idx}.id\n    port        = {m.port}\n"
                     f"    weight      = 100\n    server_type = {_v(role)}\n  }}\n")
        out.append(f'resource "alicloud_slb_master_slave_server_group" "{m.slot}" {{\n{body}}}\n')
    if lb.default_servers is not None:
        body = f"  load_balancer_id = {lbref}\n"
        for m in lb.default_servers:
            body += f"  backend_servers {{\n    server_id = {_server_id(m)}\n    weight    = {m.weight}\n"
            if m.kind == "eni":
                body += ('    type      = "eni"\n'
                         f"    server_ip = alicloud_ecs_network_interface.e{m.idx}.primary_ip_address\n")
            body += "  }\n"
        out.append(f'resource "alicloud_slb_backend_server" "{lb.slot}" {{\n{body}}}\n')
    for ls in lb.listeners:
        out.append(_render_listener(lb, ls))
    by_slot = {ls.slot: ls for ls in lb.listeners}
    for r in lb.rules:
        body = (f"  load_balancer_id = {lbref}\n"
                f"  frontend_port    = alicloud_slb_listener.{by_slot[r.listener].slot}.frontend_port\n"
                f"  name             = {_v(r.name)}\n"
                f"  server_group_id  = alicloud_slb_server_group.{r.group}.id\n")
        if r.domain is not None:
            body += f"  domain           = {_v(r.domain)}\n"
        if r.url is not None:
            body += f"  url              = {_v(r.url)}\n"
        out.append(f'resource "alicloud_slb_rule" "{r.slot}" {{\n{body}}}\n')
    return out


def _render_listener(lb: LB, ls: Listener) -> str:
    body = (f"  load_balancer_id = alicloud_slb_load_balancer.{lb.slot}.id\n  protocol         = {_v(ls.protocol)}\n"
            f"  frontend_port    = {ls.port}\n  bandwidth        = {ls.bandwidth}\n")
    kind, ref = ls.backend
    if kind == "port":
        body += f"  backend_port     = {ref}\n"
    elif kind == "group":
        body += f"  server_group_id  = alicloud_slb_server_group.{ref}.id\n"
    else:
        body += f"  master_slave_server_group_id = alicloud_slb_master_slave_server_group.{ref}.id\n"
    for k, v in ls.opts.items():
        body += f"  {k} = {_v(v)}\n"
    if ls.cert:
        body += f"  server_certificate_id = alicloud_slb_server_certificate.{ls.cert}.id\n"
    if ls.acls:
        ids = ", ".join(f"alicloud_slb_acl.{a}.id" for a in ls.acls)
        body += f'  acl_status = "on"\n  acl_type   = {_v(ls.acl_type)}\n  acl_ids    = [{ids}]\n'
    return f'resource "alicloud_slb_listener" "{ls.slot}" {{\n{body}}}\n'


def write_config(cfg: Config | str, workdir: Path) -> None:
    """Replace the .tf files of ``workdir`` with ``cfg`` (and the certificate files it reads)."""
    workdir.mkdir(parents=True, exist_ok=True)
    for old in workdir.glob("*.tf"):
        old.unlink()
    for pem in CERT_DIR.glob("*.pem"):
        target = workdir / pem.name
        if not target.exists():
            target.write_bytes(pem.read_bytes())
    (workdir / "main.tf").write_text(cfg if isinstance(cfg, str) else render(cfg))


EDITS = ("weights", "repoint", "port_swap", "protocol", "members", "drop_group", "ms_replace", "protection",
         "spec", "address_type", "drop_lb", "drop_listener", "rules", "acls", "names", "regen_lb")


def _fix(cfg: Config) -> Config:
    """Restore the invariants an edit may have broken (dangling references, ms on http ...)."""
    acl_slots = {a.slot for a in cfg.acls}
    for lb in cfg.lbs:
        groups = {g.slot for g in lb.groups}
        ms = {m.slot for m in lb.ms_groups}
        for ls in lb.listeners:
            kind, ref = ls.backend
            if (kind == "group" and ref not in groups) or (kind == "ms" and (ref not in ms or ls.protocol not in
                                                                             ("tcp", "udp"))):
                ls.backend = ("port", 80)
            ls.acls = [a for a in ls.acls if a in acl_slots]
            if ls.protocol == "https" and ls.cert not in cfg.certs:
                if cfg.certs:
                    ls.cert = cfg.certs[0]
                else:
                    ls.protocol, ls.cert = "http", None
                    for k in ("tls_cipher_policy", "enable_http2"):
                        ls.opts.pop(k, None)
            if ls.protocol != "https":
                ls.cert = None
            if ls.protocol not in ("http", "https"):
                for k in ("request_timeout", "idle_timeout", "health_check_uri", "sticky_session",
                          "sticky_session_type", "cookie_timeout", "cookie", "tls_cipher_policy", "enable_http2"):
                    ls.opts.pop(k, None)
            if ls.protocol != "tcp":
                ls.opts.pop("established_timeout", None)
            if ls.protocol not in ("tcp", "udp"):
                ls.opts.pop("persistence_timeout", None)
            if ls.protocol != "https":
                ls.opts.pop("tls_cipher_policy", None)
                ls.opts.pop("enable_http2", None)
        http = {ls.slot for ls in lb.listeners if ls.protocol in ("http", "https")}
        lb.rules = [r for r in lb.rules if r.listener in http and r.group in groups]
        if not lb.eni_ok:
            for g in lb.groups:
                g.members = [m for m in g.members if m.kind == "ecs"]
            if lb.default_servers:
                lb.default_servers = [m for m in lb.default_servers if m.kind == "ecs"]
    return cfg


def mutate(d: Draw, base: Config, *, n_edits: int | None = None) -> Config:
    """B as a few edits of A: the transitions a user makes day to day (re-point a listener, drain a
    server, swap two ports, replace a master-slave group, drop a load balancer ...)."""
    import copy

    cfg = copy.deepcopy(base)
    for _ in range(n_edits if n_edits is not None else d.integer(1, 3)):
        edit = d.choice(EDITS)
        if not cfg.lbs:
            break
        lb = d.choice(cfg.lbs)
        if edit == "weights":
            for g in lb.groups:
                for m in g.members:
                    if d.boolean():
                        m.weight = d.integer(0, 100)
            for m in lb.default_servers or []:
                m.weight = d.integer(0, 100)
        elif edit == "repoint" and lb.listeners:
            ls = d.choice(lb.listeners)
            opts: list[tuple[str, Any]] = [("port", d.choice(BACKEND_PORTS))]
            opts += [("group", g.slot) for g in lb.groups]
            if ls.protocol in ("tcp", "udp"):
                opts += [("ms", m.slot) for m in lb.ms_groups]
            ls.backend = d.choice(opts)
            for r in lb.rules:
                if lb.groups and d.boolean():
                    r.group = d.choice([g.slot for g in lb.groups])
        elif edit == "port_swap" and len(lb.listeners) >= 2:
            a, b = lb.listeners[0], lb.listeners[1]
            a.port, b.port = b.port, a.port
        elif edit == "port_swap" and lb.listeners:
            free = [p for p in PORT_POOL if p not in {ls.port for ls in lb.listeners}]
            lb.listeners[0].port = d.choice(free)
        elif edit == "protocol" and lb.listeners:
            ls = d.choice(lb.listeners)
            ls.protocol = d.choice(("tcp", "udp", "http") + (("https",) if cfg.certs else ()))
            if ls.protocol == "https":
                ls.cert = d.choice(cfg.certs)
        elif edit == "members" and lb.groups:
            g = d.choice(lb.groups)
            g.members = _members(d, lb, with_port=True, max_n=4)
        elif edit == "drop_group" and lb.groups:
            lb.groups.pop(d.integer(0, len(lb.groups) - 1))
        elif edit == "ms_replace" and lb.ms_groups:
            m = d.choice(lb.ms_groups)
            m.master, m.slave = m.slave, m.master
            if d.boolean():
                m.port = d.choice(BACKEND_PORTS)
        elif edit == "protection":
            lb.delete_protection = "on" if lb.delete_protection == "off" else "off"
        elif edit == "spec":
            lb.spec = d.choice(SPECS)
        elif edit == "address_type":
            lb.address_type = "internet" if lb.address_type == "intranet" else "intranet"
        elif edit == "drop_lb" and len(cfg.lbs) > 1:
            cfg.lbs.remove(lb)
        elif edit == "drop_listener" and lb.listeners:
            lb.listeners.pop(d.integer(0, len(lb.listeners) - 1))
        elif edit == "rules":
            http = [ls for ls in lb.listeners if ls.protocol in ("http", "https")]
            lb.rules = []
            if http and lb.groups:
                for r in range(d.integer(0, 3)):
                    url = URLS[r]
                    lb.rules.append(Rule(f"{lb.slot}_r{r}", d.choice(http).slot, f"r{r}-p", None, url,
                                         d.choice([g.slot for g in lb.groups])))
        elif edit == "acls":
            for a in cfg.acls:
                a.entries = [e for e in CIDR_POOL if d.integer(0, 2) == 0][:3]
            if cfg.acls and d.boolean():
                cfg.acls.pop()
        elif edit == "names":
            lb.name = f"cmp-{lb.slot}-{d.choice(('a', 'b', 'c'))}"
            for g in lb.groups:
                g.name = f"{g.slot}-{d.choice(('x', 'y', 'z'))}"
            cfg.instance_names[d.integer(0, N_INSTANCES - 1)] = f"cmp-s-{d.choice(('m', 'n'))}"
        elif edit == "regen_lb":
            n = cfg.lbs.index(lb)
            cfg.lbs[n] = _lb(d, int(lb.slot[2:]), cfg.acls, cfg.certs)
    for i, name in enumerate(cfg.instance_names):  # instance names must stay unique
        if cfg.instance_names.index(name) != i:
            cfg.instance_names[i] = f"{name}-{i}"
    return _fix(cfg)


def random_transition(seed: int, *, max_lbs: int = 2) -> tuple[Config, Config]:
    """(A, B) for ``seed``: half the time B edits A, otherwise B is drawn afresh on the same slots."""
    d = RandomDraw(random.Random(seed))
    a = gen_config(d, max_lbs=max_lbs)
    b = mutate(d, a) if d.boolean() else gen_config(d, max_lbs=max_lbs)
    return a, b


def random_config(seed: int, *, max_lbs: int = 2) -> Config:
    """The campaign's configuration for ``seed`` (same seed, same configuration)."""
    return gen_config(RandomDraw(random.Random(seed)), max_lbs=max_lbs)


# --- invalid configurations ----------------------------------------------------------------------
# Each breaks exactly one seed rule on top of a valid configuration. They must be refused by
# `clbplan validate` or `clbplan plan` with a located diagnostic, never half way through an apply.

def _lbref(cfg: Config) -> str:
    return f"alicloud_slb_load_balancer.{cfg.lbs[0].slot}.id"


def _bad_weight(cfg: Config, d: Draw) -> str:
    return (f'resource "alicloud_slb_server_group" "bad" {{\n  load_balancer_id = {_lbref(cfg)}\n  name = "bad"\n'
            f"  servers {{\n    server_ids = [alicloud_instance.s0.id]\n    port = 80\n"
            f"    weight = {d.choice((101, 150, -1))}\n  }}\n}}\n")


def _dup_port(cfg: Config, d: Draw) -> str:
    port = d.choice((7001, 7002))
    proto = d.choice(("tcp", "http", "https")) if cfg.certs else d.choice(("tcp", "http"))
    cert = "  server_certificate_id = alicloud_slb_server_certificate.c0.id\n" if proto == "https" else ""
    return "".join(f'resource "alicloud_slb_listener" "bad{i}" {{\n  load_balancer_id = {_lbref(cfg)}\n'
                   f'  protocol = "{p}"\n  frontend_port = {port}\n  backend_port = 80\n  bandwidth = 10\n{c}}}\n'
                   for i, (p, c) in enumerate((("tcp", ""), (proto, cert))))


def _ms_three(cfg: Config, d: Draw) -> str:
    n = d.choice((1, 3))
    servers = "".join(f'  servers {{\n    server_id = alicloud_instance.s{i}.id\n    port = 80\n'
                      f'    server_type = "{"Master" if i == 0 else "Slave"}"\n  }}\n' for i in range(n))
    return (f'resource "alicloud_slb_master_slave_server_group" "bad" {{\n  load_balancer_id = {_lbref(cfg)}\n'
            f'  name = "bad"\n{servers}}}\n')


def _ms_on_http(cfg: Config, d: Draw) -> str:
    return (_ms_pair(cfg) + f'resource "alicloud_slb_listener" "bad" {{\n  load_balancer_id = {_lbref(cfg)}\n'
            f'  protocol = "http"\n  frontend_port = 7003\n  bandwidth = 10\n'
            "  master_slave_server_group_id = alicloud_slb_master_slave_server_group.badms.id\n}\n")


def _ms_pair(cfg: Config) -> str:
    return (f'resource "alicloud_slb_master_slave_server_group" "badms" {{\n  load_balancer_id = {_lbref(cfg)}\n'
            '  name = "badms"\n'
            '  servers {\n    server_id = alicloud_instance.s0.id\n    port = 80\n    server_type = "Master"\n  }\n'
            '  servers {\n    server_id = alicloud_instance.s1.id\n    port = 80\n    server_type = "Slave"\n  }\n}\n')


def _rule_on_tcp(cfg: Config, d: Draw) -> str:
    proto = d.choice(("tcp", "udp"))
    return (f'resource "alicloud_slb_server_group" "badg" {{\n  load_balancer_id = {_lbref(cfg)}\n  name = "badg"\n}}\n'
            f'resource "alicloud_slb_listener" "bad" {{\n  load_balancer_id = {_lbref(cfg)}\n  protocol = "{proto}"\n'
            "  frontend_port = 7004\n  backend_port = 80\n  bandwidth = 10\n}\n"
            f'resource "alicloud_slb_rule" "bad" {{\n  load_balancer_id = {_lbref(cfg)}\n'
            "  frontend_port = alicloud_slb_listener.bad.frontend_port\n  url = \"/bad\"\n"
            "  server_group_id = alicloud_slb_server_group.badg.id\n}\n")


def _eni_on_shared(cfg: Config, d: Draw) -> str:
    return ('resource "alicloud_slb_load_balancer" "shared" {\n  load_balancer_name = "cmp-shared"\n'
            '  address_type = "intranet"\n  vswitch_id = alicloud_vswitch.main.id\n'
            '  instance_charge_type = "PayBySpec"\n}\n'
            'resource "alicloud_slb_server_group" "bad" {\n  load_balancer_id = alicloud_slb_load_balancer.shared.id\n'
            '  name = "bad"\n  servers {\n    server_ids = [alicloud_ecs_network_interface.e0.id]\n    port = 80\n'
            '    type = "eni"\n  }\n}\n')


def _too_many_listeners(cfg: Config, d: Draw) -> str:
    n = 51 - len(cfg.lbs[0].listeners) + d.integer(0, 3)
    return (f'resource "alicloud_slb_listener" "bad" {{\n  count = {n}\n  load_balancer_id = {_lbref(cfg)}\n'
            '  protocol = "tcp"\n  frontend_port = 10000 + count.index\n  backend_port = 80\n  bandwidth = 1\n}\n')


def _too_many_acls(cfg: Config, d: Draw) -> str:
    acls = "".join(f'resource "alicloud_slb_acl" "bad{i}" {{\n  name = "cmp-bad{i}"\n}}\n' for i in range(4))
    ids = ", ".join(f"alicloud_slb_acl.bad{i}.id" for i in range(4))
    return acls + (f'resource "alicloud_slb_listener" "bad" {{\n  load_balancer_id = {_lbref(cfg)}\n'
                   '  protocol = "tcp"\n  frontend_port = 7005\n  backend_port = 80\n  bandwidth = 10\n'
                   f'  acl_status = "on"\n  acl_type = "white"\n  acl_ids = [{ids}]\n}}\n')


def _listener_attr(name: str, value: str, proto: str = "http") -> Any:
    def make(cfg: Config, d: Draw) -> str:
        bw = "" if proto == "http" or name == "bandwidth" else "  bandwidth = 10\n"
        return (f'resource "alicloud_slb_listener" "bad" {{\n  load_balancer_id = {_lbref(cfg)}\n'
                f'  protocol = "{proto}"\n  frontend_port = {4789 if name == "udp_port" else 7006}\n'
                f"  backend_port = 80\n{bw}" + (f"  {name} = {value}\n" if name != "udp_port" else "") + "}\n")
    return make


def _rule_other_lb(cfg: Config, d: Draw) -> str:
    return ('resource "alicloud_slb_load_balancer" "other" {\n  load_balancer_name = "cmp-other"\n'
            '  address_type = "internet"\n  load_balancer_spec = "slb.s1.small"\n}\n'
            'resource "alicloud_slb_server_group" "other" {\n'
            '  load_balancer_id = alicloud_slb_load_balancer.other.id\n  name = "other"\n}\n'
            f'resource "alicloud_slb_listener" "bad" {{\n  load_balancer_id = {_lbref(cfg)}\n  protocol = "http"\n'
            "  frontend_port = 7007\n  server_group_id = alicloud_slb_server_group.other.id\n}\n")


def _undeclared(cfg: Config, d: Draw) -> str:
    return (f'resource "alicloud_slb_listener" "bad" {{\n  load_balancer_id = {_lbref(cfg)}\n  protocol = "tcp"\n'
            "  frontend_port = 7008\n  bandwidth = 10\n  server_group_id = alicloud_slb_server_group.nowhere.id\n}\n")


INVALID: dict[str, Any] = {
    "weight_out_of_range": _bad_weight,
    "duplicate_port": _dup_port,
    "ms_group_not_two": _ms_three,
    "ms_group_on_http": _ms_on_http,
    "rule_on_l4_listener": _rule_on_tcp,
    "eni_on_shared_lb": _eni_on_shared,
    "more_than_50_listeners": _too_many_listeners,
    "more_than_3_acls": _too_many_acls,
    "https_without_certificate": _listener_attr("health_check", "\"on\"", "https"),
    "udp_reserved_port": _listener_attr("udp_port", "", "udp"),
    "sticky_without_type": _listener_attr("sticky_session", '"on"'),
    "bandwidth_zero": _listener_attr("bandwidth", "0", "tcp"),
    "unknown_argument": _listener_attr("frontend_prot", "80", "tcp"),
    "bad_scheduler": _listener_attr("scheduler", '"fastest"', "tcp"),
    "group_of_other_lb": _rule_other_lb,
    "undeclared_reference": _undeclared,
}


# kind -> words the diagnostic must contain (so the test knows the right rule fired, not a typo of ours)
EXPECT: dict[str, str] = {
    "weight_out_of_range": "out of range", "duplicate_port": "duplicate", "ms_group_not_two": "exactly two",
    "ms_group_on_http": "master-slave", "rule_on_l4_listener": "forwarding rule", "eni_on_shared_lb": "ENI",
    "more_than_50_listeners": "at most 50", "more_than_3_acls": "at most 3",
    "https_without_certificate": "server_certificate_id", "udp_reserved_port": "4789",
    "sticky_without_type": "sticky_session_type", "bandwidth_zero": "bandwidth",
    "unknown_argument": "frontend_prot", "bad_scheduler": "scheduler", "group_of_other_lb": "belongs to",
    "undeclared_reference": "undeclared",
}


def gen_invalid(d: Draw) -> tuple[str, str]:
    """(kind, main.tf text): a valid configuration plus one resource that breaks one rule."""
    cfg = gen_config(d, max_lbs=1)
    kind = d.choice(sorted(INVALID))
    cfg.extra = INVALID[kind](cfg, d)
    return kind, render(cfg)
