"""Supporting compute resources: ``alicloud_instance``, ENIs (``alicloud_ecs_network_interface``
and the older ``alicloud_network_interface``) and their attachments.

These are the backend servers of the load balancers. Reads are bulk (up to 100 ids per
describe). Attributes the API does not report (password, user data, disks...) keep their
configured value.
"""

from __future__ import annotations

import json
from typing import Any

from planner.providers.base import BaseHandler, CallContext, ProviderError, register
from planner.providers.errors import ApiError

from .common import (
    ECS,
    VPC,
    chunks,
    clean,
    items,
    none_if_empty,
    parse_tags,
    str_list,
    sync_ecs_tags,
    tag_params,
    tags_out,
    to_int,
)

INSTANCE_GONE = ("InvalidInstanceId.NotFound",)
ENI_GONE = ("InvalidEniId.NotFound", "InvalidEcsId.NotFound", "InvalidNetworkInterfaceId.NotFound")


def describe_instances(ids: list[str], ctx: CallContext) -> dict[str, dict]:
    found: dict[str, dict] = {}
    for part in chunks(sorted(set(ids)), 100):
        resp = ctx.read(ECS, "DescribeInstances", {"InstanceIds": json.dumps(part), "PageSize": 100,
                                                   "PageNumber": 1})
        for inst in items(resp, "Instances", "Instance"):
            found[inst.get("InstanceId")] = inst
    return found


def describe_enis(ids: list[str], ctx: CallContext) -> dict[str, dict]:
    found: dict[str, dict] = {}
    for part in chunks(sorted(set(ids)), 100):
        p: dict[str, Any] = {"MaxResults": 100}
        for i, e in enumerate(part, start=1):
            p[f"NetworkInterfaceId.{i}"] = e
        resp = ctx.read(ECS, "DescribeNetworkInterfaces", p)
        for eni in items(resp, "NetworkInterfaceSets", "NetworkInterfaceSet"):
            found[eni.get("NetworkInterfaceId")] = eni
    return found


def _sg_params(sgs: list[str]) -> dict[str, str]:
    """One group goes as ``SecurityGroupId``, several as ``SecurityGroupIds.N`` (the API refuses
    both together)."""
    if len(sgs) == 1:
        return {"SecurityGroupId": sgs[0]}
    return {f"SecurityGroupIds.{i}": sg for i, sg in enumerate(sgs, start=1)}


def _first(v: Any) -> str | None:
    lst = str_list(v)
    return lst[0] if lst else None


