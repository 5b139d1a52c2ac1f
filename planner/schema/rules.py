"""Cross-resource rules of the CLB product, checked over a whole configuration before any API call.

Each rule is one the cloud enforces (or a hazard the product documentation warns about); finding
it here turns an apply that fails half way into a located error at plan time.

Which load balancer (or group, or listener) a resource points at: ids are usually unknown
before apply, so we compare *reference targets*. A resource that refers to exactly one
resource of the target type (``instance.depends_on``) points at that resource; otherwise a
known literal id is compared as a string; otherwise we cannot tell and stay silent.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from planner.diagnostics import Diagnostic
from planner.schema._checks import blocks_of, known, pos_for
from planner.schema.facts import (
    ECS_INSTANCE,
    EIP_TYPES,
    ENI_TYPES,
    LOAD_BALANCER_TYPES,
    MASTER_SLAVE_GROUP,
    MAX_LISTENERS_PER_LB,
    MAX_RULES_PER_LISTENER,
    MAX_RULES_PER_SECURITY_GROUP,
    SERVER_GROUP,
)

if TYPE_CHECKING:
    from planner.addresses import ResourceAddress
    from planner.config.model import Configuration, ResourceInstance

GROUP_TYPES = frozenset({SERVER_GROUP})
MS_TYPES = frozenset({MASTER_SLAVE_GROUP})
TCP_TRANSPORT = frozenset({"tcp", "http", "https"})

Key = tuple[str, Any]


def _ref(inst: ResourceInstance, attr: str, types: Iterable[str],
         resources: Mapping[ResourceAddress, Any] | None = None) -> Key | None:
    """What ``inst.attributes[attr]`` points at: ("ref", address) or ("id", literal) or None.

    With ``resources``, a dependency on a whole counted resource (an unkeyed address that is not an
    instance: a splat, ``values()``) is not taken for a reference to one object."""
    types = frozenset(types)
    targets = {a for a in inst.depends_on if a.type in types and (resources is None or a in resources)}
    if len(targets) == 1:
        return ("ref", next(iter(targets)))
    v = inst.attributes.get(attr)
    if known(v) and isinstance(v, str):
        return ("id", v)
    return None


def _differ(a: Key | None, b: Key | None) -> bool:
    """Provably different targets: both known and of the same kind (a reference and a literal id
    may be the same load balancer once the reference resolves, so they are never compared)."""
    return a is not None and b is not None and a[0] == b[0] and a != b


def _show(key: Key) -> str:
    return str(key[1]) if key[0] == "ref" else f'"{key[1]}"'


def _err(inst: ResourceInstance, path: tuple, summary: str, hint: str, severity: str = "error") -> Diagnostic:
    return Diagnostic(f"{inst.address}: {summary}", pos_for(inst, path), "", hint, severity)


class _Index:
    """The configuration's resources grouped the way the rules need them."""

    def __init__(self, config: Configuration):
        self.by_type: dict[str, list[ResourceInstance]] = defaultdict(list)
        items = config.resources.items()
        if all(i.pos is not None for _a, i in items):  # a position's fields compare as the position does
            order = sorted(items, key=lambda ai: (ai[1].pos.filename, ai[1].pos.line, ai[1].pos.column, str(ai[0])))
        else:
            order = sorted(items, key=lambda ai: (ai[1].pos, str(ai[0])))
        for _addr, inst in order:
            self.by_type[inst.type].append(inst)
        self.resources = config.resources
        self.lbs: dict[ResourceAddress, ResourceInstance] = {
            a: i for a, i in config.resources.items() if i.type in LOAD_BALANCER_TYPES}
        # instance -> its load balancer: several rules ask for each instance's, and one answer walks
        # every dependency of the instance (41 for a 40-server group); the configuration does not
        # change while it is checked
        self._lb_of: dict[int, Key | None] = {}
        self._deps: dict[int, dict[str, list[ResourceAddress]]] = {}  # instance -> its dependencies by type

    def of(self, *types: str) -> list[ResourceInstance]:
        return [i for t in types for i in self.by_type.get(t, [])]

    def ref(self, inst: ResourceInstance, attr: str, types: Iterable[str]) -> Key | None:
        """``_ref`` with the instance's dependencies grouped by type once (a group depends on 21
        instances and is asked about several times); the same answer."""
        by_type = self._deps.get(id(inst))
        if by_type is None:
            by_type = self._deps[id(inst)] = {}
            for a in inst.depends_on:
                by_type.setdefault(a.type, []).append(a)
        resources = self.resources
        targets = {a for t in frozenset(types) for a in by_type.get(t, ()) if a in resources}
        if len(targets) == 1:
            return ("ref", next(iter(targets)))
        v = inst.attributes.get(attr)
        if known(v) and isinstance(v, str):
            return ("id", v)
        return None

    def lb_of(self, inst: ResourceInstance) -> Key | None:
        k = id(inst)
        if k in self._lb_of:
            return self._lb_of[k]
        found = self._lb_of[k] = self.ref(inst, "load_balancer_id", LOAD_BALANCER_TYPES)
        return found

    def lb_instance(self, key: Key | None) -> ResourceInstance | None:
        if key and key[0] == "ref":
            return self.lbs.get(key[1])
        return None

    def group_lb(self, key: Key | None) -> Key | None:
        """The load balancer a referenced server group (or MS group) belongs to."""
        if key and key[0] == "ref":
            grp = self.resources.get(key[1])
            if grp is not None:
                return self.lb_of(grp)
        return None


