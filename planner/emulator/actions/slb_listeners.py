"""Listeners of the four protocols: Create/Set/Describe*Attribute, Start/Stop/Delete, and the
paged DescribeLoadBalancerListeners.

A listener is stored as the document ``Describe<PROTO>ListenerAttribute`` returns (defaults
filled in at create, so Terraform sees no drift), plus ``_status``/``_ready_at`` for the
stopped -> starting -> running lifecycle.
"""

from __future__ import annotations

import re
from typing import Any

from planner.emulator.actions.common import (
    MSG_NOT_EXIST,
    NOT_EXIST,
    VSG_NOT_EXIST,
    find_listener,
    group_of_lb,
    is_guaranteed,
    lb_param,
    listener_id,
    listener_status,
    listeners_at,
    save_lb,
    save_listener,
    tags_out,
)
from planner.emulator.actions.slb_extensions import extensions_of_listener, get_policy
from planner.emulator.codes import err, invalid, missing
from planner.emulator.errors import CloudError
from planner.emulator.params import Params
from planner.emulator.registry import Ctx, action

ALL = ("tcp", "udp", "http", "https")
L4 = ("tcp", "udp")
L7 = ("http", "https")
MAX_LISTENERS = 50
TLS_POLICIES = ("tls_cipher_policy_1_0", "tls_cipher_policy_1_1", "tls_cipher_policy_1_2",
                "tls_cipher_policy_1_2_strict", "tls_cipher_policy_1_2_strict_with_1_3")
SCHEDULERS = {"tcp": ("wrr", "rr", "wlc", "sch", "tch"), "udp": ("wrr", "rr", "wlc", "sch", "tch", "qch"),
              "http": ("wrr", "rr", "wlc"), "https": ("wrr", "rr", "wlc")}
GUARANTEED_SCHEDULERS = ("sch", "tch", "qch")

_DOMAIN = re.compile(r"^(\$_ip|[A-Za-z0-9.-]{1,80})$")
_URI = re.compile(r"^/[A-Za-z0-9\-/.%?#&=_~]{0,79}$")
_CODES = {"http_2xx", "http_3xx", "http_4xx", "http_5xx"}
_COOKIE = re.compile(r"^[\x21-\x7e]{1,200}$")
_ALNUM64 = re.compile(r"^[A-Za-z0-9]{1,64}$")