@register("alicloud_instance")
class InstanceHandler(BaseHandler):
    def load_balancer_id(self, attrs: dict) -> str | None:
        return None

    def create(self, planned: dict, ctx: CallContext) -> dict:
        p: dict[str, Any] = {
            "ImageId": planned.get("image_id"), "InstanceType": planned.get("instance_type"),
            "ZoneId": planned.get("availability_zone"), "VSwitchId": planned.get("vswitch_id"),
            "InstanceName": planned.get("instance_name"), "HostName": planned.get("host_name"),
            "Password": planned.get("password"), "KeyPairName": planned.get("key_name"),
            "Description": planned.get("description"),
            "InternetChargeType": planned.get("internet_charge_type"),
            "InternetMaxBandwidthOut": planned.get("internet_max_bandwidth_out"),
            "InstanceChargeType": planned.get("instance_charge_type"),
            "SystemDisk.Category": planned.get("system_disk_category"),
            "SystemDisk.Size": planned.get("system_disk_size"),
            "PrivateIpAddress": planned.get("private_ip"), "UserData": planned.get("user_data"),
            "ResourceGroupId": planned.get("resource_group_id"), "Amount": 1,
            "ClientToken": ctx.token("create"), **tag_params(planned.get("tags")),
        }
        p.update(_sg_params(sorted(planned.get("security_groups") or [])))
        resp = ctx.write(ECS, "RunInstances", clean(p))
        ids = str_list(items(resp, "InstanceIdSets", "InstanceIdSet") or resp.get("InstanceId"))
        if not ids:
            raise ProviderError("RunInstances returned no instance id")
        prior = dict(planned, id=ids[0])
        want = planned.get("status") or "Running"
        got = ctx.wait_for(f"instance {ids[0]} to be {want}", lambda: self.read_one(prior, ctx),
                           lambda a: a is not None and a.get("status") in (want, "Running", "Stopped"))
        if got.get("status") != want:
            got = self._set_status(ids[0], want, prior, ctx)
        return got

    def _set_status(self, iid: str, want: str, prior: dict, ctx: CallContext) -> dict:
        ctx.write(ECS, "StartInstance" if want == "Running" else "StopInstance", {"InstanceId": iid})
        return ctx.wait_for(f"instance {iid} to be {want}", lambda: self.read_one(prior, ctx),
                            lambda a: a is not None and a.get("status") == want)

    def update(self, prior: dict, planned: dict, ctx: CallContext) -> dict:
        iid = prior["id"]
        mod = {k: planned.get(t) for k, t in (("InstanceName", "instance_name"), ("Description", "description"),
                                              ("HostName", "host_name"), ("Password", "password"))
               if planned.get(t) is not None and planned.get(t) != prior.get(t)}
        if mod:
            ctx.write(ECS, "ModifyInstanceAttribute", {"InstanceId": iid, **mod})
        if planned.get("key_name") != prior.get("key_name"):
            # the provider binds a new key pair in place (it takes effect at the next restart)
            if planned.get("key_name"):
                ctx.write(ECS, "AttachKeyPair", {"KeyPairName": planned["key_name"], "InstanceIds": json.dumps([iid])})
            elif prior.get("key_name"):
                ctx.write(ECS, "DetachKeyPair", {"KeyPairName": prior["key_name"], "InstanceIds": json.dumps([iid])})
        if planned.get("tags") is not None and planned.get("tags") != prior.get("tags"):
            old, new = prior.get("tags") or {}, planned.get("tags") or {}
            gone = sorted(k for k in old if k not in new)
            if gone:
                p: dict[str, Any] = {"ResourceType": "instance", "ResourceId.1": iid}
                p.update({f"TagKey.{i}": k for i, k in enumerate(gone, start=1)})
                ctx.write(ECS, "UntagResources", p)
            if new:
                ctx.write(ECS, "TagResources", {"ResourceType": "instance", "ResourceId.1": iid, **tag_params(new)})
        old_sgs, new_sgs = set(prior.get("security_groups") or []), planned.get("security_groups")
        a = dict(planned, id=iid)
        running = (prior.get("status") or "Running") == "Running"
        new_vsw = planned.get("vswitch_id")
        if new_vsw and prior.get("vswitch_id") and new_vsw != prior["vswitch_id"]:
            # the provider moves a stopped instance (ModifyInstanceVpcAttribute); into another VPC (its
            # vSwitch replaced with the VPC) the new groups go with it, as they must be in that VPC
            vsw = ctx.read(VPC, "DescribeVSwitchAttributes", {"VSwitchId": new_vsw})
            if running:
                self._set_status(iid, "Stopped", a, ctx)
            params: dict[str, Any] = {"InstanceId": iid, "VSwitchId": new_vsw}
            if vsw.get("VpcId"):
                params["VpcId"] = vsw["VpcId"]
            if new_sgs:
                params.update({f"SecurityGroupId.{i}": sg for i, sg in enumerate(sorted(new_sgs), start=1)})
                old_sgs = set(new_sgs)  # set by the move
            ctx.write(ECS, "ModifyInstanceVpcAttribute", params)
            if running:
                self._set_status(iid, "Running", a, ctx)
        if new_sgs is not None and set(new_sgs) != old_sgs:
            # join first: an instance must keep at least one group (InstanceLastSecurityGroup)
            for sg in sorted(set(new_sgs) - old_sgs):
                ctx.write(ECS, "JoinSecurityGroup", {"InstanceId": iid, "SecurityGroupId": sg})
            for sg in sorted(old_sgs - set(new_sgs)):
                ctx.write(ECS, "LeaveSecurityGroup", {"InstanceId": iid, "SecurityGroupId": sg})
        a = dict(planned, id=iid)
        bw = planned.get("internet_max_bandwidth_out")
        if bw is not None and bw != prior.get("internet_max_bandwidth_out"):
            ctx.write(ECS, "ModifyInstanceSpec", {"InstanceId": iid, "InternetMaxBandwidthOut": int(bw)})
        if planned.get("instance_type") and planned["instance_type"] != prior.get("instance_type"):
            # a pay-as-you-go instance changes type while stopped: stop, change, start again (the provider)
            running = (prior.get("status") or "Running") == "Running"
            if running:
                self._set_status(iid, "Stopped", a, ctx)
            ctx.write(ECS, "ModifyInstanceSpec", {"InstanceId": iid, "InstanceType": planned["instance_type"]})
            if running and (planned.get("status") or "Running") == "Running":
                return self._set_status(iid, "Running", a, ctx)
        if planned.get("status") and planned["status"] != prior.get("status"):
            return self._set_status(iid, planned["status"], a, ctx)
        return self.must_read(a, ctx)

    def delete(self, prior: dict, ctx: CallContext) -> None:
        try:
            ctx.write(ECS, "DeleteInstance", {"InstanceId": prior["id"], "Force": "true"}, already_done=INSTANCE_GONE)
        except ApiError as e:
            if e.code not in INSTANCE_GONE:
                raise

    def read_many(self, priors: list[dict], ctx: CallContext) -> list[dict | None]:
        found = describe_instances([p["id"] for p in priors], ctx) if priors else {}
        return [None if p["id"] not in found else self.to_attrs(found[p["id"]], p) for p in priors]

    def to_attrs(self, inst: dict, prior: dict) -> dict:
        vpc = inst.get("VpcAttributes") or {}
        ips = str_list((vpc.get("PrivateIpAddress") or {}).get("IpAddress")) if isinstance(
            vpc.get("PrivateIpAddress"), dict) else str_list(vpc.get("PrivateIpAddress"))
        a = dict(prior)
        a.update({
            "id": inst["InstanceId"], "image_id": inst.get("ImageId") or prior.get("image_id"),
            "instance_type": inst.get("InstanceType"), "availability_zone": inst.get("ZoneId"),
            "vswitch_id": none_if_empty(vpc.get("VSwitchId")) or prior.get("vswitch_id"),
            "instance_name": inst.get("InstanceName"), "status": inst.get("Status"),
            "private_ip": ips[0] if ips else prior.get("private_ip"),
            "public_ip": _first((inst.get("PublicIpAddress") or {}).get("IpAddress")
                                if isinstance(inst.get("PublicIpAddress"), dict) else inst.get("PublicIpAddress")),
            "tags": tags_out(parse_tags(inst.get("Tags")), prior),
        })
        sgs = str_list((inst.get("SecurityGroupIds") or {}).get("SecurityGroupId")
                       if isinstance(inst.get("SecurityGroupIds"), dict) else inst.get("SecurityGroupIds"))
        if sgs:
            a["security_groups"] = prior["security_groups"] if isinstance(prior.get("security_groups"), list) \
                and sorted(prior["security_groups"]) == sorted(sgs) else sorted(sgs)
        for tf, api in (("host_name", "HostName"), ("description", "Description"),
                        ("internet_charge_type", "InternetChargeType"), ("instance_charge_type", "InstanceChargeType"),
                        ("resource_group_id", "ResourceGroupId"), ("os_type", "OSType"), ("os_name", "OSName"),
                        ("key_name", "KeyPairName"),
                        ("create_time", "CreationTime")):
            if none_if_empty(inst.get(api)) is not None:
                a[tf] = inst[api]
        for tf, api in (("cpu", "Cpu"), ("memory", "Memory"), ("internet_max_bandwidth_out", "InternetMaxBandwidthOut")):
            if inst.get(api) is not None:
                a[tf] = to_int(inst[api])
        enis = items(inst, "NetworkInterfaces", "NetworkInterface")
        primary = next((e for e in enis if e.get("Type") in (None, "Primary")), None)
        if primary:
            a["network_interface_id"] = primary.get("NetworkInterfaceId")
            a["primary_ip_address"] = primary.get("PrimaryIpAddress") or a.get("private_ip")
        elif a.get("private_ip"):
            a["primary_ip_address"] = a["private_ip"]
        return a


