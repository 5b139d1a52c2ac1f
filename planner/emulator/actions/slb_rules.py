"""Forwarding rules of HTTP/HTTPS listeners: CreateRules, SetRule, DeleteRules, Describe*."""

from __future__ import annotations

import re
from typing import Any

from planner.emulator.actions.common import (
    VSG_NOT_EXIST,
    find_listener,
    lb_param,
    listener_id,
    listener_status,
)
from planner.emulator.codes import err, invalid
from planner.emulator.params import Params
from planner.emulator.registry import Ctx, action

MAX_RULES_PER_LISTENER = 40
MAX_RULES_PER_CALL = 10
_DOMAIN = re.compile(r"^(\*\.)?[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*$|^\*?[A-Za-z0-9.-]+\*?$")
_URL = re.compile(r"^/[A-Za-z0-9\-/.%?#&=_~]{1,79}$")
_RULE_NAME = re.compile(r"^[A-Za-z0-9\u4e00-\u9fa5\-/._]{1,40}$")
RULE_FIELDS = ("Scheduler", "StickySession", "StickySessionType", "CookieTimeout", "Cookie", "HealthCheck",
               "HealthCheckDomain", "HealthCheckURI", "HealthCheckConnectPort", "HealthyThreshold",
               "UnhealthyThreshold", "HealthCheckTimeout", "HealthCheckInterval", "HealthCheckHttpCode")


def _rule_vsg(ctx: Ctx, lb_id: str, gid: str) -> None:
    g = ctx.store.get("vsg", gid)
    if g is None or g["RegionId"] != ctx.region:
        raise err("InvalidParameter", VSG_NOT_EXIST, status=404)
    if g["LoadBalancerId"] != lb_id:
        raise err("InvalidParameter", "The specified VServerGroupId does not belong to the LoadBalancerId of "
                                      "the rule.")


def _save_rule(ctx: Ctx, r: dict[str, Any]) -> None:
    ctx.store.put("rule", r["RuleId"], r, region=ctx.region, lb_id=r["LoadBalancerId"],
                  refs=[("vsg", r["VServerGroupId"]), ("listener", r["_listener"])])


def _listener_rules(ctx: Ctx, lid: str) -> list[dict[str, Any]]:
    out = []
    for _, rid in ctx.store.referrers("listener", lid, "rule"):
        r = ctx.store.get("rule", rid)
        if r is not None:
            out.append(r)
    return out


@action("Slb", "CreateRules")
def create_rules(ctx: Ctx, p: Params) -> dict:
    """- the listener must exist on that port (ListenerNotFound, 404) and be HTTP/HTTPS (RuleNotSupport)
    - not while the listener is starting (OperationFailed.ListenerStatusNotSupport)
    - RuleList: 1-10 rules, each with RuleName (unique per listener), Domain and/or Url, and a
      VServerGroupId of the same instance
    - (Domain, Url) unique per listener (DomainExist); at most 40 rules per listener (TooManyRules)"""
    lb = lb_param(ctx, p)
    lst = find_listener(ctx, p, lb, not_found=lambda: err("ListenerNotFound"))
    if lst["ListenerProtocol"] not in ("http", "https"):
        raise err("RuleNotSupport")
    if listener_status(ctx, lst) == "starting":
        raise err("OperationFailed.ListenerStatusNotSupport")
    items = p.json_list("RuleList", malformed=lambda: err("RuleListMalformed"))
    assert items is not None
    if not items or len(items) > MAX_RULES_PER_CALL:
        raise err("RuleListMalformed")
    lid = listener_id(lb["LoadBalancerId"], lst["ListenerProtocol"], lst["ListenerPort"])
    existing = _listener_rules(ctx, lid)
    if len(existing) + len(items) > MAX_RULES_PER_LISTENER:
        raise err("TooManyRules")
    names = {r["RuleName"] for r in existing}
    pairs = {(r.get("Domain", ""), r.get("Url", "")) for r in existing}
    created = []
    for it in items:
        if not isinstance(it, dict):
            raise err("RuleListMalformed")
        low = {str(k).lower(): ("" if v is None else str(v)) for k, v in it.items()}
        name = low.get("rulename", "").strip()
        if not name:
            raise err("MissingParameter.RuleName")
        if not _RULE_NAME.match(name):
            raise invalid("RuleName")
        if name in names:
            raise err("InvalidParameter", "The specified RuleName already exists.")
        domain, url = low.get("domain", "").strip(), low.get("url", "").strip()
        if not domain and not url:
            raise err("RuleListMalformed")
        if domain and (len(domain) > 80 or not _DOMAIN.match(domain)):
            raise err("DomainMalformed")
        if url and not _URL.match(url):
            raise err("UrlMalformed")
        if (domain, url) in pairs:
            raise err("DomainExist")
        gid = low.get("vservergroupid", "").strip()
        if not gid:
            raise err("RuleListMalformed")
        _rule_vsg(ctx, lb["LoadBalancerId"], gid)
        names.add(name)
        pairs.add((domain, url))
        rid = ctx.new_id("rule-", 12)
        r: dict[str, Any] = {"RuleId": rid, "RuleName": name, "LoadBalancerId": lb["LoadBalancerId"],
                             "ListenerPort": lst["ListenerPort"], "VServerGroupId": gid, "ListenerSync": "on",
                             "_listener": lid, "_protocol": lst["ListenerProtocol"]}
        if domain:
            r["Domain"] = domain
        if url:
            r["Url"] = url
        _save_rule(ctx, r)
        created.append({"RuleId": rid, "RuleName": name})
    return {"Rules": {"Rule": created}}