# (parameter, describe key, type, argument, protocols). Types: int (lo, hi), onoff, enum (values),
# re (pattern), codes, bool, str (max length).
ATTRS: list[tuple[str, str, str, Any, tuple[str, ...]]] = [
    ("Description", "Description", "str", 256, ALL),
    ("HealthyThreshold", "HealthyThreshold", "int", (1, 10), ALL),
    ("UnhealthyThreshold", "UnhealthyThreshold", "int", (1, 10), ALL),
    ("HealthCheckInterval", "HealthCheckInterval", "int", (1, 50), ALL),
    ("HealthCheckConnectPort", "HealthCheckConnectPort", "int", (1, 65535), L4),
    ("HealthCheckConnectPort", "HealthCheckConnectPort", "int", (-520, 65535), L7),
    ("HealthCheckConnectTimeout", "HealthCheckConnectTimeout", "int", (1, 300), L4),
    ("HealthCheckTimeout", "HealthCheckTimeout", "int", (1, 300), L7),
    ("HealthCheckSwitch", "HealthCheck", "onoff", None, L4),
    ("HealthCheck", "HealthCheck", "onoff", None, L7),
    ("HealthCheckType", "HealthCheckType", "enum", ("tcp", "http"), ("tcp",)),
    ("HealthCheckDomain", "HealthCheckDomain", "re", _DOMAIN, ("tcp", "http", "https")),
    ("HealthCheckURI", "HealthCheckURI", "re", _URI, ("tcp", "http", "https")),
    ("HealthCheckHttpCode", "HealthCheckHttpCode", "codes", None, ("tcp", "http", "https")),
    ("HealthCheckMethod", "HealthCheckMethod", "enum", ("head", "get"), L7),
    ("HealthCheckHttpVersion", "HealthCheckHttpVersion", "enum", ("HTTP 1.0", "HTTP 1.1"), L7),
    ("PersistenceTimeout", "PersistenceTimeout", "int", (0, 3600), ("tcp",)),
    ("EstablishedTimeout", "EstablishedTimeout", "int", (10, 900), ("tcp",)),
    ("ConnectionDrain", "ConnectionDrain", "onoff", None, ("tcp",)),
    ("ConnectionDrainTimeout", "ConnectionDrainTimeout", "int", (10, 900), ("tcp",)),
    ("ProxyProtocolV2Enabled", "ProxyProtocolV2Enabled", "bool", None, L4),
    ("healthCheckReq", "HealthCheckReq", "re", _ALNUM64, ("udp",)),
    ("healthCheckExp", "HealthCheckExp", "re", _ALNUM64, ("udp",)),
    ("StickySession", "StickySession", "onoff", None, L7),
    ("StickySessionType", "StickySessionType", "enum", ("insert", "server"), L7),
    ("CookieTimeout", "CookieTimeout", "int", (1, 86400), L7),
    ("Cookie", "Cookie", "re", _COOKIE, L7),
    ("Gzip", "Gzip", "onoff", None, L7),
    ("XForwardedFor", "XForwardedFor", "onoff", None, L7),
    ("XForwardedFor_SLBIP", "XForwardedFor_SLBIP", "onoff", None, L7),
    ("XForwardedFor_SLBID", "XForwardedFor_SLBID", "onoff", None, L7),
    ("XForwardedFor_proto", "XForwardedFor_proto", "onoff", None, L7),
    ("XForwardedFor_SLBPORT", "XForwardedFor_SLBPORT", "onoff", None, L7),
    ("XForwardedFor_ClientSrcPort", "XForwardedFor_ClientSrcPort", "onoff", None, L7),
    ("XForwardedFor_ClientCertClientVerify", "XForwardedFor_ClientCertClientVerify", "onoff", None, ("https",)),
    ("XForwardedFor_ClientCertSubjectDN", "XForwardedFor_ClientCertSubjectDN", "onoff", None, ("https",)),
    ("XForwardedFor_ClientCertIssuerDN", "XForwardedFor_ClientCertIssuerDN", "onoff", None, ("https",)),
    ("XForwardedFor_ClientCertFingerprint", "XForwardedFor_ClientCertFingerprint", "onoff", None, ("https",)),
    ("IdleTimeout", "IdleTimeout", "int", (1, 60), L7),
    ("RequestTimeout", "RequestTimeout", "int", (1, 180), L7),
    ("EnableHttp2", "EnableHttp2", "onoff", None, ("https",)),
    ("TLSCipherPolicy", "TLSCipherPolicy", "tlspolicy", TLS_POLICIES, ("https",)),
    ("ListenerForward", "ListenerForward", "onoff", None, ("http",)),
    ("ForwardPort", "ForwardPort", "int", (1, 65535), ("http",)),
    ("AclStatus", "AclStatus", "onoff", None, ALL),
    ("AclType", "AclType", "enum", ("white", "black"), ALL),
]

_SPECIFIC_ERRORS = {"IdleTimeout": "InvalidParameter.IdleTimeout", "RequestTimeout": "InvalidParameter.RequestTimeout",
                    "TLSCipherPolicy": "InvalidTLSPolicyId.NotExist"}

