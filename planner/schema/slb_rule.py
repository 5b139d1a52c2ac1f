"""alicloud_slb_rule: a forwarding rule (domain and/or URL -> VServer group) on an HTTP/HTTPS listener."""

from __future__ import annotations

from typing import TYPE_CHECKING

from planner.diagnostics import Diagnostic
from planner.schema._checks import err, known, warn
from planner.schema._dsl import (
    OC,
    ON_OFF,
    PORT,
    URI,
    O,
    R,
    all_of,
    comma_list_of,
    length,
    matches,
    table,
)
from planner.schema.base import ResourceSchema
from planner.schema.slb_listener import COOKIE, HTTP_CODES


def _not_root(v: object) -> str | None:
    return 'must not be "/" alone (a rule for every path is what the listener already does)' \
        if v == "/" else None


DOMAIN = all_of(length(1, 80), matches(r"(\*\.)?[A-Za-z0-9.\-]+|[A-Za-z0-9.\-]+",
                                       "may use letters, digits, '-', '.' and a leading '*.' wildcard"))
RULE_NAME = all_of(length(1, 40), matches(r"[\w\-/.\u4e00-\u9fff]+", "may use letters, digits and -/._"))

ATTRIBUTES = table(
    R("load_balancer_id", force_new=True),
    R("frontend_port", "number", force_new=True, ranges=PORT,
      description="the port of the http/https listener this rule belongs to"),
    O("name", default="tf-slb-rule", check=RULE_NAME),
    O("domain", force_new=True, check=DOMAIN),
    O("url", force_new=True, check=all_of(URI, _not_root)),
    R("server_group_id"),
    O("listener_sync", default="on", one_of=ON_OFF),
    O("scheduler", default="wrr", one_of=("wrr", "wlc", "rr")),
    O("sticky_session", default="off", one_of=ON_OFF),
    O("sticky_session_type", one_of=("insert", "server")),
    O("cookie_timeout", "number", ranges=((0, 86400),)),
    O("cookie", check=COOKIE),
    O("health_check", default="on", one_of=ON_OFF),
    O("health_check_http_code", default="http_2xx", check=comma_list_of(*HTTP_CODES)),
    O("health_check_interval", "number", default=2, ranges=((1, 50),)),
    O("health_check_domain", check=length(1, 80)),
    O("health_check_uri", default="/", check=URI),
    OC("health_check_connect_port", "number", ranges=((1, 65535), (-520, -520))),
    O("health_check_timeout", "number", default=5, ranges=((1, 300),)),
    O("healthy_threshold", "number", default=3, ranges=((1, 10),)),
    O("unhealthy_threshold", "number", default=3, ranges=((1, 10),)),
    O("delete_protection_validation", "bool", default=False),
)

if TYPE_CHECKING:
    from planner.config.model import ResourceInstance


def rule_checks(attrs: dict, inst: ResourceInstance) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    if attrs.get("domain") is None and attrs.get("url") is None:
        out.append(err(inst, (), "a forwarding rule needs domain or url",
                       'set domain = "www.example.com" and/or url = "/api"'))
    if attrs.get("listener_sync") == "off" and attrs.get("sticky_session") == "on":
        stype = attrs.get("sticky_session_type")
        if stype is None:
            out.append(err(inst, ("sticky_session",), 'sticky_session = "on" needs sticky_session_type',
                           'set sticky_session_type = "insert" or "server"'))
        elif stype == "insert" and attrs.get("cookie_timeout") is None:
            out.append(err(inst, ("sticky_session_type",), "insert stickiness needs cookie_timeout",
                           "set cookie_timeout (seconds the inserted cookie lives)"))
        elif stype == "server" and attrs.get("cookie") is None:
            out.append(err(inst, ("sticky_session_type",), "server stickiness needs cookie",
                           "set cookie to the name of your application's session cookie"))
    if attrs.get("listener_sync") == "on":
        for name in ("sticky_session_type", "cookie", "cookie_timeout", "health_check_domain"):
            if known(attrs.get(name)):
                out.append(warn(inst, (name,), f'{name} has no effect while listener_sync = "on"',
                                f'the rule inherits the listener settings; set listener_sync = "off" to use {name}'))
    return out


SCHEMA = ResourceSchema("alicloud_slb_rule", ATTRIBUTES, instance_checks=[rule_checks],
                        description="A forwarding rule of an HTTP/HTTPS listener.")
