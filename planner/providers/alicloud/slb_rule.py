"""``alicloud_slb_rule``: forwarding rules of HTTP/HTTPS listeners (reference 4.8, 5.6).

Create = ``CreateRules`` (+ ``SetRule`` only when the rule has its own settings, i.e.
``listener_sync = "off"``, or the name/group need it). Read is bulk: one ``DescribeRules`` per
(load balancer, frontend port) returns every rule of that listener with all its fields.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from planner.providers.base import BaseHandler, CallContext, ProviderError, register
from planner.providers.errors import ApiError

from .common import SLB, clean, dumps, items, none_if_empty, to_int

NOT_FOUND = "InvalidRuleId.NotFound"
_LISTENER_GONE = ("ListenerNotFound", "InvalidLoadBalancerId.NotFound", "ResourceNotFound.Listener")

# (terraform, API, kind) for the settings that matter only when listener_sync is off
_OWN = [
    ("scheduler", "Scheduler", "str"), ("sticky_session", "StickySession", "str"),
    ("health_check", "HealthCheck", "str"),
]
_STICKY = [("sticky_session_type", "StickySessionType", "str"), ("cookie_timeout", "CookieTimeout", "int"),
           ("cookie", "Cookie", "str")]
_HC = [("health_check_http_code", "HealthCheckHttpCode", "str"), ("health_check_interval", "HealthCheckInterval", "int"),
       ("health_check_domain", "HealthCheckDomain", "str"), ("health_check_uri", "HealthCheckURI", "str"),
       ("health_check_connect_port", "HealthCheckConnectPort", "int"),
       ("health_check_timeout", "HealthCheckTimeout", "int"), ("healthy_threshold", "HealthyThreshold", "int"),
       ("unhealthy_threshold", "UnhealthyThreshold", "int")]


def _conv(kind: str, v: Any) -> Any:
    return to_int(v) if kind == "int" else none_if_empty(v)


@register("alicloud_slb_rule")
class RuleHandler(BaseHandler):
    config_only = ("delete_protection_validation",)

    def _set_params(self, a: dict) -> dict[str, Any]:
        p: dict[str, Any] = {"RuleId": a["id"], "VServerGroupId": a.get("server_group_id"),
                             "RuleName": a.get("name"), "ListenerSync": a.get("listener_sync") or "on"}
        if p["ListenerSync"] == "off":
            for tf, api, _ in _OWN:
                if a.get(tf) is not None:
                    p[api] = a[tf]
            if a.get("sticky_session") == "on":
                for tf, api, _ in _STICKY:
                    if a.get(tf) not in (None, ""):
                        p[api] = a[tf]
            if (a.get("health_check") or "on") == "on":
                for tf, api, _ in _HC:
                    if a.get(tf) not in (None, ""):
                        p[api] = a[tf]
        return clean(p)

    def create(self, planned: dict, ctx: CallContext) -> dict:
        lb, port = planned["load_balancer_id"], int(planned["frontend_port"])
        if ctx.adopt_existing:  # recovery: the rule may exist from our earlier attempt
            found = self._find(lb, port, planned, ctx)
            if found is not None:
                a = dict(planned, id=items(found, "Rules", "Rule")[0]["RuleId"])
                return self.update(a, a, ctx)
        rule = clean({"RuleName": planned.get("name"), "Domain": planned.get("domain") or None,
                      "Url": planned.get("url") or None, "VServerGroupId": planned.get("server_group_id")})
        params = {"LoadBalancerId": lb, "ListenerPort": port, "RuleList": dumps([rule]),
                  "ClientToken": ctx.token("create")}
        # a UDP listener may share the port (the Terraform provider stops at TooManyListeners there)
        resp = _on_rule_listener(params, lambda q: ctx.write(SLB, "CreateRules", q,
                                                            reconcile=lambda: self._find(lb, port, planned, ctx)))
        got = items(resp, "Rules", "Rule")
        rid = got[0].get("RuleId") if got else None
        if not rid:
            raise ProviderError("CreateRules returned no RuleId")
        a = dict(planned, id=rid)
        if (planned.get("listener_sync") or "on") == "off":
            ctx.write(SLB, "SetRule", self._set_params(a))
        return self.must_read(a, ctx)

    def _find(self, lb: str, port: int, planned: dict, ctx: CallContext) -> dict | None:
        """After a lost CreateRules response: the rule exists if its (domain, url) is there."""
        for r in self._rules(lb, port, ctx) or []:
            if (none_if_empty(r.get("Domain")), none_if_empty(r.get("Url"))) == (
                    planned.get("domain") or None, planned.get("url") or None):
                return {"Rules": {"Rule": [{"RuleId": r["RuleId"], "RuleName": r.get("RuleName")}]}}
        return None

    def update(self, prior: dict, planned: dict, ctx: CallContext) -> dict:
        a = dict(planned, id=prior["id"])
        ctx.write(SLB, "SetRule", self._set_params(a))
        return self.must_read(a, ctx)

    def delete(self, prior: dict, ctx: CallContext) -> None:
        try:
            ctx.write(SLB, "DeleteRules", {"RuleIds": dumps([prior["id"]])}, already_done=(NOT_FOUND,))
        except ApiError as e:
            if e.code != NOT_FOUND:
                raise

    def _rules(self, lb: str, port: int, ctx: CallContext) -> list[dict] | None:
        try:
            resp = _on_rule_listener({"LoadBalancerId": lb, "ListenerPort": port},
                                     lambda q: ctx.read(SLB, "DescribeRules", q))
        except ApiError as e:
            if _listener_gone(e):
                return None
            raise
        return items(resp, "Rules", "Rule")

    def read_many(self, priors: list[dict], ctx: CallContext) -> list[dict | None]:
        def listener_rules(key: tuple[str, int]) -> dict[str, dict] | None:
            rules = self._rules(*key, ctx)
            return None if rules is None else {r["RuleId"]: r for r in rules}

        keyed = [p.get("load_balancer_id") and p.get("frontend_port") is not None for p in priors]
        # one describe per listener, however many rules it has
        cache = ctx.read_each(listener_rules, ((p["load_balancer_id"], int(p["frontend_port"]))
                                               for p, k in zip(priors, keyed, strict=True) if k))
        out: list[dict | None] = []
        for p, k in zip(priors, keyed, strict=True):
            if not k:
                out.append(self._read_by_id(p, ctx))
                continue
            key = (p["load_balancer_id"], int(p["frontend_port"]))
            r = (cache[key] or {}).get(p["id"])
            out.append(None if r is None else self.to_attrs(r, p, key))
        return out

    def _read_by_id(self, p: dict, ctx: CallContext) -> dict | None:
        try:
            r = ctx.read(SLB, "DescribeRuleAttribute", {"RuleId": p["id"]})
        except ApiError as e:
            if e.code == NOT_FOUND:
                return None
            raise
        if r.get("RuleId") and r["RuleId"] != p["id"]:
            return None
        return self.to_attrs(r, p, (r.get("LoadBalancerId"), to_int(r.get("ListenerPort"))))

    def to_attrs(self, r: dict, prior: dict, key: tuple) -> dict:
        a = dict(prior)
        a.update(id=r.get("RuleId") or prior["id"], load_balancer_id=key[0], frontend_port=key[1],
                 name=r.get("RuleName"), domain=none_if_empty(r.get("Domain")), url=none_if_empty(r.get("Url")),
                 server_group_id=r.get("VServerGroupId"), listener_sync=r.get("ListenerSync") or "on")
        if a["listener_sync"] == "off":  # the rule's own settings are effective (else suppressed)
            for tf, api, kind in _OWN:
                if api in r:
                    a[tf] = _conv(kind, r[api])
            if a.get("sticky_session") == "on":
                for tf, api, kind in _STICKY:
                    if api in r:
                        a[tf] = _conv(kind, r[api])
            if a.get("health_check") == "on":
                for tf, api, kind in _HC:
                    if api in r:
                        a[tf] = _conv(kind, r[api])
        return self.carry(prior, a)


def _listener_gone(e: ApiError) -> bool:
    return e.code in _LISTENER_GONE or "does not exist" in e.message


def _on_rule_listener(params: dict, call: Callable[[dict], dict]) -> dict:
    """``call(params)`` on the listener of (load balancer, port) that can hold rules.

    Without ``ListenerProtocol`` the API answers TooManyListeners when a UDP listener shares the port;
    that refusal changed nothing, so the call is made again naming the HTTP, then the HTTPS protocol
    (rules live only there). A listener that is gone raises its ApiError."""
    try:
        return call(params)
    except ApiError as e:
        if e.code != "TooManyListeners":
            raise
    last: ApiError | None = None
    for proto in ("http", "https"):
        try:
            return call(dict(params, ListenerProtocol=proto))
        except ApiError as e:
            if not _listener_gone(e):
                raise
            last = e
    assert last is not None
    raise last