DEFAULTS: dict[str, dict[str, Any]] = {
    "tcp": {"Scheduler": "wrr", "PersistenceTimeout": 0, "EstablishedTimeout": 900, "HealthCheck": "on",
            "HealthCheckType": "tcp", "HealthyThreshold": 3, "UnhealthyThreshold": 3,
            "HealthCheckConnectTimeout": 5, "HealthCheckInterval": 2, "HealthCheckHttpCode": "http_2xx",
            "AclStatus": "off", "ConnectionDrain": "off", "ProxyProtocolV2Enabled": False},
    "udp": {"Scheduler": "wrr", "HealthCheck": "on", "HealthyThreshold": 3, "UnhealthyThreshold": 3,
            "HealthCheckConnectTimeout": 5, "HealthCheckInterval": 2, "AclStatus": "off",
            "ProxyProtocolV2Enabled": False},
    "http": {"Bandwidth": -1, "Scheduler": "wrr", "StickySession": "off", "HealthyThreshold": 3,
             "UnhealthyThreshold": 3, "HealthCheckTimeout": 5, "HealthCheckInterval": 2,
             "HealthCheckHttpCode": "http_2xx", "Gzip": "on", "XForwardedFor": "on", "XForwardedFor_SLBIP": "off",
             "XForwardedFor_SLBID": "off", "XForwardedFor_proto": "off", "XForwardedFor_SLBPORT": "off",
             "XForwardedFor_ClientSrcPort": "off", "IdleTimeout": 15, "RequestTimeout": 60,
             "ListenerForward": "off", "AclStatus": "off"},
}
DEFAULTS["https"] = {**{k: v for k, v in DEFAULTS["http"].items() if k != "ListenerForward"},
                     "EnableHttp2": "on", "TLSCipherPolicy": "tls_cipher_policy_1_0",
                     "XForwardedFor_ClientCertClientVerify": "off", "XForwardedFor_ClientCertSubjectDN": "off",
                     "XForwardedFor_ClientCertIssuerDN": "off", "XForwardedFor_ClientCertFingerprint": "off"}

TOP_LEVEL = ("LoadBalancerId", "ListenerPort", "ListenerProtocol", "Status", "Scheduler", "Bandwidth",
             "BackendServerPort", "VServerGroupId", "AclId", "AclIds", "AclStatus", "AclType", "Description")


def _parse_attrs(p: Params, proto: str) -> dict[str, Any]:
    """Every attribute this protocol defines that the request carries, validated."""
    out: dict[str, Any] = {}
    for param, key, typ, arg, protos in ATTRS:
        if proto not in protos:
            continue
        raw = p.get(param)
        if raw is None:
            continue
        code = _SPECIFIC_ERRORS.get(param)

        def error(code: str | None = code, param: str = param) -> CloudError:
            return err(code) if code else invalid(param)

        if typ == "int":
            out[key] = p.int(param, arg[0], arg[1], error=error)
        elif typ == "onoff":
            out[key] = p.enum(param, ("on", "off"), error=error)
        elif typ == "tlspolicy":  # a built-in policy, or the id of a custom one (checked in _apply)
            if raw not in arg and not raw.startswith("tls-"):
                raise error()
            out[key] = raw
        elif typ == "enum":
            out[key] = p.enum(param, arg, error=error)
        elif typ == "bool":
            out[key] = p.bool(param)
        elif typ == "re":
            if not arg.match(raw):
                raise error()
            out[key] = raw
        elif typ == "codes":
            parts = [x.strip() for x in raw.split(",") if x.strip()]
            if not parts or any(x not in _CODES for x in parts):
                raise error()
            out[key] = ",".join(parts)
        else:
            if len(raw) > arg:
                raise error()
            out[key] = raw
    sched = p.get("Scheduler")
    if sched is not None:
        out["Scheduler"] = p.enum("Scheduler", SCHEDULERS[proto])
    return out


def _acl_ids(p: Params) -> list[str] | None:
    """The ACL ids sent, or None when AclId is absent; an empty AclId unbinds every ACL (the
    provider sends it so that an ACL can be deleted afterwards)."""
    raw = p.raw("AclId")
    if raw is None:
        return None
    return [x.strip() for x in raw.split(",") if x.strip()]


def _check_acls(ctx: Ctx, lb: dict[str, Any], lst: dict[str, Any], acl_ids: list[str]) -> None:
    """ACLs exist, match the instance's IP version, at most 3 per listener, each bound to <= 50."""
    if len(acl_ids) > 3:
        raise err("QuotaLimitExceeds.AclAttachedToListener")
    me = listener_id(lb["LoadBalancerId"], lst["ListenerProtocol"], lst["ListenerPort"])
    for a in acl_ids:
        acl = ctx.store.get("acl", a)
        if acl is None or acl["RegionId"] != ctx.region:
            raise err("AclNotExist")
        if acl["AddressIPVersion"] != lb["AddressIPVersion"]:
            raise err("IpVersionConflict")
        users = [s for _, s in ctx.store.referrers("acl", a, "listener") if s != me]
        if len(users) >= 50:
            raise err("AclListenerOverLimit")