def _listeners(ix: _Index) -> tuple[list[Diagnostic], dict[tuple[Key, int], list[ResourceInstance]]]:
    """Listener count per LB and port conflicts; returns listeners by (lb, port) for the rule checks."""
    out: list[Diagnostic] = []
    per_lb: dict[Key, list[ResourceInstance]] = defaultdict(list)
    by_port: dict[tuple[Key, int], list[ResourceInstance]] = defaultdict(list)
    for lst in ix.of("alicloud_slb_listener"):
        lb = ix.lb_of(lst)
        if lb is None:
            continue
        per_lb[lb].append(lst)
        port = lst.attributes.get("frontend_port")
        if known(port):
            by_port[(lb, port)].append(lst)
    for lb, items in per_lb.items():
        if len(items) > MAX_LISTENERS_PER_LB:
            extra = items[MAX_LISTENERS_PER_LB]
            out.append(_err(extra, (), f"load balancer {_show(lb)} would have {len(items)} listeners; "
                                       f"a CLB instance holds at most {MAX_LISTENERS_PER_LB}",
                            f"remove {len(items) - MAX_LISTENERS_PER_LB} listener(s) or spread them over another load "
                            "balancer (the quota slb_quota_listeners_num can be raised by a support ticket)"))
    for (lb, port), items in by_port.items():
        seen: dict[str, ResourceInstance] = {}
        for lst in items:
            proto = lst.attributes.get("protocol")
            if not known(proto):
                continue
            family = "udp" if proto == "udp" else "tcp"
            first = seen.get(family)
            if first is None:
                seen[family] = lst
                continue
            fproto = first.attributes.get("protocol")
            if fproto == proto:
                summary = f"duplicate {proto} listener on port {port} of load balancer {_show(lb)}"
                hint = f"{first.address} already listens on {proto}:{port}; use another frontend_port"
            else:
                summary = (f"{proto} listener on port {port} conflicts with the {fproto} listener "
                           f"{first.address}")
                hint = (f"{proto} and {fproto} both use TCP, so they cannot share a port on one load "
                        "balancer (only a udp listener can share a tcp port); use another frontend_port")
            out.append(_err(lst, ("frontend_port",), summary, hint))
    return out, by_port


def _listener_backends(ix: _Index) -> list[Diagnostic]:
    """Groups bound to a listener must belong to its LB; master-slave groups only on TCP/UDP."""
    out: list[Diagnostic] = []
    for lst in ix.of("alicloud_slb_listener"):
        lb = ix.lb_of(lst)
        # (a master-slave group on an http/https listener is reported by the listener's own checks)
        for attr, types, what in (("server_group_id", GROUP_TYPES, "VServer group"),
                                  ("master_slave_server_group_id", MS_TYPES, "master-slave group")):
            if lst.attributes.get(attr) is None:
                continue
            grp = ix.ref(lst, attr, types)
            if attr == "server_group_id" and grp is None and ix.ref(lst, attr, MS_TYPES) and \
                    lst.attributes.get("master_slave_server_group_id") is None:
                out.append(_err(lst, (attr,), "server_group_id refers to a master-slave server group",
                                "use master_slave_server_group_id for alicloud_slb_master_slave_server_group"))
                continue
            glb = ix.group_lb(grp)
            if _differ(lb, glb):
                out.append(_err(lst, (attr,), f"the {what} {_show(grp)} belongs to load balancer {_show(glb)}, "
                                              f"not to {_show(lb)}",
                                "a listener can use only groups of its own load balancer; create the group with "
                                "the listener's load_balancer_id"))
    return out


