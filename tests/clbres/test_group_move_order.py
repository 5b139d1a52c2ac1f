"""An instance moving to a new security group never sits without rules: the new group's rules are
created before it joins, and the old group's rules deleted only after it has left. Before, the old
rules went first and the new ones last, with the instance in between."""

from __future__ import annotations

from pathlib import Path

from planner.plan.model import OpKind
from tests.utility.helpers import apply, plan, write

SCENARIO = Path(__file__).parents[1] / "scenarios" / "instance_moved_to_new_security_group"


def _positions(planned) -> dict[tuple[str, str], int]:
    return {(str(op.address), op.kind.value): i for i, op in enumerate(planned.plan.operations)}


def test_new_rules_before_the_move_old_rules_after(tmp_path: Path) -> None:
    write(tmp_path, (SCENARIO / "before" / "main.tf").read_text())
    apply(tmp_path)
    write(tmp_path, (SCENARIO / "after" / "main.tf").read_text())
    planned = plan(tmp_path)
    assert planned.plan.verified is True
    at = _positions(planned)
    move = at[("alicloud_instance.web", OpKind.UPDATE.value)]
    for rule in ("new_http", "new_ssh"):
        assert at[(f"alicloud_security_group_rule.{rule}", "create")] < move
    for rule in ("old_http", "old_ssh"):
        assert at[(f"alicloud_security_group_rule.{rule}", "delete")] > move
    assert at[("alicloud_security_group.old", "delete")] == len(at) - 1
    _, state, _ = apply(tmp_path, planned)
    sgs = {a.name: rs.id for a, rs in state.resources.items() if a.type == "alicloud_security_group"}
    web = next(rs for a, rs in state.resources.items() if a.type == "alicloud_instance")
    assert web.attributes["security_groups"] == [sgs["new"]]


def test_a_rule_that_reads_the_moving_instance_is_no_cycle(tmp_path: Path) -> None:
    """The new rule names the instance's address, so it must follow the instance's update: the
    preference gives way instead of making a cycle."""
    after = (SCENARIO / "after" / "main.tf").read_text().replace(
        'cidr_ip           = "10.80.0.0/16"', 'cidr_ip           = "${alicloud_instance.web.private_ip}/32"')
    assert "private_ip" in after
    write(tmp_path, (SCENARIO / "before" / "main.tf").read_text())
    apply(tmp_path)
    write(tmp_path, after)
    planned = plan(tmp_path)
    at = _positions(planned)
    move = at[("alicloud_instance.web", "update")]
    assert at[("alicloud_security_group_rule.new_http", "create")] > move  # reads the instance
    assert at[("alicloud_security_group_rule.new_ssh", "create")] < move
    assert at[("alicloud_security_group_rule.old_http", "delete")] > move