def _get_rule(ctx: Ctx, rid: str) -> dict[str, Any]:
    r = ctx.store.get("rule", rid)
    if r is None:
        raise err("InvalidRuleId.NotFound")
    return r


@action("Slb", "DeleteRules")
def delete_rules(ctx: Ctx, p: Params) -> dict:
    """- RuleIds: a JSON list of 1-10 ids, all existing (InvalidRuleId.NotFound) and of one listener
      (Operation.NotAllowed "The specified rules must be in the same listener.")"""
    ids = p.json_list("RuleIds", malformed=lambda: invalid("RuleIds"))
    assert ids is not None
    if not ids or len(ids) > MAX_RULES_PER_CALL:
        raise invalid("RuleIds")
    rules = [_get_rule(ctx, str(i)) for i in ids]
    if len({r["_listener"] for r in rules}) > 1:
        raise err("Operation.NotAllowed", "The specified rules must be in the same listener.")
    lst = ctx.store.get("listener", rules[0]["_listener"])
    if lst is not None and listener_status(ctx, lst) == "starting":
        raise err("OperationFailed.ListenerStatusNotSupport")
    for r in rules:
        ctx.store.delete("rule", r["RuleId"])
    return {}


@action("Slb", "SetRule")
def set_rule(ctx: Ctx, p: Params) -> dict:
    """- VServerGroupId must belong to the rule's instance; RuleName unique per listener
    - ListenerSync off makes the rule's own scheduler/session/health-check settings effective"""
    r = _get_rule(ctx, p.req("RuleId"))
    lst = ctx.store.get("listener", r["_listener"])
    if lst is not None and listener_status(ctx, lst) == "starting":
        raise err("OperationFailed.ListenerStatusNotSupport")
    gid = p.get("VServerGroupId")
    if gid:
        _rule_vsg(ctx, r["LoadBalancerId"], gid)
        r["VServerGroupId"] = gid
    name = p.get("RuleName")
    if name is not None:
        if not _RULE_NAME.match(name):
            raise invalid("RuleName")
        if any(o["RuleName"] == name and o["RuleId"] != r["RuleId"] for o in _listener_rules(ctx, r["_listener"])):
            raise err("InvalidParameter", "The specified RuleName already exists.")
        r["RuleName"] = name
    sync = p.onoff("ListenerSync")
    if sync:
        r["ListenerSync"] = sync
    vals: dict[str, Any] = {
        "Scheduler": p.enum("Scheduler", ("wrr", "rr", "wlc")),
        "StickySession": p.onoff("StickySession"),
        "StickySessionType": p.enum("StickySessionType", ("insert", "server")),
        "CookieTimeout": p.int("CookieTimeout", 1, 86400),
        "Cookie": p.get("Cookie"),
        "HealthCheck": p.onoff("HealthCheck"),
        "HealthCheckDomain": p.get("HealthCheckDomain"),
        "HealthCheckURI": p.get("HealthCheckURI"),
        "HealthCheckConnectPort": p.int("HealthCheckConnectPort", 1, 65535),
        "HealthyThreshold": p.int("HealthyThreshold", 2, 10),
        "UnhealthyThreshold": p.int("UnhealthyThreshold", 2, 10),
        "HealthCheckTimeout": p.int("HealthCheckTimeout", 1, 300),
        "HealthCheckInterval": p.int("HealthCheckInterval", 1, 50),
        "HealthCheckHttpCode": p.get("HealthCheckHttpCode"),
    }
    for k, v in vals.items():
        if v is not None:
            r[k] = v
    if r["ListenerSync"] == "off":
        for k in ("Scheduler", "StickySession", "HealthCheck"):
            if k not in r:
                r[k] = {"Scheduler": "wrr", "StickySession": "off", "HealthCheck": "off"}[k]
        if r["StickySession"] == "on" and not r.get("StickySessionType"):
            raise err("MissingStickySessionType", "StickySessionType is mandatory for this action.")
    _save_rule(ctx, r)
    return {}


def _rule_out(r: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in r.items() if not k.startswith("_")}


@action("Slb", "DescribeRules")
def describe_rules(ctx: Ctx, p: Params) -> dict:
    """- the listener on ListenerPort (+ ListenerProtocol when the port is shared: TooManyListeners)"""
    lb = lb_param(ctx, p)
    lst = find_listener(ctx, p, lb, not_found=lambda: err("ListenerNotFound"))
    lid = listener_id(lb["LoadBalancerId"], lst["ListenerProtocol"], lst["ListenerPort"])
    items = []
    for r in _listener_rules(ctx, lid):
        item = _rule_out(r)
        del item["ListenerPort"], item["LoadBalancerId"]
        items.append(item)
    return {"Rules": {"Rule": items}}


@action("Slb", "DescribeRuleAttribute")
def describe_rule_attribute(ctx: Ctx, p: Params) -> dict:
    """- unknown rule: InvalidRuleId.NotFound (404)"""
    r = _get_rule(ctx, p.req("RuleId"))
    out = _rule_out(r)
    out["ListenerPort"] = str(r["ListenerPort"])
    return out