def _rules(ix: _Index, by_port: dict[tuple[Key, int], list[ResourceInstance]]) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    per_listener: dict[str, list[ResourceInstance]] = defaultdict(list)
    lbs_with_unknown_ports = {ix.lb_of(lst) for lst in ix.of("alicloud_slb_listener")
                              if not known(lst.attributes.get("frontend_port"))}
    seen_match: dict[tuple[str, Any, Any], ResourceInstance] = {}
    for rule in ix.of("alicloud_slb_rule"):
        lb = ix.lb_of(rule)
        port = rule.attributes.get("frontend_port")
        if lb is None or not known(port):
            continue
        listeners = by_port.get((lb, port), [])
        http = [ls for ls in listeners if ls.attributes.get("protocol") in ("http", "https")]
        if listeners and not http:
            protos = "/".join(sorted({str(ls.attributes.get("protocol")) for ls in listeners}))
            out.append(_err(rule, ("frontend_port",),
                            f"forwarding rule on port {port}, which is a {protos} listener",
                            "forwarding rules work only on http/https listeners; put the rule on an http or "
                            "https listener's frontend_port"))
            continue
        if not listeners and lb[0] == "ref" and lb not in lbs_with_unknown_ports:
            out.append(_err(rule, ("frontend_port",),
                            f"no listener on port {port} of load balancer {_show(lb)} for this rule",
                            "declare an alicloud_slb_listener with protocol http or https and this frontend_port"))
            continue
        if http:
            lkey = str(http[0].address)
            per_listener[lkey].append(rule)
            dom, url = rule.attributes.get("domain"), rule.attributes.get("url")
            if known(dom) or known(url):
                mkey = (lkey, dom, url)
                if mkey in seen_match:
                    out.append(_err(rule, ("domain",) if dom is not None else ("url",),
                                    f"another rule on the same listener already matches domain={dom!r} url={url!r}",
                                    f"{seen_match[mkey].address} has the same match; change domain or url"))
                else:
                    seen_match[mkey] = rule
        grp = ix.ref(rule, "server_group_id", GROUP_TYPES)
        glb = ix.group_lb(grp)
        if _differ(lb, glb):
            out.append(_err(rule, ("server_group_id",),
                            f"the VServer group {_show(grp)} belongs to load balancer {_show(glb)}, not {_show(lb)}",
                            "a rule forwards only to groups of its listener's load balancer"))
    for lkey, rules in per_listener.items():
        if len(rules) > MAX_RULES_PER_LISTENER:
            out.append(_err(rules[MAX_RULES_PER_LISTENER], (), f"listener {lkey} would have {len(rules)} forwarding rules; "
                                                  f"at most {MAX_RULES_PER_LISTENER} are allowed",
                            "merge rules (one rule can match a domain and a URL prefix) or use another listener"))
    return out


def _guaranteed(lb: ResourceInstance | None) -> bool | None:
    """True/False for a load balancer in this configuration, None when we cannot know."""
    if lb is None:
        return None
    spec, charge = lb.attributes.get("load_balancer_spec"), lb.attributes.get("instance_charge_type")
    if spec is not None or charge == "PayByCLCU":
        return True
    if charge is not None and not known(charge):
        return None
    return False


def _eni_backends(ix: _Index) -> list[Diagnostic]:
    """ENI/ECI backends need a performance-guaranteed load balancer (seed doc, section 5)."""
    out: list[Diagnostic] = []

    def check(inst: ResourceInstance, lb: Key | None, path: tuple, typ: Any) -> None:
        if typ not in ("eni", "eci"):
            return
        lbi = ix.lb_instance(lb)
        if _guaranteed(lbi) is False:
            out.append(_err(inst, path, f"{typ.upper()} backends need a performance-guaranteed load balancer, "
                                        f"but {lbi.address} is shared-performance",
                            f'set load_balancer_spec (e.g. "slb.s1.small") or instance_charge_type = "PayByCLCU" '
                            f"on {lbi.address}"))

    for grp in ix.of(SERVER_GROUP, MASTER_SLAVE_GROUP):
        for i, s in blocks_of(grp.attributes, "servers"):
            if isinstance(s, dict):
                check(grp, ix.lb_of(grp), ("servers", i, "type"), s.get("type"))
    for bs in ix.of("alicloud_slb_backend_server"):
        for i, s in blocks_of(bs.attributes, "backend_servers"):
            if isinstance(s, dict):
                check(bs, ix.lb_of(bs), ("backend_servers", i, "type"), s.get("type"))
    for att in ix.of("alicloud_slb_server_group_server_attachment"):
        lb = ix.group_lb(ix.ref(att, "server_group_id", GROUP_TYPES))
        check(att, lb, ("type",), att.attributes.get("type"))
    return out