def _check_cert(ctx: Ctx, cert_id: str) -> None:
    c = ctx.store.get("cert", cert_id)
    if c is None or c["RegionId"] != ctx.region:
        raise err("CertificateNotExist")


def _apply(ctx: Ctx, p: Params, lb: dict[str, Any], lst: dict[str, Any], *, creating: bool) -> None:
    """Apply request parameters to ``lst`` (already holding defaults or the current state) and
    enforce the cross-field rules on the result."""
    proto = lst["ListenerProtocol"]
    lb_id = lb["LoadBalancerId"]
    if creating and proto in L7:
        p.onoff("StickySession", required=True)
        p.onoff("HealthCheck", required=True)
    changes = _parse_attrs(p, proto)
    if p.has("Bandwidth"):
        changes["Bandwidth"] = p.int("Bandwidth", 1, 5120, allowed=(-1,),
                                     error=lambda: err("InvalidParameter", "The specified bandwidth is not valid."))
    elif creating and proto != "http":
        raise missing("Bandwidth")
    lst.update(changes)

    # --- server group binding -----------------------------------------------------------------
    vsg_id = p.get("VServerGroupId")
    msg_id = p.get("MasterSlaveServerGroupId") if proto in L4 else None
    if creating:
        if vsg_id and msg_id:
            raise err("Abs.VServerGroupIdAndMasterSlaveServerGroupId.MissMatch")
        if proto in L7 and p.get("MasterSlaveServerGroupId"):
            raise err("InvalidParameter.VServerGroupId")
        bsp = p.int("BackendServerPort", 1, 65535)
        if bsp is not None:
            lst["BackendServerPort"] = bsp
        forward = proto == "http" and lst.get("ListenerForward") == "on"
        if bsp is None and not vsg_id and not msg_id and not forward:
            raise err("MissingParameter", "The BackendServerPort or VServerGroupId is required at lease one.")
    vsg_flag = msg_flag = None
    if not creating:
        vsg_flag = p.onoff("VServerGroup")
        msg_flag = p.onoff("MasterSlaveServerGroup") if proto in L4 else None
        if vsg_flag == "on" and msg_flag == "on":
            raise err("Abs.VServerGroupIdAndMasterSlaveServerGroupId.MissMatch")
        if vsg_flag == "on" and not vsg_id:
            raise missing("VServerGroupId")
        if msg_flag == "on" and not msg_id:
            raise missing("MasterSlaveServerGroupId")
        if vsg_flag == "off":
            lst.pop("VServerGroupId", None)
            vsg_id = None
        if msg_flag == "off":
            lst.pop("MasterSlaveServerGroupId", None)
            msg_id = None
        if vsg_id and vsg_id == lst.get("VServerGroupId"):
            vsg_id = None  # unchanged: the provider re-sends it on every update
        if msg_id and msg_id == lst.get("MasterSlaveServerGroupId"):
            msg_id = None
        if vsg_id and msg_id:
            raise err("Abs.VServerGroupIdAndMasterSlaveServerGroupId.MissMatch")
    if vsg_id:
        if group_of_lb(ctx, "vsg", vsg_id, lb_id) is None:
            raise err("InvalidParameter", VSG_NOT_EXIST, status=404)
        lst["VServerGroupId"] = vsg_id
        lst.pop("MasterSlaveServerGroupId", None)
    if msg_id:
        if group_of_lb(ctx, "msg", msg_id, lb_id) is None:
            raise err("InvalidParameter", MSG_NOT_EXIST)
        lst["MasterSlaveServerGroupId"] = msg_id
        lst.pop("VServerGroupId", None)
    if not creating and "off" in (vsg_flag, msg_flag) and not (
            "BackendServerPort" in lst or lst.get("VServerGroupId") or lst.get("MasterSlaveServerGroupId")):
        # switching a group off is fine only when something is left to forward to
        raise err("OperationFailed.ServerGroupInUse")

    # --- scheduler, ACLs, certificates, redirect --------------------------------------------
    if lst["Scheduler"] in GUARANTEED_SCHEDULERS and not is_guaranteed(lb):
        raise err("InvalidParameterValue.SpecNotSupport")
    acl_ids = _acl_ids(p)
    if acl_ids is not None:
        _check_acls(ctx, lb, lst, acl_ids)
        lst["AclIds"] = acl_ids
        if acl_ids:
            lst["AclId"] = ",".join(acl_ids)
        else:
            lst.pop("AclId", None)
    if lst.get("AclStatus") == "on":
        if not lst.get("AclIds"):
            raise missing("AclId")
        if not lst.get("AclType"):
            raise missing("AclType")
    if proto == "https":
        cert = p.get("ServerCertificateId")
        if cert:
            _check_cert(ctx, cert)
            lst["ServerCertificateId"] = cert
        elif creating:
            raise missing("ServerCertificateId")
        ca = p.raw("CACertificateId")
        if ca == "":  # an empty id turns mutual authentication off
            lst.pop("CACertificateId", None)
        elif ca:
            c = ctx.store.get("cacert", ca)
            if c is None or c["RegionId"] != ctx.region:
                raise err("CertificateNotExist")
            lst["CACertificateId"] = ca
        policy = changes.get("TLSCipherPolicy")
        if policy and policy.startswith("tls-"):
            get_policy(ctx, policy)
        if "TLSCipherPolicy" in changes and changes["TLSCipherPolicy"] != "tls_cipher_policy_1_0" \
                and not is_guaranteed(lb):
            raise err("InvalidParameter.SpecNotSupport")
    if proto == "http" and lst.get("ListenerForward") == "on":
        fport = lst.get("ForwardPort")
        if not fport or ctx.store.get("listener", listener_id(lb_id, "https", fport)) is None:
            raise err("InvalidParameter", "The specified ListenerPort or ForwardPort is invalid.")
    if proto in L7:
        if lst.get("StickySession") == "on":
            typ = lst.get("StickySessionType")
            if not typ:
                raise missing("StickySessionType")
            if typ == "insert" and not lst.get("CookieTimeout"):
                raise missing("CookieTimeout")
            if typ == "server" and (not lst.get("Cookie") or lst["Cookie"].startswith("$")
                                    or any(c in lst["Cookie"] for c in ",; ")):
                raise missing("Cookie") if not lst.get("Cookie") else invalid("Cookie")
        if lst.get("HealthCheck") == "on" and not lst.get("HealthCheckURI"):
            lst["HealthCheckURI"] = "/"
        if lst.get("HealthCheck") == "on" and not lst.get("HealthCheckMethod"):
            lst["HealthCheckMethod"] = "head"
    # --- bandwidth budget of pay-by-bandwidth instances ---------------------------------------
    if lb["InternetChargeType"] == "paybybandwidth" and lst.get("Bandwidth", -1) > 0:
        me = listener_id(lb_id, proto, lst["ListenerPort"])
        used = sum(max(0, x.get("Bandwidth", -1)) for x in ctx.store.docs("listener", lb_id=lb_id)
                   if listener_id(lb_id, x["ListenerProtocol"], x["ListenerPort"]) != me)
        if used + lst["Bandwidth"] > lb["Bandwidth"]:
            raise err("InvalidParameter", "The specified Bandwidth is invalid. It exceeds the maximum "
                                          "bandwidth available to the instance.")


