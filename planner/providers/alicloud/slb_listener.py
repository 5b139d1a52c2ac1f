"""``alicloud_slb_listener``: the four protocols' listeners (reference 3.2, 4.2, 7.6, 9.2).

Create choreography (reference 3.2/9.2): ``Create<PROTO>Listener`` (the listener starts
``stopped``) -> ``StartLoadBalancerListener`` (the provider first polls for ``stopped``; we start
at once and fall back to polling only if Start is refused) -> wait for ``running``
(the cloud may take a while: it polls with short sleeps) -> ``Set<PROTO>ListenerAttribute`` for
whatever the create call could not take -> read back.

Read is bulk: ``DescribeLoadBalancerListeners`` takes up to 10 load balancer ids per call and
returns every listener with its per-protocol configuration, 100 per page.

Terraform semantics kept on read: an attribute that does not apply to the listener's protocol
(``gzip`` on a TCP listener), or that is suppressed in the current configuration
(``cookie`` while sticky sessions are off), keeps its prior value, so schema defaults never
show up as drift.
"""

from __future__ import annotations

from typing import Any

from planner.providers.base import (
    BaseHandler,
    CallContext,
    PartialCreateError,
    ProviderError,
    register,
    schema_defaults,
)
from planner.providers.errors import ApiError

from .common import (
    SLB,
    as_bool,
    chunks,
    clean,
    from_onoff,
    items,
    keep_order,
    none_if_empty,
    not_found,
    onoff,
    str_list,
    to_int,
)

PROTO_API = {"tcp": "TCP", "udp": "UDP", "http": "HTTP", "https": "HTTPS"}
_GONE_MSG = ("The specified resource does not exist",)

# (terraform attribute, API field, kind, protocols it applies to)
_FIELDS: list[tuple[str, str, str, tuple[str, ...]]] = [
    ("bandwidth", "Bandwidth", "int", ("tcp", "udp", "http", "https")),
    ("scheduler", "Scheduler", "str", ("tcp", "udp", "http", "https")),
    ("description", "Description", "str", ("tcp", "udp", "http", "https")),
    ("acl_status", "AclStatus", "str", ("tcp", "udp", "http", "https")),
    ("healthy_threshold", "HealthyThreshold", "int", ("tcp", "udp", "http", "https")),
    ("unhealthy_threshold", "UnhealthyThreshold", "int", ("tcp", "udp", "http", "https")),
    ("health_check_interval", "HealthCheckInterval", "int", ("tcp", "udp", "http", "https")),
    ("health_check_connect_port", "HealthCheckConnectPort", "int", ("tcp", "udp", "http", "https")),
    ("persistence_timeout", "PersistenceTimeout", "int", ("tcp",)),
    ("established_timeout", "EstablishedTimeout", "int", ("tcp",)),
    ("health_check_type", "HealthCheckType", "str", ("tcp",)),
    ("sticky_session", "StickySession", "str", ("http", "https")),
    ("health_check", "HealthCheck", "str", ("http", "https")),
    ("health_check_method", "HealthCheckMethod", "str", ("http", "https")),
    ("gzip", "Gzip", "onoff", ("http", "https")),
    ("idle_timeout", "IdleTimeout", "int", ("http", "https")),
    ("request_timeout", "RequestTimeout", "int", ("http", "https")),
    ("enable_http2", "EnableHttp2", "str", ("https",)),
    ("tls_cipher_policy", "TLSCipherPolicy", "str", ("https",)),
    ("server_certificate_id", "ServerCertificateId", "str", ("https",)),
    ("ca_certificate_id", "CACertificateId", "str", ("https",)),
    ("proxy_protocol_v2_enabled", "ProxyProtocolV2Enabled", "bool", ("tcp", "udp")),
]
_CONVERT = {"int": to_int, "onoff": from_onoff, "bool": as_bool, "str": none_if_empty}


# per protocol, the (terraform attribute, API field, converter) of _FIELDS that apply: every listener read
# walked all 22 fields and dispatched on the kind's name
_FIELDS_OF: dict[str, tuple[tuple[str, str, Any], ...]] = {
    proto: tuple((tf, api, _CONVERT[kind]) for tf, api, kind, protos in _FIELDS if proto in protos)
    for proto in ("tcp", "udp", "http", "https")}
