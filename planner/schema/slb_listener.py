"""alicloud_slb_listener: one listener of any protocol (tcp, udp, http, https) in one resource.

The provider accepts every protocol's arguments on every listener and silently ignores the ones
that do not apply. We mirror its table (clb-api.md 4.2, 7.1-7.6) and then say so when a user
asks for behaviour the protocol cannot give (``sticky_session = "on"`` on a TCP listener):
an error, because the cloud would quietly do something else. Settings that are merely unused
in the chosen mode (a cookie with ``insert`` stickiness) are warnings.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from planner.diagnostics import Diagnostic
from planner.schema._checks import err, known, set_by_user, warn
from planner.schema._dsl import (
    ALIAS,
    GONE,
    OC,
    ON_OFF,
    PORT,
    URI,
    C,
    O,
    R,
    all_of,
    block,
    comma_list_of,
    length,
    matches,
    table,
)
from planner.schema.base import ResourceSchema

HTTP_CODES = ("http_2xx", "http_3xx", "http_4xx", "http_5xx")
TLS_POLICIES = ("tls_cipher_policy_1_0", "tls_cipher_policy_1_1", "tls_cipher_policy_1_2",
                "tls_cipher_policy_1_2_strict", "tls_cipher_policy_1_2_strict_with_1_3")



def _tls_policy(v: object) -> str | None:
    if isinstance(v, str) and v not in TLS_POLICIES and not v.startswith("tls-"):
        return f"must be one of {', '.join(TLS_POLICIES)}, or a custom policy id (tls-...)"
    return None


COOKIE = all_of(length(1, 200), matches(r"[^$,; ][^,; ]*",
                                        "must not contain ',', ';' or spaces nor start with '$'"))


def _not_ip_macro(v: Any) -> str | None:
    if v == "$_ip":
        return 'must not be "$_ip" (leave health_check_domain unset to use the backend private IP)'
    return None


ATTRIBUTES = table(
    R("load_balancer_id", force_new=True),
    R("frontend_port", "number", force_new=True, ranges=PORT),
    R("protocol", force_new=True, one_of=("http", "https", "tcp", "udp")),
    O("backend_port", "number", force_new=True, ranges=PORT),
    OC("bandwidth", "number", ranges=((-1, -1), (1, 1000)),
       description="-1 means unlimited (pay-by-traffic); otherwise Mbit/s"),
    O("scheduler", default="wrr", one_of=("wrr", "wlc", "rr", "sch", "tch", "qch")),
    O("server_group_id"),
    O("master_slave_server_group_id"),
    O("acl_status", default="off", one_of=ON_OFF),
    O("acl_type", one_of=("black", "white")),
    OC("acl_ids", "set(string)", released_when=("acl_status", "off")),
    OC("acl_id", deprecated='"acl_id" is deprecated; use acl_ids = [...] instead', conflicts_with=("acl_ids",),
       released_when=("acl_status", "off")),
    O("description", check=length(1, 256)),
    O("sticky_session", default="off", one_of=ON_OFF),
    O("sticky_session_type", one_of=("insert", "server")),
    O("cookie_timeout", "number", ranges=((1, 86400),),
      description="seconds the inserted cookie lives (insert stickiness)"),
    O("cookie", check=COOKIE, description="the application cookie to rewrite (server stickiness)"),
    O("persistence_timeout", "number", default=0, ranges=((0, 3600),),
      description="seconds of source-IP persistence; 0 turns it off"),
    O("health_check", default="on", one_of=ON_OFF),
    OC("health_check_method", one_of=("head", "get")),
    O("health_check_type", default="tcp", one_of=("tcp", "http")),
    O("health_check_domain", check=all_of(_not_ip_macro, length(1, 80))),
    O("health_check_uri", default="/", check=URI),
    OC("health_check_connect_port", "number", ranges=((0, 65535), (-520, -520)),
       description="-520 means: use the backend server port"),
    O("healthy_threshold", "number", default=3, ranges=((1, 10),),
      description="consecutive successes before a server counts as healthy"),
    O("unhealthy_threshold", "number", default=3, ranges=((1, 10),),
      description="consecutive failures before a server counts as unhealthy"),
    O("health_check_timeout", "number", default=5, ranges=((1, 300),),
      description="seconds to wait for a health-check answer"),
    O("health_check_interval", "number", default=2, ranges=((1, 50),),
      description="seconds between two health checks"),
    OC("health_check_http_code", check=comma_list_of(*HTTP_CODES)),
    OC("server_certificate_id"),
    ALIAS("ssl_certificate_id", "server_certificate_id"),
    O("ca_certificate_id"),
    O("gzip", "bool", default=True),
    O("established_timeout", "number", default=900, ranges=((10, 900),),
      description="seconds an idle TCP connection is kept"),
    O("idle_timeout", "number", default=15, ranges=((1, 60),),
      description="seconds an idle HTTP connection is kept"),
    O("request_timeout", "number", default=60, ranges=((1, 180),),
      description="seconds to wait for a backend answer before returning 504"),
    O("enable_http2", default="on", one_of=ON_OFF),
    O("tls_cipher_policy", default="tls_cipher_policy_1_0", check=_tls_policy,
      description="a built-in tls_cipher_policy_* or the id of an alicloud_slb_tls_cipher_policy"),
    OC("listener_forward", force_new=True, one_of=ON_OFF),
    O("forward_port", "number", force_new=True, ranges=PORT),
    OC("proxy_protocol_v2_enabled", "bool"),
    O("delete_protection_validation", "bool"),
    GONE("lb_port", "lb_port was removed (provider 1.211.0); use frontend_port"),
    GONE("instance_port", "instance_port was removed (provider 1.211.0); use backend_port"),
    GONE("lb_protocol", "lb_protocol was removed (provider 1.211.0); use protocol"),
)

if TYPE_CHECKING:
    from planner.config.model import ResourceInstance

BLOCKS = {
    "x_forwarded_for": block(
        "x_forwarded_for",
        C("retrive_client_ip", "bool"),
        O("retrive_slb_ip", "bool", default=False),
        O("retrive_slb_id", "bool", default=False),
        O("retrive_slb_proto", "bool", default=False),
        max_items=1, computed=True,
    ),
}

RESERVED_UDP_PORT = 4789
HTTP_FAMILY = frozenset({"http", "https"})
L4 = frozenset({"tcp", "udp"})
# argument -> protocols on which setting it (to a non-default value) can have any effect
APPLIES_TO: dict[str, frozenset[str]] = {
    "sticky_session": HTTP_FAMILY, "sticky_session_type": HTTP_FAMILY, "cookie_timeout": HTTP_FAMILY,
    "cookie": HTTP_FAMILY, "health_check": HTTP_FAMILY, "health_check_method": HTTP_FAMILY,
    "gzip": HTTP_FAMILY, "idle_timeout": HTTP_FAMILY, "request_timeout": HTTP_FAMILY,
    "health_check_type": frozenset({"tcp"}), "established_timeout": frozenset({"tcp"}),
    "health_check_domain": HTTP_FAMILY | {"tcp"}, "health_check_uri": HTTP_FAMILY | {"tcp"},
    "health_check_http_code": HTTP_FAMILY | {"tcp"},
    "persistence_timeout": L4, "master_slave_server_group_id": L4, "proxy_protocol_v2_enabled": L4,
    "server_certificate_id": frozenset({"https"}), "ca_certificate_id": frozenset({"https"}),
    "enable_http2": frozenset({"https"}), "tls_cipher_policy": frozenset({"https"}),
    "listener_forward": frozenset({"http"}), "forward_port": frozenset({"http"}),
}
SCHEDULER_PROTOCOLS = {"sch": L4, "tch": L4, "qch": frozenset({"udp"})}
HTTP_HC_PARAMS = ("health_check_domain", "health_check_uri", "health_check_http_code")
HC_PARAMS = HTTP_HC_PARAMS + ("health_check_connect_port", "healthy_threshold", "unhealthy_threshold",
                              "health_check_timeout", "health_check_interval", "health_check_method")


def _default(name: str) -> Any:
    return ATTRIBUTES[name].default


def _user(inst: ResourceInstance, attrs: dict, name: str) -> bool:
    if name == "proxy_protocol_v2_enabled":
        return attrs.get(name) is True
    return set_by_user(inst, attrs, name, _default(name))


def _applicability(attrs: dict, inst: ResourceInstance, proto: str) -> list[Diagnostic]:
    out = []
    for name, protos in APPLIES_TO.items():
        if proto not in protos and _user(inst, attrs, name):
            where = "/".join(sorted(protos))
            if name == "master_slave_server_group_id":
                out.append(err(inst, (name,), f"a master-slave server group cannot serve a {proto} listener",
                               "master-slave groups work only behind tcp/udp listeners; use server_group_id "
                               "with a VServer group for http/https"))
                continue
            out.append(err(inst, (name,), f'"{name}" does not apply to a {proto} listener',
                           f"{name} works only on {where} listeners; remove it or change protocol"))
    xff = attrs.get("x_forwarded_for")
    if proto in L4 and isinstance(xff, list) and any(
            isinstance(b, dict) and any(b.get(k) is True for k in ("retrive_slb_ip", "retrive_slb_id",
                                                                   "retrive_slb_proto")) for b in xff):
        out.append(err(inst, ("x_forwarded_for",), f"x_forwarded_for does not apply to a {proto} listener",
                       "X-Forwarded-For headers exist only on http/https listeners; remove the block"))
    sched = attrs.get("scheduler")
    if sched in SCHEDULER_PROTOCOLS and proto not in SCHEDULER_PROTOCOLS[sched]:
        allowed = "/".join(sorted(SCHEDULER_PROTOCOLS[sched]))
        out.append(err(inst, ("scheduler",), f'scheduler "{sched}" is not available on a {proto} listener',
                       f"{sched} works only on {allowed} listeners; use wrr, wlc or rr"))
    return out


def _backend(attrs: dict, inst: ResourceInstance, proto: str) -> list[Diagnostic]:
    out = []
    sg, ms = attrs.get("server_group_id"), attrs.get("master_slave_server_group_id")
    if sg is not None and ms is not None:
        out.append(err(inst, ("master_slave_server_group_id",),
                       "a listener can use only one of server_group_id and master_slave_server_group_id",
                       "keep one: a VServer group (server_group_id) or a master-slave group, not both"))
    forward = attrs.get("listener_forward") == "on"
    if not forward and attrs.get("backend_port") is None and sg is None and ms is None:
        out.append(err(inst, (), "the listener has no backend",
                       "set backend_port (default server group), server_group_id or "
                       "master_slave_server_group_id"))
    if forward and proto == "http" and attrs.get("forward_port") is None:
        out.append(err(inst, ("listener_forward",), 'listener_forward = "on" needs forward_port',
                       "set forward_port to the port of the https listener that receives the redirect"))
    if not forward and proto == "http" and known(attrs.get("forward_port")):
        out.append(warn(inst, ("forward_port",), 'forward_port has no effect unless listener_forward = "on"',
                        'set listener_forward = "on" to redirect to that https port, or remove forward_port'))
    return out


def _sticky(attrs: dict, inst: ResourceInstance) -> list[Diagnostic]:
    out = []
    stype = attrs.get("sticky_session_type")
    if attrs.get("sticky_session") == "on":
        if stype is None:
            out.append(err(inst, ("sticky_session",), 'sticky_session = "on" needs sticky_session_type',
                           'set sticky_session_type = "insert" (the CLB inserts a cookie) or "server" '
                           "(it rewrites your application's cookie)"))
        elif stype == "insert" and attrs.get("cookie_timeout") is None:
            out.append(err(inst, ("sticky_session_type",), 'insert stickiness needs cookie_timeout',
                           "set cookie_timeout (1-86400 seconds): how long the inserted cookie keeps a "
                           "client on one server"))
        elif stype == "server" and attrs.get("cookie") is None:
            out.append(err(inst, ("sticky_session_type",), "server stickiness needs cookie",
                           "set cookie to the name of your application's session cookie"))
        if stype == "insert" and known(attrs.get("cookie")):
            out.append(warn(inst, ("cookie",), "cookie is ignored with insert stickiness",
                            'remove cookie, or use sticky_session_type = "server" to rewrite your cookie'))
        if stype == "server" and known(attrs.get("cookie_timeout")):
            out.append(warn(inst, ("cookie_timeout",), "cookie_timeout is ignored with server stickiness",
                            "your application's cookie sets its own lifetime; remove cookie_timeout"))
    elif attrs.get("sticky_session") == "off":
        for name in ("sticky_session_type", "cookie", "cookie_timeout"):
            if known(attrs.get(name)):
                out.append(warn(inst, (name,), f'{name} has no effect while sticky_session = "off"',
                                f'set sticky_session = "on" to use it, or remove {name}'))
    return out


def _health(attrs: dict, inst: ResourceInstance, proto: str) -> list[Diagnostic]:
    out = []
    if proto in HTTP_FAMILY and attrs.get("health_check") == "off":
        for name in HC_PARAMS:
            if _user(inst, attrs, name):
                out.append(warn(inst, (name,), f'{name} has no effect while health_check = "off"',
                                f'set health_check = "on" or remove {name}'))
    if proto == "tcp" and attrs.get("health_check_type") == "tcp":
        for name in HTTP_HC_PARAMS:
            if _user(inst, attrs, name):
                out.append(warn(inst, (name,), f"{name} is unused by a tcp health check",
                                f'set health_check_type = "http" to check over HTTP, or remove {name}'))
    return out


def _acl(attrs: dict, inst: ResourceInstance) -> list[Diagnostic]:
    out = []
    ids = attrs.get("acl_ids")
    has_acl = (isinstance(ids, list) and len(ids) > 0) or ids is not None and not isinstance(ids, list) \
        or attrs.get("acl_id") is not None
    if attrs.get("acl_status") == "on":
        if not has_acl:
            out.append(err(inst, ("acl_status",), 'acl_status = "on" needs acl_ids',
                           "set acl_ids = [alicloud_slb_acl.<name>.id]"))
        if attrs.get("acl_type") is None:
            out.append(err(inst, ("acl_status",), 'acl_status = "on" needs acl_type',
                           'set acl_type = "white" (allow only listed sources) or "black" (deny them)'))
    elif attrs.get("acl_status") == "off" and (has_acl or known(attrs.get("acl_type"))):
        out.append(warn(inst, ("acl_status",), 'ACL settings have no effect while acl_status = "off"',
                        'set acl_status = "on" to enforce the access control list'))
    if isinstance(ids, list) and len(ids) > 3:
        out.append(err(inst, ("acl_ids",), f"{len(ids)} ACLs on one listener; at most 3 are allowed",
                       "merge the entries into at most three access control lists"))
    return out


def listener_checks(attrs: dict, inst: ResourceInstance) -> list[Diagnostic]:
    """Cross-attribute rules of one listener; protocol unknown -> nothing to say yet."""
    proto = attrs.get("protocol")
    if not isinstance(proto, str):
        return []
    out = _applicability(attrs, inst, proto) + _backend(attrs, inst, proto) + _acl(attrs, inst)
    if proto in HTTP_FAMILY:
        out += _sticky(attrs, inst)
    out += _health(attrs, inst, proto)
    if proto != "http" and attrs.get("bandwidth") is None:
        out.append(err(inst, ("protocol",), f"a {proto} listener needs bandwidth",
                       "set bandwidth = -1 (no cap, for pay-by-traffic load balancers) or a cap of 1-1000 "
                       "Mbit/s; the cloud requires it for tcp, udp and https listeners"))
    if proto == "udp" and attrs.get("frontend_port") == RESERVED_UDP_PORT:
        out.append(err(inst, ("frontend_port",), f"udp port {RESERVED_UDP_PORT} is reserved by the cloud",
                       "use another frontend_port (4789 carries VXLAN traffic inside CLB)"))
    if proto == "https" and attrs.get("server_certificate_id") is None:
        out.append(err(inst, ("protocol",), "an https listener needs server_certificate_id",
                       "upload the certificate with alicloud_slb_server_certificate and set "
                       "server_certificate_id = alicloud_slb_server_certificate.<name>.id"))
    return out


SCHEMA = ResourceSchema("alicloud_slb_listener", ATTRIBUTES, BLOCKS, instance_checks=[listener_checks],
                        description="A listener (frontend protocol and port) of a load balancer.")