def _listener_needs(ix: _Index) -> list[Diagnostic]:
    """Hash schedulers need a performance-guaranteed instance; ACLs must match the LB's IP version."""
    out: list[Diagnostic] = []
    for lst in ix.of("alicloud_slb_listener"):
        lbi = ix.lb_instance(ix.lb_of(lst))
        if lbi is None:
            continue
        sched = lst.attributes.get("scheduler")
        if sched in ("sch", "tch", "qch") and _guaranteed(lbi) is False:
            out.append(_err(lst, ("scheduler",), f'scheduler "{sched}" needs a performance-guaranteed load '
                                                 f"balancer, but {lbi.address} is shared-performance",
                            f"use wrr, wlc or rr, or set load_balancer_spec on {lbi.address}"))
        lb_ip = lbi.attributes.get("address_ip_version", "ipv4")
        for acl_addr in sorted(a for a in lst.depends_on if a.type == "alicloud_slb_acl"):
            acl = ix.resources.get(acl_addr)
            ip = acl.attributes.get("ip_version") if acl is not None else None
            if known(ip) and known(lb_ip) and ip != lb_ip:
                out.append(_err(lst, ("acl_ids",), f"{acl_addr} is an {ip} ACL but {lbi.address} is {lb_ip}",
                                f'bind only {lb_ip} ACLs (ip_version = "{lb_ip}") to this listener'))
    return out


def _ownership(ix: _Index) -> list[Diagnostic]:
    """Two resources that would fight over the same servers."""
    out: list[Diagnostic] = []
    owners: dict[Key, ResourceInstance] = {}
    for bs in ix.of("alicloud_slb_backend_server"):
        lb = ix.lb_of(bs)
        if lb is None:
            continue
        if lb in owners:
            out.append(_err(bs, ("load_balancer_id",),
                            f"{owners[lb].address} already manages the default server group of {_show(lb)}",
                            "put all default-group servers of one load balancer in one alicloud_slb_backend_server; "
                            "two would remove each other's servers on every apply"))
        else:
            owners[lb] = bs
    attached: dict[tuple, ResourceInstance] = {}
    groups_with_attachments: set[Key] = set()
    for att in ix.of("alicloud_slb_server_group_server_attachment"):
        grp = ix.ref(att, "server_group_id", GROUP_TYPES)
        sid, port = att.attributes.get("server_id"), att.attributes.get("port")
        if grp is None:
            continue
        groups_with_attachments.add(grp)
        if not (known(sid) and known(port)):
            continue
        key = (grp, sid, port)
        if key in attached:
            out.append(_err(att, ("server_id",), f"server {sid} port {port} is already attached to {_show(grp)}",
                            f"{attached[key].address} attaches the same server and port; keep one"))
        else:
            attached[key] = att
    for grp in ix.of("alicloud_slb_server_group"):
        if ("ref", grp.address) in groups_with_attachments and grp.attributes.get("servers"):
            out.append(_err(grp, ("servers",), "servers blocks and alicloud_slb_server_group_server_attachment "
                                               "manage the same group",
                            "use one style per group: servers blocks here, or attachment resources",
                            severity="warning"))
    return out


def _default_group_owners(ix: _Index) -> list[Diagnostic]:
    """alicloud_slb_attachment reads and writes the whole default server group (the provider
    documents that it cannot be used with alicloud_slb_backend_server on the same load balancer)."""
    out: list[Diagnostic] = []
    owners: dict[Key, ResourceInstance] = {}
    for inst in ix.of("alicloud_slb_backend_server", "alicloud_slb_attachment"):
        lb = ix.lb_of(inst)
        if lb is None:
            continue
        first = owners.setdefault(lb, inst)
        if first is inst or inst.type == first.type == "alicloud_slb_backend_server":
            continue  # two backend_server resources: reported by _ownership
        out.append(_err(inst, ("load_balancer_id",),
                        f"{first.address} already manages the default server group of {_show(lb)}",
                        "alicloud_slb_attachment takes over the whole default server group: use one "
                        "alicloud_slb_attachment or one alicloud_slb_backend_server per load balancer, not both "
                        "(they would remove each other's servers on every apply)"))
    return out