def _create(ctx: Ctx, p: Params, proto: str) -> dict:
    """Shared by the four Create*Listener actions.

    - ListenerPort 1-65535; UDP 4789 is reserved
    - ports are unique per instance within a transport: one of tcp/http/https plus one udp
    - at most 50 listeners per instance (ListenerNumberOverLimit)
    - one of BackendServerPort / VServerGroupId / MasterSlaveServerGroupId (not VServer + MS);
      master-slave groups only on TCP/UDP; groups must belong to the same instance
    - sch/tch/qch schedulers and ENI backends need a performance-guaranteed instance
    - ACLs exist, match the IP version, <= 3 per listener; HTTPS needs an existing certificate
    - HTTP redirect (ListenerForward) needs an existing HTTPS listener on ForwardPort
    - a new listener is stopped"""
    lb = lb_param(ctx, p)
    lb_id = lb["LoadBalancerId"]
    port = p.int("ListenerPort", 1, 65535, required=True,
                 error=lambda: err("InvalidParameter", "The specified port is not valid."))
    assert port is not None
    if proto == "udp" and port == 4789:
        raise err("OperationDenied.SpecialListenerPortNotAllowed")
    for other in listeners_at(ctx, lb_id, port):
        if (other["ListenerProtocol"] == "udp") == (proto == "udp"):
            raise err("ListenerAlreadyExists")
    if ctx.store.count("listener", lb_id=lb_id) >= MAX_LISTENERS:
        raise err("ListenerNumberOverLimit")
    lst: dict[str, Any] = {"LoadBalancerId": lb_id, "ListenerPort": port, "ListenerProtocol": proto,
                           **DEFAULTS[proto], "AclIds": [], "_status": "stopped"}
    _apply(ctx, p, lb, lst, creating=True)
    lst["Tags"] = p.tags()
    save_listener(ctx, lst)
    return {}


