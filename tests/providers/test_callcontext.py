"""CallContext: which errors are retried and how, and how a lost response is reconciled."""

from __future__ import annotations

import pytest

from planner.providers.base import CallContext
from planner.providers.errors import ApiError, TransportError
from planner.providers.retry import RetryPolicy, is_retryable
from planner.providers.target import open_target


class Scripted:
    """A transport answering from a script: exceptions are raised, dicts returned."""

    def __init__(self, *answers):
        self.answers = list(answers)
        self.sent: list[tuple[str, dict]] = []

    def call(self, product, action, params):
        self.sent.append((action, dict(params)))
        a = self.answers.pop(0)
        if isinstance(a, Exception):
            raise a
        return a


def make(transport, **kw):
    sleeps: list[float] = []
    ctx = CallContext(transport=transport, retry=RetryPolicy(base_delay=0.01, max_delay=0.1, seed=3, **kw),
                      sleep=sleeps.append)
    return ctx, sleeps


@pytest.mark.parametrize("code,status,expected", [
    ("ServiceIsConfiguring", 400, True), ("VServerGroupProcessing", 400, True), ("Throttling.User", 400, True),
    ("OperationFailed.ListenerStatusNotSupport", 400, True), ("InternalError", 500, True),
    ("SomethingNew", 503, True), ("InvalidParameter", 400, False), ("RspoolVipExist", 400, False),
    ("OperationDenied.DeleteProtectionIsOn", 400, False),
])
def test_retryable_classification(code, status, expected):
    assert is_retryable(ApiError(code, "m", status)) is expected


def test_busy_answers_are_retried_with_growing_backoff():
    t = Scripted(ApiError("ServiceIsConfiguring", "busy"), ApiError("SystemBusy", "busy", 449), {"ok": 1})
    ctx, sleeps = make(t)
    assert ctx.write("Slb", "AddBackendServers", {"LoadBalancerId": "lb-1"}) == {"ok": 1}
    assert len(t.sent) == 3 and len(sleeps) == 2
    assert 0.01 <= sleeps[0] <= 0.015 and 0.02 <= sleeps[1] <= 0.03


def test_retry_after_header_is_honoured():
    t = Scripted(ApiError("Throttling.User", "slow down", 400, retry_after=0.5), {"ok": 1})
    ctx, sleeps = make(t)
    ctx.read("Slb", "DescribeLoadBalancers", {})
    assert sleeps == [pytest.approx(0.5)]


def test_non_retryable_error_surfaces_at_once():
    t = Scripted(ApiError("InvalidParameter", "bad"))
    ctx, sleeps = make(t)
    with pytest.raises(ApiError, match="InvalidParameter"):
        ctx.write("Slb", "CreateLoadBalancer", {})
    assert sleeps == []


def test_attempts_are_bounded():
    t = Scripted(*[ApiError("OperationBusy", "busy")] * 5)
    ctx, _ = make(t, max_attempts=3)
    with pytest.raises(ApiError, match="OperationBusy"):
        ctx.write("Slb", "SetRule", {})
    assert len(t.sent) == 3


def test_lost_response_reissues_with_the_same_client_token():
    t = Scripted(TransportError("lost"), {"LoadBalancerId": "lb-1"})
    ctx, _ = make(t)
    ctx.write("Slb", "CreateLoadBalancer", {"ClientToken": ctx.token("create")})
    assert t.sent[0][1]["ClientToken"] == t.sent[1][1]["ClientToken"]


def test_already_done_after_a_lost_response_counts_as_success():
    t = Scripted(TransportError("lost"), ApiError("InvalidRuleId.NotFound", "Rule does not exist.", 404))
    ctx, _ = make(t)
    assert ctx.write("Slb", "DeleteRules", {}, already_done=("InvalidRuleId.NotFound",)) == {"_reconciled": True}


def test_already_done_codes_do_not_hide_real_errors_without_a_lost_response():
    t = Scripted(ApiError("InvalidRuleId.NotFound", "Rule does not exist.", 404))
    ctx, _ = make(t)
    with pytest.raises(ApiError):
        ctx.write("Slb", "DeleteRules", {}, already_done=("InvalidRuleId.NotFound",))


def test_reconcile_reads_back_instead_of_reissuing():
    t = Scripted(TransportError("lost"))
    ctx, _ = make(t)
    assert ctx.write("Slb", "AddVServerGroupBackendServers", {}, reconcile=lambda: {"found": True}) == {"found": True}
    assert len(t.sent) == 1


def test_hooks_see_every_write_attempt_but_not_reads():
    seen: list[str] = []
    t = Scripted(ApiError("ServiceIsConfiguring", "busy"), {}, {})
    ctx, _ = make(t)
    ctx.before_call = lambda action, params: seen.append(f"before {action}")
    ctx.after_call = lambda action, resp: seen.append(f"after {action}")
    ctx.write("Slb", "SetRule", {})
    ctx.read("Slb", "DescribeRules", {})
    assert seen == ["before SetRule", "before SetRule", "after SetRule"]


def test_open_target_defaults_to_the_embedded_emulator(tmp_path):
    transport, emu = open_target(None, tmp_path)
    assert emu is not None and (tmp_path / ".clbplan" / "emulator.sqlite").exists()
    assert "LoadBalancers" in transport.call("Slb", "DescribeLoadBalancers", {})
    emu.close()


def test_also_retry_makes_a_code_retryable_for_one_call_only():
    t = Scripted(ApiError("RspoolVipExist", "there are vips associating with this vServer group."), {})
    ctx, sleeps = make(t)
    ctx.write("Slb", "DeleteVServerGroup", {}, also_retry=("RspoolVipExist",))
    assert len(t.sent) == 2 and len(sleeps) == 1
    t2 = Scripted(ApiError("RspoolVipExist", "there are vips associating with this vServer group."))
    ctx2, _ = make(t2)
    with pytest.raises(ApiError):
        ctx2.write("Slb", "DeleteVServerGroup", {})