def _https_extensions(ix: _Index, by_port: dict[tuple[Key, int], list[ResourceInstance]]) -> list[Diagnostic]:
    """Domain extensions sit on an HTTPS listener of a performance-guaranteed load balancer; custom
    TLS policies need a guaranteed one too (InvalidParameter.SpecNotSupport otherwise)."""
    out: list[Diagnostic] = []
    for de in ix.of("alicloud_slb_domain_extension"):
        lb = ix.lb_of(de)
        port = de.attributes.get("frontend_port")
        lbi = ix.lb_instance(lb)
        if _guaranteed(lbi) is False:
            out.append(_err(de, ("load_balancer_id",), f"domain extensions need a performance-guaranteed load "
                                                       f"balancer, but {lbi.address} is shared-performance",
                            f'set load_balancer_spec (e.g. "slb.s1.small") on {lbi.address}'))
        if lb is None or lb[0] != "ref" or not known(port):
            continue
        listeners = by_port.get((lb, port), [])
        if not any(lst.attributes.get("protocol") == "https" for lst in listeners):
            other = next((lst for lst in listeners if known(lst.attributes.get("protocol"))), None)
            what = (f"{other.address} on port {port} is {other.attributes['protocol']}" if other is not None
                    else f"no listener on port {port} of {_show(lb)}")
            out.append(_err(de, ("frontend_port",), f"a domain extension needs an https listener: {what}",
                            "point frontend_port at an https listener of the same load balancer"))
    for lst in ix.of("alicloud_slb_listener"):
        policy = lst.attributes.get("tls_cipher_policy")
        custom = any(a.type == "alicloud_slb_tls_cipher_policy" for a in lst.depends_on)
        if lst.attributes.get("protocol") != "https" or (not known(policy) and not custom) \
                or policy == "tls_cipher_policy_1_0":
            continue
        lbi = ix.lb_instance(ix.lb_of(lst))
        if _guaranteed(lbi) is False:
            out.append(_err(lst, ("tls_cipher_policy",), f"tls_cipher_policy needs a performance-guaranteed load "
                                                         f"balancer, but {lbi.address} is shared-performance",
                            f'remove tls_cipher_policy, or set load_balancer_spec on {lbi.address}'))
    return out


_RULE_IDENTITY = ("type", "ip_protocol", "port_range", "nic_type", "cidr_ip", "ipv6_cidr_ip",
                  "source_security_group_id", "prefix_list_id", "policy", "priority")


def _security_group_rules(ix: _Index) -> list[Diagnostic]:
    """The cloud refuses a rule its group already has (InvalidPermission.Duplicate) and more than 200
    rules in one group (AuthorizationLimitExceed); both are found here, before any call."""
    out: list[Diagnostic] = []
    per_group: dict[Key, list[ResourceInstance]] = defaultdict(list)
    seen: dict[tuple, ResourceInstance] = {}
    for rule in ix.of("alicloud_security_group_rule"):
        sg = ix.ref(rule, "security_group_id", ("alicloud_security_group",))
        if sg is None:
            continue
        per_group[sg].append(rule)
        values = tuple(rule.attributes.get(k) for k in _RULE_IDENTITY)
        if not all(v is None or known(v) for v in values):
            continue
        key = (sg, values)
        if key in seen:
            out.append(_err(rule, ("port_range",), f"{seen[key].address} already authorizes the same rule in "
                                                   f"{_show(sg)}",
                            "the cloud refuses a duplicate rule (InvalidPermission.Duplicate): remove one, or "
                            "change its ports, peer, policy or priority"))
        else:
            seen[key] = rule
    for sg, rules in per_group.items():
        if len(rules) > MAX_RULES_PER_SECURITY_GROUP:
            out.append(_err(rules[MAX_RULES_PER_SECURITY_GROUP], (),
                            f"{_show(sg)} would hold {len(rules)} rules; a security group holds at most "
                            f"{MAX_RULES_PER_SECURITY_GROUP}",
                            "merge rules (port ranges, wider CIDR blocks) or spread them over another security group"))
    return out