def _set(ctx: Ctx, p: Params, proto: str) -> dict:
    """Shared by the four Set*ListenerAttribute actions.

    - the listener must exist with this protocol ("The specified resource does not exist.")
    - not while it is starting (OperationFailed.ListenerStatusNotSupport)
    - VServerGroup/MasterSlaveServerGroup on|off switch the binding; switching off without a
      BackendServerPort is OperationFailed.ServerGroupInUse; BackendServerPort cannot change"""
    lb = lb_param(ctx, p)
    port = p.int("ListenerPort", 1, 65535, required=True,
                 error=lambda: err("InvalidParameter", "The specified port is not valid."))
    assert port is not None
    lst = ctx.store.get("listener", listener_id(lb["LoadBalancerId"], proto, port))
    if lst is None:
        raise err("InvalidParameter", NOT_EXIST)
    if listener_status(ctx, lst) == "starting":
        raise err("OperationFailed.ListenerStatusNotSupport")
    _apply(ctx, p, lb, lst, creating=False)
    save_listener(ctx, lst)
    return {}


# stored keys a response shows in its own way (or not at all); private keys start with "_"
_NOT_AS_STORED = frozenset(("ListenerProtocol", "Tags", "AclIds"))
_TOP_LEVEL = frozenset(TOP_LEVEL)


def listener_out(ctx: Ctx, lst: dict[str, Any], *, children: bool = True) -> dict[str, Any]:
    """The Describe<PROTO>ListenerAttribute body for a stored listener; ``children=False`` leaves out
    its Rules and DomainExtensions (one indexed lookup each), which the listing does not show."""
    out = {k: (list(v) if isinstance(v, list) else v) for k, v in lst.items()
           if k not in _NOT_AS_STORED and k[:1] != "_"}
    out["Status"] = listener_status(ctx, lst)
    out["AclIds"] = {"AclId": list(lst.get("AclIds", []))}
    out["Tags"] = tags_out(lst)
    if not children:
        return out
    if lst["ListenerProtocol"] in L7:
        rules = []
        lid = listener_id(lst["LoadBalancerId"], lst["ListenerProtocol"], lst["ListenerPort"])
        for _, rid in ctx.store.referrers("listener", lid, "rule"):
            r = ctx.store.get("rule", rid)
            if r is not None:
                item = {"RuleId": r["RuleId"], "RuleName": r["RuleName"], "VServerGroupId": r["VServerGroupId"]}
                for k in ("Domain", "Url"):
                    if r.get(k):
                        item[k] = r[k]
                rules.append(item)
        out["Rules"] = {"Rule": rules}
    if lst["ListenerProtocol"] == "https":
        out["DomainExtensions"] = {"DomainExtension": extensions_of_listener(
            ctx, lst["LoadBalancerId"], lst["ListenerPort"])}
    return out