class _EniBase(BaseHandler):
    """ENI handlers for both resource names; ``names`` maps canonical keys to this type's keys."""

    names: dict[str, str] = {}

    def load_balancer_id(self, attrs: dict) -> str | None:
        return None

    def n(self, key: str) -> str:
        return self.names.get(key, key)

    def create(self, planned: dict, ctx: CallContext) -> dict:
        sgs = sorted(planned.get(self.n("security_group_ids")) or [])
        p: dict[str, Any] = {
            "VSwitchId": planned.get("vswitch_id"), "NetworkInterfaceName": planned.get(self.n("network_interface_name")),
            "PrimaryIpAddress": planned.get(self.n("primary_ip_address")), "Description": planned.get("description"),
            "ResourceGroupId": planned.get("resource_group_id"), "ClientToken": ctx.token("create"),
            **tag_params(planned.get("tags")),
        }
        p.update(_sg_params(sgs))
        secondary = sorted(planned.get(self.n("private_ip_addresses")) or [])
        if secondary:
            for i, ip in enumerate(secondary, start=1):
                p[f"PrivateIpAddress.{i}"] = ip
        elif planned.get(self.n("secondary_private_ip_address_count")):
            p["SecondaryPrivateIpAddressCount"] = planned[self.n("secondary_private_ip_address_count")]
        resp = ctx.write(ECS, "CreateNetworkInterface", clean(p))
        eid = resp.get("NetworkInterfaceId")
        if not eid:
            raise ProviderError("CreateNetworkInterface returned no NetworkInterfaceId")
        return self.must_read(dict(planned, id=eid), ctx)

    def update(self, prior: dict, planned: dict, ctx: CallContext) -> dict:
        eid = prior["id"]
        mod: dict[str, Any] = {}
        if planned.get(self.n("network_interface_name")) != prior.get(self.n("network_interface_name")):
            mod["NetworkInterfaceName"] = planned.get(self.n("network_interface_name"))
        if planned.get("description") != prior.get("description"):
            mod["Description"] = planned.get("description")
        new_sgs = planned.get(self.n("security_group_ids"))
        if new_sgs is not None and sorted(new_sgs) != sorted(prior.get(self.n("security_group_ids")) or []):
            for i, sg in enumerate(sorted(new_sgs), start=1):
                mod[f"SecurityGroupId.{i}"] = sg
        mod = clean(mod)
        if mod:
            ctx.write(ECS, "ModifyNetworkInterfaceAttribute", {"NetworkInterfaceId": eid, **mod})
        sync_ecs_tags(ctx, "eni", eid, prior.get("tags"), planned.get("tags"))
        old_ips = set(prior.get(self.n("private_ip_addresses")) or [])
        new_ips = planned.get(self.n("private_ip_addresses"))
        if new_ips is not None:
            gone = sorted(old_ips - set(new_ips))
            add = sorted(set(new_ips) - old_ips)
            if gone:
                ctx.write(ECS, "UnassignPrivateIpAddresses", {"NetworkInterfaceId": eid, **{
                    f"PrivateIpAddress.{i}": ip for i, ip in enumerate(gone, start=1)}})
            if add:
                ctx.write(ECS, "AssignPrivateIpAddresses", {"NetworkInterfaceId": eid, **{
                    f"PrivateIpAddress.{i}": ip for i, ip in enumerate(add, start=1)}})
        else:
            want = planned.get(self.n("secondary_private_ip_address_count"))
            if want is not None and want > len(old_ips):
                ctx.write(ECS, "AssignPrivateIpAddresses", {"NetworkInterfaceId": eid,
                                                           "SecondaryPrivateIpAddressCount": want - len(old_ips)})
        return self.must_read(dict(planned, id=eid), ctx)

    def delete(self, prior: dict, ctx: CallContext) -> None:
        try:
            ctx.write(ECS, "DeleteNetworkInterface", {"NetworkInterfaceId": prior["id"]}, already_done=ENI_GONE)
        except ApiError as e:
            if e.code not in ENI_GONE:
                raise

    def read_many(self, priors: list[dict], ctx: CallContext) -> list[dict | None]:
        found = describe_enis([p["id"] for p in priors], ctx) if priors else {}
        return [None if p["id"] not in found else self.to_attrs(found[p["id"]], p) for p in priors]

    def to_attrs(self, e: dict, prior: dict) -> dict:
        ips = items(e, "PrivateIpSets", "PrivateIpSet")
        primary = next((i.get("PrivateIpAddress") for i in ips if str(i.get("Primary")).lower() == "true"),
                       e.get("PrivateIpAddress"))
        secondary = sorted(i.get("PrivateIpAddress") for i in ips if str(i.get("Primary")).lower() != "true")
        sgs = sorted(str_list(e.get("SecurityGroupIds", {}).get("SecurityGroupId")
                              if isinstance(e.get("SecurityGroupIds"), dict) else e.get("SecurityGroupIds")))
        prior_sec = prior.get(self.n("private_ip_addresses"))
        prior_sgs = prior.get(self.n("security_group_ids"))
        a = dict(prior)
        a.update({
            "id": e["NetworkInterfaceId"], "vswitch_id": e.get("VSwitchId"),
            self.n("security_group_ids"): prior_sgs if isinstance(prior_sgs, list) and sorted(prior_sgs) == sgs else sgs,
            self.n("network_interface_name"): none_if_empty(e.get("NetworkInterfaceName"))
            or prior.get(self.n("network_interface_name")),
            self.n("primary_ip_address"): primary,
            self.n("private_ip_addresses"): prior_sec if isinstance(prior_sec, list)
            and sorted(prior_sec) == secondary else secondary,
            self.n("secondary_private_ip_address_count"): len(secondary),
            "description": none_if_empty(e.get("Description")) or prior.get("description"),
            "mac": e.get("MacAddress"),
            "tags": tags_out(parse_tags(e.get("Tags")), prior),
        })
        a["status"] = e.get("Status")  # both names: the provider serves them with one schema
        if none_if_empty(e.get("ResourceGroupId")):
            a["resource_group_id"] = e["ResourceGroupId"]
        return a