_STICKY = [("sticky_session_type", "StickySessionType", "str"), ("cookie_timeout", "CookieTimeout", "int"),
           ("cookie", "Cookie", "str")]
_HC_HTTP = [("health_check_domain", "HealthCheckDomain", "str"), ("health_check_uri", "HealthCheckURI", "str"),
            ("health_check_http_code", "HealthCheckHttpCode", "str")]
# attributes the post-create Set / an update may change (identity and ForceNew ones excluded)
_SETTABLE = ({f[0] for f in _FIELDS} | {f[0] for f in _STICKY} | {f[0] for f in _HC_HTTP}
             | {"health_check_timeout", "acl_type", "acl_ids", "acl_id", "server_group_id",
                "master_slave_server_group_id", "x_forwarded_for", "ssl_certificate_id"})


def listener_id(lb: str, protocol: str, port: int | str) -> str:
    return f"{lb}:{protocol}:{port}"


def _conv(kind: str, v: Any) -> Any:
    return _CONVERT.get(kind, none_if_empty)(v)


def _hc_http_applies(proto: str, a: dict) -> bool:
    if proto in ("http", "https"):
        return (a.get("health_check") or "on") == "on"
    return proto == "tcp" and a.get("health_check_type") == "http"


def _acl_list(a: dict) -> list[str]:
    return list(a.get("acl_ids") or []) or ([a["acl_id"]] if a.get("acl_id") else [])


def _forwarding(a: dict) -> bool:
    return a.get("protocol") == "http" and a.get("listener_forward") == "on"