def _eip_associations(ix: _Index) -> list[Diagnostic]:
    """An EIP binds only to an intranet load balancer (an internet one has a public address), one EIP
    per load balancer or instance, and one instance per EIP."""
    out: list[Diagnostic] = []
    targets: dict[Key, ResourceInstance] = {}
    eips: dict[Key, ResourceInstance] = {}
    target_types = LOAD_BALANCER_TYPES | ENI_TYPES | {ECS_INSTANCE}
    for assoc in ix.of("alicloud_eip_association"):
        target = ix.ref(assoc, "instance_id", target_types)
        lbi = ix.lb_instance(target)
        if lbi is not None:
            addr_type = lbi.attributes.get("address_type")
            vsw = lbi.attributes.get("vswitch_id")
            internet = addr_type == "internet" or (addr_type is None and vsw is None)
            if internet:
                out.append(_err(assoc, ("instance_id",), f"{lbi.address} is an internet load balancer: an EIP binds "
                                                         "only to an intranet one",
                                f'set address_type = "intranet" and vswitch_id on {lbi.address}, or drop the EIP '
                                "(an internet load balancer already has a public address)"))
            itype = assoc.attributes.get("instance_type")
            if known(itype) and itype != "SlbInstance":
                out.append(_err(assoc, ("instance_type",), f'instance_type "{itype}" does not match '
                                                           f"{lbi.address}, a load balancer",
                                'use instance_type = "SlbInstance" (or leave it unset)'))
        if target is not None:
            first = targets.setdefault(target, assoc)
            if first is not assoc:
                out.append(_err(assoc, ("instance_id",), f"{_show(target)} already gets an EIP from {first.address}",
                                "one EIP per load balancer or instance (InvalidAssociation.Duplicated)"))
        eip = ix.ref(assoc, "allocation_id", EIP_TYPES)
        if eip is not None:
            first = eips.setdefault(eip, assoc)
            if first is not assoc:
                out.append(_err(assoc, ("allocation_id",), f"{_show(eip)} is already bound by {first.address}",
                                "an EIP is bound to one instance at a time (IncorrectEipStatus)"))
    return out


def _capacity(ix: _Index) -> list[Diagnostic]:
    """Listener bandwidth within a pay-by-bandwidth load balancer's bandwidth."""
    out: list[Diagnostic] = []
    total: dict[Key, list[ResourceInstance]] = defaultdict(list)
    for lst in ix.of("alicloud_slb_listener"):
        lb = ix.lb_of(lst)
        if lb is not None and known(lst.attributes.get("bandwidth")):
            total[lb].append(lst)
    for lb, items in total.items():
        lbi = ix.lb_instance(lb)
        if lbi is None:
            continue
        charge, cap = lbi.attributes.get("internet_charge_type"), lbi.attributes.get("bandwidth")
        if not (isinstance(charge, str) and charge.lower() == "paybybandwidth" and known(cap)):
            continue
        used = sum(i.attributes["bandwidth"] for i in items if i.attributes["bandwidth"] > 0)
        if used > cap:
            out.append(_err(items[-1], ("bandwidth",),
                            f"listeners of {lbi.address} ask for {used} Mbit/s, more than its bandwidth {cap}",
                            f"lower the listeners' bandwidth or raise bandwidth on {lbi.address}"))
    return out


def _forwarding(ix: _Index, by_port: dict[tuple[Key, int], list[ResourceInstance]]) -> list[Diagnostic]:
    """An HTTP listener redirecting to forward_port needs an HTTPS listener there."""
    out: list[Diagnostic] = []
    for lst in ix.of("alicloud_slb_listener"):
        a = lst.attributes
        if a.get("protocol") != "http" or a.get("listener_forward") != "on" or not known(a.get("forward_port")):
            continue
        lb = ix.lb_of(lst)
        if lb is None or lb[0] != "ref":
            continue
        targets = by_port.get((lb, a["forward_port"]), [])
        if not any(t.attributes.get("protocol") == "https" for t in targets):
            out.append(_err(lst, ("forward_port",), f"no https listener on port {a['forward_port']} to redirect to",
                            "declare an https listener on forward_port, or change forward_port"))
    return out


def validate_configuration(config: Configuration) -> list[Diagnostic]:
    """Every cross-resource rule; assumes each instance went through ``conform`` already."""
    ix = _Index(config)
    out, by_port = _listeners(ix)
    out += _listener_backends(ix)
    out += _rules(ix, by_port)
    out += _eni_backends(ix)
    out += _listener_needs(ix)
    out += _ownership(ix)
    out += _default_group_owners(ix)
    out += _https_extensions(ix, by_port)
    out += _security_group_rules(ix)
    out += _eip_associations(ix)
    out += _capacity(ix)
    out += _forwarding(ix, by_port)
    return out
