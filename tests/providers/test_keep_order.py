"""Refresh keeps the configured order of a set the cloud returns in its own order (backend servers,
VServer group members, ACL entries): the comparison must say "same members" exactly when the
canonical texts agree, or an unchanged set shows as a diff (or a changed one is hidden)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from planner.providers.alicloud.common import _canon, _same_members, keep_order

scalars = st.one_of(st.none(), st.booleans(), st.integers(-2, 2), st.sampled_from(["", "1", "a", "true"]),
                    st.floats(allow_nan=False, width=16))
members = st.one_of(scalars, st.dictionaries(st.sampled_from(["server_id", "weight", "type", "port"]), scalars,
                                             max_size=4))


@settings(max_examples=600, deadline=None)
@given(st.lists(members, max_size=5), st.lists(members, max_size=5))
def test_same_members_agrees_with_the_canonical_texts(a, b):
    assert _same_members(a, b) == (_canon(a) == _canon(b))
    assert _same_members(a, list(reversed(a)))


def test_an_unchanged_set_keeps_the_configured_order_and_a_changed_one_the_clouds():
    prior = [{"server_id": "i-2", "weight": 100, "type": "ecs"}, {"server_id": "i-1", "weight": 100, "type": "ecs"}]
    fresh = sorted(prior, key=lambda s: s["server_id"])
    assert keep_order(prior, fresh) == prior
    # 100 and "100", true and 1 are different values to Terraform: not the same members
    assert keep_order(prior, [dict(s, weight="100") for s in fresh]) == [dict(s, weight="100") for s in fresh]
    assert keep_order([True], [1]) == [1]
    # a null argument is the same as an absent one
    assert keep_order([dict(prior[0], server_ip=None)], [prior[0]]) == [dict(prior[0], server_ip=None)]
