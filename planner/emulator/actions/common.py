"""Lookups and rules shared by several CLB actions: load balancers, backend servers, listeners."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from planner.emulator.codes import err
from planner.emulator.params import Params
from planner.emulator.registry import Ctx

GUARANTEED_SPECS = ("slb.s1.small", "slb.s2.small", "slb.s2.medium", "slb.s3.small", "slb.s3.medium",
                    "slb.s3.large", "slb.s4.large")
LCU_SPEC = "slb.lcu.elastic"
PROTOCOLS = ("tcp", "udp", "http", "https")
DEFAULT_RESOURCE_GROUP = "rg-acfmdefault0001"  # the account's default resource group
ZONES = {"cn-hangzhou": ("cn-hangzhou-h", "cn-hangzhou-i", "cn-hangzhou-j", "cn-hangzhou-k")}

NOT_EXIST = "The specified resource does not exist."
VSG_NOT_EXIST = "The specified VServerGroupId does not exist."
MSG_NOT_EXIST = "The specified MasterSlaveGroupId does not exist"
BS_INVALID = "The specified BackendServers is invalid."
BS_PORT = "The specified BackendServers is invalid, as the Port value should be in [1, 65535]."
BS_DUP = "The specified BackendServers contain duplicated value of ServerID and Port."


def zones_of(region: str) -> tuple[str, ...]:
    """The region's zones on sale, from the catalogue (planner/emulator/catalogue/regions.json);
    a region the catalogue does not list (a private or future one) gets four zones a..d."""
    from planner.emulator import catalogue

    return catalogue.zones(region) or ZONES.get(region, tuple(f"{region}-{z}" for z in "abcd"))


def get_lb(ctx: Ctx, lb_id: str) -> dict[str, Any]:
    lb = ctx.store.get("lb", lb_id)
    if lb is None or lb["RegionId"] != ctx.region:
        raise err("InvalidLoadBalancerId.NotFound")
    return lb


def lb_param(ctx: Ctx, p: Params) -> dict[str, Any]:
    return get_lb(ctx, p.req("LoadBalancerId"))


def save_lb(ctx: Ctx, lb: dict[str, Any]) -> None:
    ctx.store.put("lb", lb["LoadBalancerId"], lb, region=lb["RegionId"], lb_id=lb["LoadBalancerId"])


def is_guaranteed(lb: dict[str, Any]) -> bool:
    """Performance-guaranteed instances (a spec, or pay-by-LCU) unlock ENI/ECI and sch/tch/qch."""
    return bool(lb.get("LoadBalancerSpec"))


def tags_out(doc: dict[str, Any]) -> dict[str, list[dict[str, str]]]:
    return {"Tag": [dict(t) for t in doc.get("Tags", [])]}


# --- backend servers ----------------------------------------------------------------------

def parse_servers(p: Params, name: str, *, port_required: bool, ms: bool = False,
                  required: bool = True) -> list[dict[str, Any]]:
    """A BackendServers-style JSON list, normalised: ServerId, Port?, Weight, Type, ServerIp?,
    Description?, ServerType? (master-slave). At most 20 per call."""
    items = p.json_list(name, malformed=lambda: err("BackendServersMalformed"), required=required)
    if items is None:
        return []
    if len(items) > 20:
        raise err("TooManyBackendServers")
    out = []
    for it in items:
        if not isinstance(it, dict):
            raise err("BackendServersMalformed")
        low = {str(k).lower(): v for k, v in it.items()}
        sid = str(low.get("serverid") or "").strip()
        if not sid:
            raise err("BACKEND_SERVER_ID_CAN_NOT_EMPTY") if ms else err("InvalidParameter", BS_INVALID)
        s: dict[str, Any] = {"ServerId": sid}
        port = low.get("port")
        if port not in (None, ""):
            try:
                port_n = int(str(port).strip())
            except ValueError:
                raise err("InvalidParameter", BS_PORT)
            if not 1 <= port_n <= 65535:
                raise err("InvalidParameter", BS_PORT)
            s["Port"] = port_n
        elif port_required:
            raise err("BACKEND_SERVER_PORT_CAN_NOT_EMPTY") if ms else err("InvalidParameter", BS_PORT)
        weight = low.get("weight")
        if weight in (None, ""):
            s["Weight"] = 100
        else:
            try:
                w = int(str(weight).strip())
            except ValueError:
                raise err("InvalidWeight.Malformed")
            if not 0 <= w <= 100:
                raise err("InvalidWeight.Malformed")
            s["Weight"] = w
        typ = str(low.get("type") or "ecs").strip().lower()
        if typ not in ("ecs", "eni", "eci"):
            raise err("BackendServer.InvalidType")
        s["Type"] = typ
        ip = str(low.get("serverip") or "").strip()
        if ip:
            s["ServerIp"] = ip
        desc = low.get("description")
        if desc not in (None, ""):
            s["Description"] = str(desc)
        if ms:
            st = str(low.get("servertype") or "").strip()
            if st not in ("Master", "Slave"):
                raise err("INVALID_SERVER_TYPE")
            s["ServerType"] = st
        out.append(s)
    return out


def skey(s: dict[str, Any], with_port: bool) -> tuple:
    """Identity of a server inside a group: (ServerId[, Port][, ServerIp for ENI/ECI])."""
    ip = s.get("ServerIp", "") if s.get("Type", "ecs") != "ecs" else ""
    return (s["ServerId"], s.get("Port"), ip) if with_port else (s["ServerId"], ip)


def bind_servers(ctx: Ctx, lb: dict[str, Any], servers: list[dict[str, Any]]) -> None:
    """Check every server may serve this load balancer and fill in its ServerIp.

    Rules: ECS instances must exist in the instance's region and be Running (ObtainIpFail);
    ENIs must exist (ResourceNotFound.vServers), be attached to a running instance, and the
    ServerIp must be one of their private IPs; ENI/ECI need a performance-guaranteed instance;
    all servers must be in the load balancer's VPC (InvalidBackendServers.Inconsistent).
    """
    st = ctx.store
    for s in servers:
        typ = s["Type"]
        if typ in ("eni", "eci") and not is_guaranteed(lb):
            raise err("InvalidParameterValue.SpecNotSupport",
                      f"The backend server type {typ} is not supported by a shared-performance instance.")
        if typ == "ecs":
            inst = st.get("instance", s["ServerId"])
            if inst is None or inst["RegionId"] != lb["RegionId"] or inst["Status"] != "Running":
                raise err("ObtainIpFail")
            vpc = inst["VpcAttributes"]["VpcId"]
            s["ServerIp"] = inst["VpcAttributes"]["PrivateIpAddress"]["IpAddress"][0]
        elif typ == "eni":
            eni = st.get("eni", s["ServerId"])
            if eni is None or eni["RegionId"] != lb["RegionId"]:
                raise err("ResourceNotFound.vServers", None, s["ServerId"])
            ips = [x["PrivateIpAddress"] for x in eni["PrivateIpSets"]["PrivateIpSet"]]
            if "ServerIp" not in s:
                s["ServerIp"] = eni["PrivateIpAddress"]
            elif s["ServerIp"] not in ips:
                raise err("InvalidParameter", BS_INVALID)
            inst = st.get("instance", eni.get("InstanceId") or "")
            if inst is None or inst["Status"] != "Running":
                raise err("ObtainIpFail")
            vpc = eni["VpcId"]
        else:  # ECI containers are not emulated: none exists, so none can be added
            raise err("ObtainIpFail")
        want = lb.get("VpcId") or lb.get("_backend_vpc")
        if want and vpc != want:
            raise err("InvalidBackendServers.Inconsistent")
        if not want:
            lb["_backend_vpc"] = vpc
            save_lb(ctx, lb)


# every key a stored server may carry (parse_servers and bind_servers write no others): a server whose
# keys are all among them is copied whole instead of key by key
_SERVER_KEYS = frozenset(("ServerId", "Port", "Weight", "Type", "ServerIp", "Description", "ServerType"))


def server_out(s: dict[str, Any], *, with_ip: bool = True) -> dict[str, Any]:
    """A server as responses show it; write responses and master-slave groups carry no ServerIp
    unless the caller chose one (an ENI's secondary address).

    Describes of groups build one of these per member (20,000 VServer groups of 20 at 10,000 load
    balancers): the common case, no private ``_`` key, is a C-level subset test and a dict copy."""
    if s.keys() <= _SERVER_KEYS:
        out = s.copy()
        if not with_ip and "ServerIp" in out and s.get("Type", "ecs") == "ecs":
            del out["ServerIp"]
        return out
    if with_ip or s.get("Type", "ecs") != "ecs":
        return {k: v for k, v in s.items() if not k.startswith("_")}
    return {k: v for k, v in s.items() if not k.startswith("_") and k != "ServerIp"}


# --- listeners ------------------------------------------------------------------------------

def listener_id(lb_id: str, protocol: str, port: int) -> str:
    """Also the tag ResourceId of a listener: ``<lb>_<protocol>_<port>``."""
    return f"{lb_id}_{protocol}_{port}"


def listener_status(ctx: Ctx, lst: dict[str, Any]) -> str:
    """"starting" turns into "running" once the start delay has passed."""
    s = lst["_status"]
    if s == "starting" and ctx.now >= lst.get("_ready_at", 0):
        return "running"
    return s


def listeners_at(ctx: Ctx, lb_id: str, port: int) -> list[dict[str, Any]]:
    out = []
    for proto in PROTOCOLS:
        d = ctx.store.get("listener", listener_id(lb_id, proto, port))
        if d is not None:
            out.append(d)
    return out


def find_listener(ctx: Ctx, p: Params, lb: dict[str, Any], *, not_found: Callable[[], Exception],
                  port_param: str = "ListenerPort") -> dict[str, Any]:
    """The listener a Start/Stop/Delete/Rules call names by port (+ ListenerProtocol when shared)."""
    port = p.int(port_param, 1, 65535, required=True,
                 error=lambda: err("InvalidParameter", "The specified port is not valid."))
    proto = p.enum("ListenerProtocol", PROTOCOLS)
    found = listeners_at(ctx, lb["LoadBalancerId"], port)
    if proto:
        found = [x for x in found if x["ListenerProtocol"] == proto]
    if not found:
        raise not_found()
    if len(found) > 1:
        raise err("TooManyListeners")
    return found[0]


def listener_refs(lst: dict[str, Any]) -> list[tuple[str, str]]:
    refs: list[tuple[str, str]] = []
    if lst.get("VServerGroupId"):
        refs.append(("vsg", lst["VServerGroupId"]))
    if lst.get("MasterSlaveServerGroupId"):
        refs.append(("msg", lst["MasterSlaveServerGroupId"]))
    for a in lst.get("AclIds", []):
        refs.append(("acl", a))
    if lst.get("ServerCertificateId"):
        refs.append(("cert", lst["ServerCertificateId"]))
    if lst.get("CACertificateId"):
        refs.append(("cacert", lst["CACertificateId"]))
    if str(lst.get("TLSCipherPolicy") or "").startswith("tls-"):
        refs.append(("tlspolicy", lst["TLSCipherPolicy"]))
    if lst.get("ListenerForward") == "on" and lst.get("ForwardPort"):
        refs.append(("listener", listener_id(lst["LoadBalancerId"], "https", lst["ForwardPort"])))
    return refs


def save_listener(ctx: Ctx, lst: dict[str, Any]) -> None:
    lid = listener_id(lst["LoadBalancerId"], lst["ListenerProtocol"], lst["ListenerPort"])
    ctx.store.put("listener", lid, lst, region=ctx.region, lb_id=lst["LoadBalancerId"], refs=listener_refs(lst))


def group_of_lb(ctx: Ctx, kind: str, gid: str, lb_id: str) -> dict[str, Any] | None:
    g = ctx.store.get(kind, gid)
    if g is None or g["LoadBalancerId"] != lb_id:
        return None
    return g
