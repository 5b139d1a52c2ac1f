"""``alicloud_slb_load_balancer`` (and its deprecated alias ``alicloud_slb``): reference 4.1.

Read is bulk: ``DescribeLoadBalancers`` takes up to 10 ids per call and reports every attribute
the resource has, so a state of N load balancers refreshes in ceil(N/10) calls.
"""

from __future__ import annotations

from typing import Any

from planner.providers.base import BaseHandler, CallContext, ProviderError, register
from planner.providers.errors import ApiError

from .common import (
    SLB,
    VPC,
    chunks,
    clean,
    none_if_empty,
    parse_tags,
    sync_tags,
    tag_params,
    tags_out,
    to_int,
)

NOT_FOUND = "InvalidLoadBalancerId.NotFound"

_PAY_TO_API = {"PayAsYouGo": "PayOnDemand", "Subscription": "PrePay"}
_PAY_FROM_API = {"PayOnDemand": "PayAsYouGo", "PrePay": "Subscription"}
_CHARGE_FROM_API = {"paybytraffic": "PayByTraffic", "paybybandwidth": "PayByBandwidth"}


def charge_type(v: Any) -> str | None:
    if not v:
        return None
    return _CHARGE_FROM_API.get(str(v).lower(), str(v))


@register("alicloud_slb_load_balancer", "alicloud_slb")
class LoadBalancerHandler(BaseHandler):
    config_only = ("period", "delete_protection_validation")

    def load_balancer_id(self, attrs: dict) -> str | None:
        v = attrs.get("id")
        return v if isinstance(v, str) and v else None

    # -- create --------------------------------------------------------------------------------

    def create(self, planned: dict, ctx: CallContext) -> dict:
        p: dict[str, Any] = {
            "ClientToken": ctx.token("create"),
            "LoadBalancerName": planned.get("load_balancer_name"),
            "AddressType": planned.get("address_type"),
            "AddressIPVersion": planned.get("address_ip_version"),
            "LoadBalancerSpec": planned.get("load_balancer_spec"),
            "InstanceChargeType": planned.get("instance_charge_type"),
            "MasterZoneId": planned.get("master_zone_id"),
            "SlaveZoneId": planned.get("slave_zone_id"),
            "ResourceGroupId": planned.get("resource_group_id"),
            "DeleteProtection": planned.get("delete_protection") or "off",
            "ModificationProtectionStatus": planned.get("modification_protection_status"),
            "ModificationProtectionReason": planned.get("modification_protection_reason"),
        }
        ict = planned.get("internet_charge_type")
        if ict:
            p["InternetChargeType"] = str(ict).lower()  # the provider sends it lower-cased on create
        bw = planned.get("bandwidth")
        if bw is not None:
            p["Bandwidth"] = bw
        vsw = planned.get("vswitch_id")
        if vsw:
            p["VSwitchId"] = vsw
            # the provider looks the VPC up from the vSwitch (reference 4.1)
            sw = ctx.read(VPC, "DescribeVSwitchAttributes", {"VSwitchId": vsw})
            if sw.get("VpcId"):
                p["VpcId"] = sw["VpcId"]
            if planned.get("address"):
                p["Address"] = planned["address"]
        pay = planned.get("payment_type")
        if pay:
            p["PayType"] = _PAY_TO_API.get(pay, pay)
            if pay == "Subscription":
                period = int(planned.get("period") or 1)
                p["AutoPay"] = "true"
                if period > 9:
                    p["PricingCycle"], p["Duration"] = "Year", period // 12
                else:
                    p["PricingCycle"], p["Duration"] = "Month", period
        p.update(tag_params(planned.get("tags")))
        resp = ctx.write(SLB, "CreateLoadBalancer", clean(p))
        lb_id = resp.get("LoadBalancerId")
        if not lb_id:
            raise ProviderError("CreateLoadBalancer returned no LoadBalancerId")
        prior = dict(planned, id=lb_id)
        got = ctx.wait_for(f"load balancer {lb_id} to become active",
                           lambda: self.read_one(prior, ctx),
                           lambda a: a is not None and a.get("status") in ("active", "inactive", "locked"))
        status = planned.get("status")
        if status and status != got.get("status") and status in ("active", "inactive"):
            ctx.write(SLB, "SetLoadBalancerStatus", {"LoadBalancerId": lb_id, "LoadBalancerStatus": status})
            got = self.must_read(prior, ctx)
        return got

    # -- update (the provider's order, reference 4.1) -----------------------------------------

    def update(self, prior: dict, planned: dict, ctx: CallContext) -> dict:
        lb_id = prior["id"]
        base = {"LoadBalancerId": lb_id}

        def changed(name: str) -> bool:
            return name in planned and planned.get(name) is not None and planned.get(name) != prior.get(name)

        if "tags" in planned and (planned.get("tags") or {}) != (prior.get("tags") or {}):
            sync_tags(ctx, "instance", lb_id, prior.get("tags"), planned.get("tags"))
        if changed("status"):
            ctx.write(SLB, "SetLoadBalancerStatus", {**base, "LoadBalancerStatus": planned["status"]})
        if changed("delete_protection"):
            ctx.write(SLB, "SetLoadBalancerDeleteProtection",
                      {**base, "DeleteProtection": planned["delete_protection"]})
        if changed("load_balancer_name"):
            ctx.write(SLB, "SetLoadBalancerName", {**base, "LoadBalancerName": planned["load_balancer_name"]})
        if changed("instance_charge_type"):
            ctx.write(SLB, "ModifyLoadBalancerInstanceChargeType",
                      clean({**base, "InstanceChargeType": planned["instance_charge_type"],
                             "LoadBalancerSpec": planned.get("load_balancer_spec")}))
        elif changed("load_balancer_spec") and planned.get("instance_charge_type") != "PayByCLCU":
            ctx.write(SLB, "ModifyLoadBalancerInstanceSpec",
                      {**base, "LoadBalancerSpec": planned["load_balancer_spec"]})
        if changed("modification_protection_status") or (
                planned.get("modification_protection_status") == "ConsoleProtection"
                and changed("modification_protection_reason")):
            ctx.write(SLB, "SetLoadBalancerModificationProtection", clean({
                **base, "ModificationProtectionStatus": planned.get("modification_protection_status"),
                "ModificationProtectionReason": planned.get("modification_protection_reason")}))
        internet = {}
        if changed("internet_charge_type"):
            internet["InternetChargeType"] = str(planned["internet_charge_type"]).lower()
        if changed("bandwidth") and (planned.get("internet_charge_type") or "").lower() == "paybybandwidth":
            internet["Bandwidth"] = planned["bandwidth"]
        if internet:
            ctx.write(SLB, "ModifyLoadBalancerInternetSpec", {**base, **internet})
        if changed("payment_type"):
            p = {**base, "PayType": _PAY_TO_API.get(planned["payment_type"], planned["payment_type"])}
            if planned["payment_type"] == "Subscription":
                p.update(Duration=int(planned.get("period") or 1), AutoPay="true")
            ctx.write(SLB, "ModifyLoadBalancerPayType", p)
        return self.must_read(dict(planned, id=lb_id), ctx)

    # -- delete -------------------------------------------------------------------------------

    def delete(self, prior: dict, ctx: CallContext) -> None:
        """Delete protection is turned off first when on; listeners, groups and rules go with
        the instance (no per-child calls). Subscription instances are only forgotten, as the
        provider does."""
        if prior.get("payment_type") == "Subscription":
            return
        lb_id = prior["id"]
        if prior.get("delete_protection") == "on":
            self._unprotect(lb_id, ctx)
        try:
            ctx.write(SLB, "DeleteLoadBalancer", {"LoadBalancerId": lb_id}, already_done=(NOT_FOUND,))
        except ApiError as e:
            if e.code == NOT_FOUND:
                return
            if e.code != "OperationDenied.DeleteProtectionIsOn":
                raise
            # protection was turned on outside clbplan since the last refresh
            self._unprotect(lb_id, ctx)
            try:
                ctx.write(SLB, "DeleteLoadBalancer", {"LoadBalancerId": lb_id}, already_done=(NOT_FOUND,))
            except ApiError as e2:
                if e2.code != NOT_FOUND:
                    raise

    def _unprotect(self, lb_id: str, ctx: CallContext) -> None:
        try:
            ctx.write(SLB, "SetLoadBalancerDeleteProtection", {"LoadBalancerId": lb_id, "DeleteProtection": "off"})
        except ApiError as e:
            if e.code != NOT_FOUND:
                raise

    # -- read ---------------------------------------------------------------------------------

    def read_many(self, priors: list[dict], ctx: CallContext) -> list[dict | None]:
        ids = [p["id"] for p in priors if p.get("id")]
        def page(part: tuple[str, ...]) -> list[dict]:
            resp = ctx.read(SLB, "DescribeLoadBalancers", {
                "LoadBalancerId": ",".join(part), "PageNumber": 1, "PageSize": 100})
            lbs = resp.get("LoadBalancers", {})
            return (lbs.get("LoadBalancer", []) if isinstance(lbs, dict) else lbs) or []

        found: dict[str, dict] = {}
        wanted = sorted(set(ids))
        if len(wanted) > 10:
            found = self._list_region(ctx, len(wanted))
        missing = [i for i in wanted if i not in found]  # (a page read while the region changed may skip one)
        for listed in ctx.read_each(page, map(tuple, chunks(missing, 10))).values():
            for lb in listed:
                found[lb["LoadBalancerId"]] = lb
        out: list[dict | None] = []
        for p in priors:
            lb = found.get(p.get("id", ""))
            out.append(None if lb is None else self.to_attrs(lb, p))
        return out

    @staticmethod
    def _list_region(ctx: CallContext, wanted: int) -> dict[str, dict]:
        """Every load balancer of the region in pages of 100, when that takes fewer calls than asking
        for the ``wanted`` ids 10 at a time (the API's bound): 100 calls instead of 1,000 for 10,000
        load balancers. The first page tells the region's total; a region with many more load
        balancers than the state is read by id after all (that first call is the cost of asking).
        Ids not found in the pages are read by id by the caller, so nothing is taken as gone
        because a page shifted."""
        def page(number: int) -> dict:
            return ctx.read(SLB, "DescribeLoadBalancers", {"PageNumber": number, "PageSize": 100})

        def listed(resp: dict) -> list[dict]:
            lbs = resp.get("LoadBalancers", {})
            return (lbs.get("LoadBalancer", []) if isinstance(lbs, dict) else lbs) or []

        first = page(1)
        total = to_int(first.get("TotalCount")) or 0
        pages = (total + 99) // 100
        if pages > (wanted + 9) // 10:
            return {}
        found = {lb["LoadBalancerId"]: lb for lb in listed(first)}
        for resp in ctx.read_each(page, range(2, pages + 1)).values():
            for lb in listed(resp):
                found[lb["LoadBalancerId"]] = lb
        return found

    def to_attrs(self, lb: dict, prior: dict) -> dict:
        ict = charge_type(lb.get("InternetChargeTypeAlias") or lb.get("InternetChargeType"))
        ict = ict if ict in ("PayByTraffic", "PayByBandwidth") else charge_type(lb.get("InternetChargeType"))
        icht = lb.get("InstanceChargeType") or prior.get("instance_charge_type")
        a: dict[str, Any] = {
            "id": lb["LoadBalancerId"],
            "load_balancer_name": lb.get("LoadBalancerName"),
            "address_type": lb.get("AddressType"),
            "address": none_if_empty(lb.get("Address")),
            "address_ip_version": lb.get("AddressIPVersion") or "ipv4",
            "vswitch_id": none_if_empty(lb.get("VSwitchId")),
            "internet_charge_type": ict,
            "bandwidth": to_int(lb.get("Bandwidth")),
            "load_balancer_spec": none_if_empty(lb.get("LoadBalancerSpec")),
            "instance_charge_type": icht,
            "payment_type": _PAY_FROM_API.get(lb.get("PayType") or "", lb.get("PayType") or None),
            "master_zone_id": none_if_empty(lb.get("MasterZoneId")),
            "slave_zone_id": none_if_empty(lb.get("SlaveZoneId")),
            "resource_group_id": none_if_empty(lb.get("ResourceGroupId")),
            "delete_protection": lb.get("DeleteProtection") or "off",
            "modification_protection_status": none_if_empty(lb.get("ModificationProtectionStatus")),
            "modification_protection_reason": none_if_empty(lb.get("ModificationProtectionReason")),
            "status": lb.get("LoadBalancerStatus"),
            "tags": tags_out(parse_tags(lb.get("Tags")), prior),
        }
        # suppressed differences (reference 4.1): bandwidth under pay-by-traffic, spec under CLCU,
        # the vSwitch of an internet instance
        if ict == "PayByTraffic" and prior.get("bandwidth") is not None:
            a["bandwidth"] = prior["bandwidth"]
        if icht == "PayByCLCU" and "load_balancer_spec" in prior:
            a["load_balancer_spec"] = prior.get("load_balancer_spec")
        if a["address_type"] == "internet" and prior.get("vswitch_id") is None:
            a["vswitch_id"] = None
        return self.carry(prior, a)