def _describe(ctx: Ctx, p: Params, proto: str) -> dict:
    lb = lb_param(ctx, p)
    port = p.int("ListenerPort", 1, 65535, required=True,
                 error=lambda: err("InvalidParameter", "The specified port is not valid."))
    assert port is not None
    lst = ctx.store.get("listener", listener_id(lb["LoadBalancerId"], proto, port))
    if lst is None:
        raise err("InvalidParameter", NOT_EXIST)
    return listener_out(ctx, lst)


def _register(proto: str) -> None:
    up = proto.upper()

    @action("Slb", f"CreateLoadBalancer{up}Listener")
    def create(ctx: Ctx, p: Params) -> dict:
        return _create(ctx, p, proto)

    @action("Slb", f"SetLoadBalancer{up}ListenerAttribute")
    def set_(ctx: Ctx, p: Params) -> dict:
        return _set(ctx, p, proto)

    @action("Slb", f"DescribeLoadBalancer{up}ListenerAttribute")
    def describe(ctx: Ctx, p: Params) -> dict:
        return _describe(ctx, p, proto)

    create.__doc__ = _create.__doc__
    set_.__doc__ = _set.__doc__
    create.__wrapped__ = _create  # type: ignore[attr-defined]
    set_.__wrapped__ = _set  # type: ignore[attr-defined]
    describe.__wrapped__ = _describe  # type: ignore[attr-defined]


for _proto in ALL:
    _register(_proto)


@action("Slb", "StartLoadBalancerListener")
def start_load_balancer_listener(ctx: Ctx, p: Params) -> dict:
    """- a stopped listener becomes starting, then running once the start delay has passed
    - starting again while still starting: Operation.Deny; a running listener: no-op
    - not on a locked instance (Operation.NotAllowed); a shared port needs ListenerProtocol"""
    lb = lb_param(ctx, p)
    lst = find_listener(ctx, p, lb, not_found=lambda: err("InvalidParameter", NOT_EXIST))
    if lb["LoadBalancerStatus"] == "locked":
        raise err("Operation.NotAllowed")
    status = listener_status(ctx, lst)
    if status == "starting":
        raise err("Operation.Deny")
    if status == "stopped":
        if ctx.listener_start_delay > 0:
            lst["_status"] = "starting"
            lst["_ready_at"] = ctx.now + ctx.listener_start_delay
        else:
            lst["_status"] = "running"
        save_listener(ctx, lst)
    return {}


@action("Slb", "StopLoadBalancerListener")
def stop_load_balancer_listener(ctx: Ctx, p: Params) -> dict:
    """- the listener becomes stopped; not on a locked instance"""
    lb = lb_param(ctx, p)
    lst = find_listener(ctx, p, lb, not_found=lambda: err("InvalidParameter", NOT_EXIST))
    if lb["LoadBalancerStatus"] == "locked":
        raise err("Operation.NotAllowed")
    lst["_status"] = "stopped"
    lst.pop("_ready_at", None)
    save_listener(ctx, lst)
    return {}


@action("Slb", "DeleteLoadBalancerListener")
def delete_load_balancer_listener(ctx: Ctx, p: Params) -> dict:
    """- unknown listener: ResourceNotFound.Listener (404)
    - an HTTPS listener another listener redirects to: ListenerForwardExist
    - only when stopped or running (OperationBusy while starting)
    - its forwarding rules and domain extensions go with it; deleting the last listener turns the instance inactive"""
    lb = lb_param(ctx, p)
    lst = find_listener(ctx, p, lb, not_found=lambda: err("ResourceNotFound.Listener"))
    lid = listener_id(lb["LoadBalancerId"], lst["ListenerProtocol"], lst["ListenerPort"])
    if ctx.store.referrers("listener", lid, "listener"):
        raise err("ListenerForwardExist")
    if listener_status(ctx, lst) == "starting":
        raise err("OperationBusy")
    for _, rid in ctx.store.referrers("listener", lid, "rule"):
        ctx.store.delete("rule", rid)
    for _, de_id in ctx.store.referrers("listener", lid, "domainext"):
        ctx.store.delete("domainext", de_id)
    ctx.store.delete("listener", lid)
    if ctx.store.count("listener", lb_id=lb["LoadBalancerId"]) == 0:
        lb["LoadBalancerStatus"] = "inactive"
        save_lb(ctx, lb)
    return {}