@register("alicloud_ecs_network_interface")
class EcsNetworkInterfaceHandler(_EniBase):
    names: dict[str, str] = {}


@register("alicloud_network_interface")
class NetworkInterfaceHandler(_EniBase):
    names = {"security_group_ids": "security_groups", "network_interface_name": "name",
             "primary_ip_address": "private_ip", "private_ip_addresses": "private_ips",
             "secondary_private_ip_address_count": "private_ips_count"}


@register("alicloud_ecs_network_interface_attachment", "alicloud_network_interface_attachment")
class NetworkInterfaceAttachmentHandler(BaseHandler):
    """Id ``<network_interface_id>:<instance_id>``."""

    def load_balancer_id(self, attrs: dict) -> str | None:
        return None

    def _fill(self, a: dict) -> dict:
        if a.get("network_interface_id") and a.get("instance_id"):
            return a
        eni, sep, inst = str(a.get("id", "")).partition(":")
        if not sep:
            raise ProviderError(f"invalid attachment id {a.get('id')!r}: expected <network_interface_id>:<instance_id>")
        return {**a, "network_interface_id": eni, "instance_id": inst}

    def create(self, planned: dict, ctx: CallContext) -> dict:
        eni, inst = planned["network_interface_id"], planned["instance_id"]
        prior = dict(planned, id=f"{eni}:{inst}")
        if ctx.adopt_existing:
            got = self.read_one(prior, ctx)
            if got is not None:
                return got
        ctx.write(ECS, "AttachNetworkInterface", {"NetworkInterfaceId": eni, "InstanceId": inst},
                  reconcile=lambda: {} if self.read_one(prior, ctx) is not None else None)
        return ctx.wait_for(f"network interface {eni} to attach to {inst}", lambda: self.read_one(prior, ctx),
                            lambda a: a is not None)

    def update(self, prior: dict, planned: dict, ctx: CallContext) -> dict:
        return self.must_read(dict(planned, id=prior["id"]), ctx)

    def delete(self, prior: dict, ctx: CallContext) -> None:
        a = self._fill(prior)
        try:
            ctx.write(ECS, "DetachNetworkInterface", {"NetworkInterfaceId": a["network_interface_id"],
                                                      "InstanceId": a["instance_id"]})
        except ApiError as e:
            if e.code not in ENI_GONE + INSTANCE_GONE and "NotAttached" not in e.code:
                raise

    def read_many(self, priors: list[dict], ctx: CallContext) -> list[dict | None]:
        filled = [self._fill(p) for p in priors]
        found = describe_enis([p["network_interface_id"] for p in filled], ctx) if filled else {}
        out: list[dict | None] = []
        for p in filled:
            e = found.get(p["network_interface_id"])
            if e is None or e.get("InstanceId") != p["instance_id"]:
                out.append(None)
            else:
                out.append({**p, "id": f"{p['network_interface_id']}:{p['instance_id']}"})
        return out