@register("alicloud_slb_listener")
class ListenerHandler(BaseHandler):
    config_only = ("delete_protection_validation",)

    # -- parameters ----------------------------------------------------------------------------

    def _params(self, a: dict, *, create: bool, prior: dict | None = None) -> dict[str, Any]:
        """Create/Set parameters for the configured attributes, per protocol (reference 4.2)."""
        proto = a["protocol"]
        p: dict[str, Any] = {"LoadBalancerId": a["load_balancer_id"], "ListenerPort": a["frontend_port"]}
        if create and a.get("backend_port") is not None:
            p["BackendServerPort"] = a["backend_port"]
        bw = a.get("bandwidth")
        if bw is not None:
            p["Bandwidth"] = bw
        elif create:
            p["Bandwidth"] = -1  # required by TCP/UDP/HTTPS create; -1 = not limited
        if a.get("scheduler"):
            p["Scheduler"] = a["scheduler"]
        if a.get("description"):
            p["Description"] = a["description"]
        acl_on = a.get("acl_status") == "on"
        p["AclStatus"] = "on" if acl_on else "off"
        ids = _acl_list(a)
        if acl_on:
            if a.get("acl_type"):
                p["AclType"] = a["acl_type"]
            if ids:
                p["AclId"] = ",".join(ids)
        if not create and prior is not None and sorted(ids) != sorted(_acl_list(prior)):
            # as the provider does: a changed list is sent even when empty, which unbinds the
            # ACLs (an ACL still bound cannot be deleted: OperationFailed.AclBindedWithVip)
            p["AclId"] = ",".join(ids)
        sg = a.get("server_group_id")
        ms = a.get("master_slave_server_group_id") if proto in ("tcp", "udp") else None
        if create:
            if sg:
                p["VServerGroupId"] = sg
            if ms:
                p["MasterSlaveServerGroupId"] = ms
        else:
            prior = prior or {}
            if sg:
                p["VServerGroup"], p["VServerGroupId"] = "on", sg
            elif prior.get("server_group_id"):
                p["VServerGroup"] = "off"
            if ms:
                p["MasterSlaveServerGroup"], p["MasterSlaveServerGroupId"] = "on", ms
            elif proto in ("tcp", "udp") and prior.get("master_slave_server_group_id"):
                p["MasterSlaveServerGroup"] = "off"
        interval_key = "healthCheckInterval" if create and proto in ("tcp", "udp") else "HealthCheckInterval"
        if proto in ("tcp", "udp"):
            if a.get("proxy_protocol_v2_enabled") is not None and (a["proxy_protocol_v2_enabled"] or not create):
                p["ProxyProtocolV2Enabled"] = "true" if a["proxy_protocol_v2_enabled"] else "false"
            for tf, api in (("healthy_threshold", "HealthyThreshold"), ("unhealthy_threshold", "UnhealthyThreshold"),
                            ("health_check_timeout", "HealthCheckConnectTimeout"),
                            ("health_check_interval", interval_key),
                            ("health_check_connect_port", "HealthCheckConnectPort")):
                if a.get(tf) is not None:
                    p[api] = a[tf]
        if proto == "tcp":
            for tf, api in (("persistence_timeout", "PersistenceTimeout"),
                            ("established_timeout", "EstablishedTimeout"),
                            ("health_check_type", "HealthCheckType")):
                if a.get(tf) is not None:
                    p[api] = a[tf]
            if a.get("health_check_type") == "http":
                for tf, api, _ in _HC_HTTP:
                    if a.get(tf):
                        p[api] = a[tf]
        if proto in ("http", "https"):
            if _forwarding(a):
                p.update(StickySession="off", HealthCheck="off", ListenerForward="on",
                         ForwardPort=a.get("forward_port"))
                if create and "BackendServerPort" not in p and not sg:
                    p["BackendServerPort"] = 80
                return clean(p)
            sticky = a.get("sticky_session") or "off"
            p["StickySession"] = sticky
            if sticky == "on":
                st = a.get("sticky_session_type")
                if st:
                    p["StickySessionType"] = st
                if st == "insert" and a.get("cookie_timeout") is not None:
                    p["CookieTimeout"] = a["cookie_timeout"]
                if st == "server" and a.get("cookie"):
                    p["Cookie"] = a["cookie"]
            hc = a.get("health_check") or "on"
            p["HealthCheck"] = hc
            if hc == "on":
                for tf, api in (("health_check_uri", "HealthCheckURI"),
                                ("health_check_domain", "HealthCheckDomain"),
                                ("health_check_connect_port", "HealthCheckConnectPort"),
                                ("healthy_threshold", "HealthyThreshold"),
                                ("unhealthy_threshold", "UnhealthyThreshold"),
                                ("health_check_timeout", "HealthCheckTimeout"),
                                ("health_check_interval", "HealthCheckInterval"),
                                ("health_check_method", "HealthCheckMethod")):
                    if a.get(tf) not in (None, ""):
                        p[api] = a[tf]
                p["HealthCheckHttpCode"] = a.get("health_check_http_code") or "http_2xx"
            if a.get("gzip") is not None:
                p["Gzip"] = onoff(a["gzip"])
            for tf, api in (("idle_timeout", "IdleTimeout"), ("request_timeout", "RequestTimeout")):
                if a.get(tf) is not None:
                    p[api] = a[tf]
            xff = (a.get("x_forwarded_for") or [None])[0]
            if isinstance(xff, dict):
                for tf, api in (("retrive_slb_ip", "XForwardedFor_SLBIP"), ("retrive_slb_id", "XForwardedFor_SLBID"),
                                ("retrive_slb_proto", "XForwardedFor_proto")):
                    if xff.get(tf) is not None:
                        p[api] = onoff(xff[tf])
        if proto == "https":
            cert = a.get("server_certificate_id") or a.get("ssl_certificate_id")
            if cert:
                p["ServerCertificateId"] = cert
            for tf, api in (("ca_certificate_id", "CACertificateId"), ("enable_http2", "EnableHttp2"),
                            ("tls_cipher_policy", "TLSCipherPolicy")):
                if a.get(tf):
                    p[api] = a[tf]
            if not create and prior is not None and prior.get("ca_certificate_id") and not a.get("ca_certificate_id"):
                # mutual TLS turned off: an empty CACertificateId lets go of the CA certificate, so
                # the certificate can be deleted after this update (the changed value is sent, as
                # the provider sends every changed CACertificateId)
                p["CACertificateId"] = ""
        return clean(p)

    # -- create --------------------------------------------------------------------------------

    def create(self, planned: dict, ctx: CallContext) -> dict:
        proto = planned["protocol"]
        api = PROTO_API[proto]
        lb, port = planned["load_balancer_id"], int(planned["frontend_port"])
        lid = listener_id(lb, proto, port)
        prior = dict(planned, id=lid)
        p = self._params(planned, create=True)
        p["ClientToken"] = ctx.token("create")
        ctx.write(SLB, f"CreateLoadBalancer{api}Listener", p,
                  already_done=("ListenerAlreadyExists", "ListenerPortConflict",
                                "InvalidParameter.ListenerPortConflict"))
        try:
            try:
                # straight to Start: a new listener is stopped; busy answers are retried by ctx
                ctx.write(SLB, "StartLoadBalancerListener",
                          {"LoadBalancerId": lb, "ListenerPort": port, "ListenerProtocol": proto})
            except ApiError:
                # already started (a re-issued create during recovery), or not yet visible
                flat = ctx.wait_for(f"listener {lid} to exist", lambda: self._describe(lb, proto, port, ctx),
                                    lambda f: f is not None)
                if flat.get("Status") not in ("running", "starting"):
                    ctx.write(SLB, "StartLoadBalancerListener",
                              {"LoadBalancerId": lb, "ListenerPort": port, "ListenerProtocol": proto})
            flat = ctx.wait_for(f"listener {lid} to be running", lambda: self._describe(lb, proto, port, ctx),
                                lambda f: f is not None and f.get("Status") == "running")
            got = self.to_attrs(lb, proto, flat, prior)
            if not _forwarding(planned):
                # the follow-up Set for what the create call could not take
                if any(got.get(k) != planned.get(k) for k in _SETTABLE if k in planned
                       and planned.get(k) is not None):
                    ctx.write(SLB, f"SetLoadBalancer{api}ListenerAttribute",
                              self._params(planned, create=False, prior=got))
                    got = self._must(lb, proto, port, prior, ctx)
            return got
        except (ApiError, ProviderError) as e:
            flat = self._describe(lb, proto, port, ctx)
            if flat is None:
                raise
            if flat.get("Status") == "running":
                # serving traffic, some settings missing: record it; the next plan shows the rest
                raise PartialCreateError(self.to_attrs(lb, proto, flat, prior), e) from e
            # never started: nothing depends on it yet, so take it back rather than leave a
            # stopped listener that no later plan would notice
            try:
                self.delete(prior, ctx)
            except (ApiError, ProviderError):
                raise PartialCreateError(self.to_attrs(lb, proto, flat, prior), e) from e
            raise

    # -- update / delete --------------------------------------------------------------------------

    def update(self, prior: dict, planned: dict, ctx: CallContext) -> dict:
        proto = prior.get("protocol") or planned["protocol"]
        lb, port = prior["load_balancer_id"], int(prior["frontend_port"])
        merged = dict(planned)
        merged.setdefault("protocol", proto)
        action = f"SetLoadBalancer{PROTO_API[proto]}ListenerAttribute"
        params = self._params(merged, create=False, prior=prior)
        try:
            ctx.write(SLB, action, params)
        except ApiError as e:
            # switching between a VServer and a master-slave group: reference 9.4 turns one off
            # and the other on in the same call; a cloud that checks the "off" first (no backend
            # port to fall back to) refuses that, so switch with the "on" alone
            switching = ("VServerGroup" in params and "MasterSlaveServerGroup" in params
                         and "on" in (params["VServerGroup"], params["MasterSlaveServerGroup"]))
            if e.code != "OperationFailed.ServerGroupInUse" or not switching:
                raise
            flag = "VServerGroup" if params["VServerGroup"] == "off" else "MasterSlaveServerGroup"
            ctx.write(SLB, action, {k: v for k, v in params.items() if k != flag})
        return self._must(lb, proto, port, dict(planned, id=prior["id"]), ctx)

    def delete(self, prior: dict, ctx: CallContext) -> None:
        lb, proto, port = self._split(prior)
        try:
            ctx.write(SLB, "DeleteLoadBalancerListener",
                      {"LoadBalancerId": lb, "ListenerPort": port, "ListenerProtocol": proto},
                      already_done=("ResourceNotFound.Listener", "InvalidLoadBalancerId.NotFound"))
        except ApiError as e:
            if not not_found(e, "ResourceNotFound.Listener", "InvalidLoadBalancerId.NotFound", messages=_GONE_MSG):
                raise

    # -- read ---------------------------------------------------------------------------------

    def _split(self, a: dict) -> tuple[str, str, int]:
        if a.get("load_balancer_id") and a.get("protocol") and a.get("frontend_port") is not None:
            return a["load_balancer_id"], a["protocol"], int(a["frontend_port"])
        parts = str(a.get("id", "")).split(":")
        if len(parts) == 3:
            return parts[0], parts[1], int(parts[2])
        raise ProviderError(f"invalid listener id {a.get('id')!r}: expected <load_balancer_id>:<protocol>:<port>")

    def prior_from_id(self, id: str) -> dict:
        parts = id.split(":")
        if len(parts) == 3 and parts[1] in PROTO_API and parts[2].isdigit():
            return {"id": id, "load_balancer_id": parts[0], "protocol": parts[1], "frontend_port": int(parts[2])}
        if len(parts) == 2 and parts[1].isdigit():
            return {"id": id, "load_balancer_id": parts[0], "frontend_port": int(parts[1])}
        raise ProviderError(f"invalid listener id {id!r}: expected <load_balancer_id>:<protocol>:<port>")

    def import_(self, id: str, ctx: CallContext) -> dict:
        prior = {**schema_defaults(self.type_name), **self.prior_from_id(id)}
        if "protocol" not in prior:  # legacy "<lb>:<port>": the port must be unique
            found = [f for f in self._list([prior["load_balancer_id"]], ctx)
                     if int(f.get("ListenerPort", 0)) == prior["frontend_port"]]
            if len(found) != 1:
                raise ProviderError(f"cannot import {id!r}: {len(found)} listeners on that port; "
                                    "use <load_balancer_id>:<protocol>:<port>")
            prior["protocol"] = str(found[0]["ListenerProtocol"]).lower()
            prior["id"] = listener_id(prior["load_balancer_id"], prior["protocol"], prior["frontend_port"])
        return self.must_read(prior, ctx)

    def _describe(self, lb: str, proto: str, port: int, ctx: CallContext) -> dict | None:
        try:
            resp = ctx.read(SLB, f"DescribeLoadBalancer{PROTO_API[proto]}ListenerAttribute",
                            {"LoadBalancerId": lb, "ListenerPort": port})
        except ApiError as e:
            if not_found(e, "InvalidLoadBalancerId.NotFound", "ResourceNotFound.Listener", messages=_GONE_MSG):
                return None
            raise
        if not to_int(resp.get("ListenerPort")):
            return None  # not yet visible (reference 4.2 read)
        return resp

    def _must(self, lb: str, proto: str, port: int, prior: dict, ctx: CallContext) -> dict:
        flat = self._describe(lb, proto, port, ctx)
        if flat is None:
            raise ProviderError(f"listener {listener_id(lb, proto, port)} disappeared")
        return self.to_attrs(lb, proto, flat, prior)

    def _list(self, lb_ids: list[str], ctx: CallContext) -> list[dict]:
        """Every listener of these load balancers, flattened (protocol config merged in)."""
        def pages(part: tuple[str, ...]) -> list[dict]:
            """One chunk of up to ten load balancers, following its NextToken pages."""
            out: list[dict] = []
            token: str | None = None
            while True:
                p: dict[str, Any] = {"MaxResults": 100}
                for i, lb in enumerate(part, start=1):
                    p[f"LoadBalancerId.{i}"] = lb
                if token:
                    p["NextToken"] = token
                resp = ctx.read(SLB, "DescribeLoadBalancerListeners", p)
                for li in items(resp, "Listeners"):
                    flat: dict[str, Any] = {}
                    configs = []
                    for k, v in li.items():
                        if k.endswith("ListenerConfig"):
                            if isinstance(v, dict):
                                configs.append(v)
                        else:
                            flat[k] = v
                    for v in configs:  # top-level keys win over a config's
                        for ck, cv in v.items():
                            flat.setdefault(ck, cv)
                    out.append(flat)
                token = resp.get("NextToken") or None
                if not token:
                    return out

        read = ctx.read_each(pages, map(tuple, chunks(sorted(set(lb_ids)), 10)))
        return [flat for listed in read.values() for flat in listed]

    def read_many(self, priors: list[dict], ctx: CallContext) -> list[dict | None]:
        keys = []
        for p in priors:
            try:
                keys.append(self._split(p))
            except ProviderError:
                keys.append(None)
        lbs = [k[0] for k in keys if k]
        found: dict[tuple[str, str, int], dict] = {}
        if lbs:
            try:
                listed = self._list(lbs, ctx)
            except ApiError as e:
                if e.code != "InvalidLoadBalancerId.NotFound":
                    raise
                listed = []
                for lb in sorted(set(lbs)):  # one of them is gone: ask per instance
                    try:
                        listed.extend(self._list([lb], ctx))
                    except ApiError as e2:
                        if e2.code != "InvalidLoadBalancerId.NotFound":
                            raise
            for f in listed:
                lb = f.get("LoadBalancerId")
                proto = str(f.get("ListenerProtocol", "")).lower()
                found[(lb, proto, int(f.get("ListenerPort", 0)))] = f
        out: list[dict | None] = []
        for p, k in zip(priors, keys, strict=True):
            f = found.get(k) if k else None
            out.append(None if f is None else self.to_attrs(k[0], k[1], f, p))
        return out

    def to_attrs(self, lb: str, proto: str, f: dict, prior: dict) -> dict:
        """A flat describe result to Terraform attributes (see the module docstring)."""
        port = int(f.get("ListenerPort") or prior.get("frontend_port"))
        a: dict[str, Any] = dict(prior)
        a.update(id=listener_id(lb, proto, port), load_balancer_id=lb, protocol=proto, frontend_port=port)
        bsp = to_int(f.get("BackendServerPort"))
        a["backend_port"] = bsp if bsp else prior.get("backend_port") if "BackendServerPort" not in f else None
        fields = _FIELDS_OF.get(proto)
        if fields is None:
            fields = tuple((tf, api, _CONVERT[kind]) for tf, api, kind, protos in _FIELDS if proto in protos)
        for tf, api, conv in fields:
            if api in f:
                a[tf] = conv(f[api])
        if proto in ("tcp", "udp") and "HealthCheckConnectTimeout" in f:
            a["health_check_timeout"] = to_int(f["HealthCheckConnectTimeout"])
        elif proto in ("http", "https") and "HealthCheckTimeout" in f:
            a["health_check_timeout"] = to_int(f["HealthCheckTimeout"])
        a["server_group_id"] = none_if_empty(f.get("VServerGroupId"))
        if proto in ("tcp", "udp"):
            a["master_slave_server_group_id"] = none_if_empty(f.get("MasterSlaveServerGroupId"))
        # ACLs: suppressed unless acl_status is on
        if a.get("acl_status") == "on":
            ids = str_list(f.get("AclIds")) or str_list(f.get("AclId"))
            a["acl_ids"] = keep_order(prior.get("acl_ids"), sorted(ids))
            if "AclType" in f:
                a["acl_type"] = none_if_empty(f["AclType"])
            if prior.get("acl_id") is not None:
                a["acl_id"] = ids[0] if ids else None
        if proto in ("http", "https"):
            if proto == "http":
                fwd = f.get("ListenerForward")
                if fwd is not None:
                    a["listener_forward"] = fwd or "off"
                a["forward_port"] = to_int(f.get("ForwardPort")) if a.get("listener_forward") == "on" \
                    else prior.get("forward_port")
            if a.get("sticky_session") == "on":
                for tf, api, kind in _STICKY:
                    if api in f:
                        a[tf] = _conv(kind, f[api])
            if "XForwardedFor" in f or "XForwardedFor_SLBIP" in f:
                block = {
                    "retrive_client_ip": from_onoff(f.get("XForwardedFor", "on")),
                    "retrive_slb_ip": bool(from_onoff(f.get("XForwardedFor_SLBIP", "off"))),
                    "retrive_slb_id": bool(from_onoff(f.get("XForwardedFor_SLBID", "off"))),
                    "retrive_slb_proto": bool(from_onoff(f.get("XForwardedFor_proto", "off"))),
                }
                pb = (prior.get("x_forwarded_for") or [None])[0]
                if isinstance(pb, dict) and "retrive_client_ip" not in pb:
                    block.pop("retrive_client_ip")  # computed-only: keep the configured shape
                if isinstance(pb, dict) or "x_forwarded_for" not in prior or prior.get("x_forwarded_for") is None:
                    a["x_forwarded_for"] = [block]
            if proto == "https" and prior.get("ssl_certificate_id") is not None:
                a["ssl_certificate_id"] = a.get("server_certificate_id")
        if _hc_http_applies(proto, a):
            for tf, api, kind in _HC_HTTP:
                if api in f:
                    a[tf] = _conv(kind, f[api])
        return self.carry(prior, a)