def _summary_out(ctx: Ctx, lst: dict[str, Any]) -> dict[str, Any]:
    """One listener of DescribeLoadBalancerListeners: ``listener_out(children=False)`` split into the
    top-level keys and the per-protocol config, in one pass over the stored document (a page of 100 is
    built for every ten load balancers a refresh reads)."""
    out: dict[str, Any] = {"ListenerProtocol": lst["ListenerProtocol"]}
    config: dict[str, Any] = {}
    for k, v in lst.items():
        if k in _NOT_AS_STORED or k[:1] == "_":
            continue
        if isinstance(v, list):
            v = list(v)
        if k in _TOP_LEVEL:
            out[k] = v
        else:
            config[k] = v
    out["Status"] = listener_status(ctx, lst)
    out["AclIds"] = list(lst.get("AclIds", []))
    if "ProxyProtocolV2Enabled" in config:
        config["ProxyProtocolV2Enabled"] = "true" if config["ProxyProtocolV2Enabled"] else "false"
    out[f"{lst['ListenerProtocol'].upper()}ListenerConfig"] = config
    out["Tags"] = [dict(t) for t in lst.get("Tags", [])]
    return out


@action("Slb", "DescribeLoadBalancerListeners")
def describe_load_balancer_listeners(ctx: Ctx, p: Params) -> dict:
    """- LoadBalancerId.N: at most 10; MaxResults 1-100 (default 20); NextToken paging
    - filters ListenerProtocol, ListenerPort, Description, Tag.N"""
    from planner.emulator.actions.slb_instances import match_tags

    lb_ids = p.flat("LoadBalancerId")
    if len(lb_ids) > 10:
        raise invalid("LoadBalancerId")
    max_results = p.int("MaxResults", 1, 100, default=20)
    assert max_results is not None
    token = p.get("NextToken")
    start = 0
    if token:
        try:
            start = int(token, 16)
        except ValueError:
            raise err("InvalidParam.NextToken")
    proto = p.enum("ListenerProtocol", ALL)
    port = p.int("ListenerPort", 1, 65535)
    desc = p.get("Description")
    want_tags = [(o["key"], o.get("value")) for o in p.flat_objects("Tag") if o.get("key")]
    out: dict[str, Any]
    items: list[dict[str, Any]] = []
    if not lb_ids and proto is None and port is None and desc is None and not want_tags:
        # the whole region, unfiltered: page in SQL instead of decoding every listener
        total = ctx.store.count("listener", region=ctx.region)
        ids = ctx.store.ids("listener", region=ctx.region, limit=max_results, offset=start)
        page = [d for d in (ctx.store.get("listener", i) for i in ids) if d is not None]
        out = {"Listeners": [_summary_out(ctx, x) for x in page], "TotalCount": total, "MaxResults": max_results}
        if start + max_results < total:
            out["NextToken"] = format(start + max_results, "x")
        return out
    if lb_ids:
        for lb_id in lb_ids:
            if ctx.store.region_of("lb", lb_id) != ctx.region:  # (None: no such load balancer)
                continue
            items.extend(ctx.store.docs("listener", lb_id=lb_id))
    else:
        items = ctx.store.docs("listener", region=ctx.region)
    items = [x for x in items if (proto is None or x["ListenerProtocol"] == proto)
             and (port is None or x["ListenerPort"] == port)
             and (desc is None or x.get("Description") == desc)
             and (not want_tags or match_tags(x, want_tags))]
    page = items[start:start + max_results]
    out = {"Listeners": [_summary_out(ctx, x) for x in page], "TotalCount": len(items),
                           "MaxResults": max_results}
    if start + max_results < len(items):
        out["NextToken"] = format(start + max_results, "x")
    return out
