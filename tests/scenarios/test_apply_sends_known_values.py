"""Apply evaluates an instance again only when its plan held a value "(known after apply)": a value
the plan showed as known is final (Terraform errors when one changes at apply), so re-evaluating every
instance was wasted work, a third of the apply walk's main thread at 1,000 load balancers."""

from __future__ import annotations

from scenario_runner import HERE, apply_dir, plan_dir, use_config

from planner.config.model import Configuration
from planner.plan.model import OpKind


def _count_evaluations(monkeypatch) -> list:
    """The instances evaluated again: whole, or only their string arguments still unknown at plan time
    (``evaluate_arguments``, when it answers)."""
    seen: list = []
    whole, ids_only = Configuration.evaluate_instance, Configuration.evaluate_arguments

    def counting(self, address, *a, **kw):
        seen.append(address)
        return whole(self, address, *a, **kw)

    def counting_ids(self, address, *a, **kw):
        got = ids_only(self, address, *a, **kw)
        if got is not None:
            seen.append(address)
        return got

    monkeypatch.setattr(Configuration, "evaluate_instance", counting)
    monkeypatch.setattr(Configuration, "evaluate_arguments", counting_ids)
    return seen


def test_updates_with_known_values_are_applied_without_evaluating_again(tmp_path, monkeypatch):
    use_config(tmp_path, HERE / "default_group_weights" / "before")
    assert not apply_dir(tmp_path)[1].failures
    use_config(tmp_path, HERE / "default_group_weights" / "after")
    planned = plan_dir(tmp_path)
    assert {op.kind for op in planned.plan.operations} == {OpKind.UPDATE}
    seen = _count_evaluations(monkeypatch)
    _, result = apply_dir(tmp_path, planned)  # verified at plan time, applied now: neither evaluates again
    assert not result.failures and not result.skipped
    assert seen == []
    assert not plan_dir(tmp_path).plan.operations  # and what was sent is what the configuration says


def test_creates_referring_to_new_objects_are_still_evaluated_with_the_real_ids(tmp_path, monkeypatch):
    use_config(tmp_path, HERE / "default_group_weights" / "before")
    planned = plan_dir(tmp_path)
    seen = _count_evaluations(monkeypatch)
    _, result = apply_dir(tmp_path, planned)
    assert not result.failures
    by_type = {op.address.type: op.address for op in planned.plan.operations}
    assert by_type["alicloud_vpc"] not in seen  # nothing "(known after apply)" in its arguments
    # everything naming a new object's id is evaluated again, with the id the cloud gave it
    assert {by_type[t] for t in ("alicloud_vswitch", "alicloud_slb_load_balancer", "alicloud_instance")} <= set(seen)
    assert not plan_dir(tmp_path).plan.operations
