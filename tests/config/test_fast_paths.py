"""The plan's fast paths (issue 17) answer exactly as the general code: each row is an edge where a
shortcut could have answered differently (a subclass, a bool, a key of the wrong type, an
out-of-range index, an integer past the size limit)."""

from __future__ import annotations

import copy
import pickle

import pytest

from planner.addresses import ResourceAddress
from planner.config.expr import EmptyLookup, EvalError, OpenObject
from planner.engine.verify import _shadow_state
from planner.plan.diff import values_equal
from planner.schema.base import Attribute, BlockType
from planner.state.model import ResourceState, State
from planner.values import UNKNOWN, contains_unknown


@pytest.mark.parametrize("src, names, expected", [
    ("m.a", {"m": {"a": None}}, None),              # a present null is the value, not "absent"
    ("m.a", {"m": OpenObject()}, UNKNOWN),          # an object of unknown schema: missing is unknown
    ('m["a"]', {"m": {"a": 0}}, 0),
    ("m[1]", {"m": {"1": "one"}}, "one"),           # a number indexes a map by its text
    ('l["1"]', {"l": [10, 20]}, 20),                # a numeric string indexes a list
    ("l[1.0]", {"l": [10, 20]}, 20),
    ("l[k]", {"l": [10, 20], "k": UNKNOWN}, UNKNOWN),
    ("a + b", {"a": 2, "b": 3}, 5), ("a - b", {"a": 2, "b": 3}, -1), ("a * b", {"a": 2, "b": 3}, 6),
    ("a + b", {"a": 0.1, "b": 0.2}, 0.3),           # decimal rounding, not binary
    ("a * b", {"a": 2, "b": UNKNOWN}, UNKNOWN),
])
def test_fast_paths_answer_as_the_general_code(src, names, expected, eval_expr):
    assert eval_expr(src, names) == expected


@pytest.mark.parametrize("src, names, summary", [
    ("l[true]", {"l": [10, 20]}, "Invalid index"),  # a bool is not an index
    ("l[2]", {"l": [10, 20]}, "Invalid index"),
    ("l[-1]", {"l": [10, 20]}, "Invalid index"),
    ("l[0]", {"l": EmptyLookup("no image matched")}, "Invalid index"),
    ('m["b"]', {"m": {"a": 1}}, "Invalid index"),
    ("m.b", {"m": {"a": 1}}, "Unsupported attribute"),
    ("a + b", {"a": True, "b": 1}, "Invalid operand"),
])
def test_fast_paths_keep_the_errors(src, names, summary, eval_expr):
    with pytest.raises(EvalError) as ei:
        eval_expr(src, names)
    assert ei.value.summary == summary


def test_empty_lookup_index_still_says_why(eval_expr):
    with pytest.raises(EvalError) as ei:
        eval_expr("l[0]", {"l": EmptyLookup("no image matched")})
    assert "no image matched" in ei.value.detail


def test_product_past_the_integer_limit_is_refused(eval_expr):
    with pytest.raises(EvalError):
        eval_expr("a * a", {"a": 1 << 600_000})


def test_values_equal_on_scalars_and_sets():
    tags = Attribute("ids", type="set(string)")
    assert not values_equal("a", "b")
    assert not values_equal("a", "b", tags)
    assert values_equal(["b", "a"], ["a", "b"], tags)  # a set compares unordered
    assert not values_equal(1, True) and not values_equal(True, 1)
    assert values_equal(1, 1.0)                      # same number, two spellings
    assert not values_equal("x", UNKNOWN) and not values_equal(["x", UNKNOWN], ["x", UNKNOWN])
    block = BlockType("servers", {"weight": Attribute("weight", type="number")})
    assert values_equal([], None, None, block)       # an empty block list is "unset"


def test_contains_unknown_finds_it_at_any_depth():
    assert contains_unknown({"a": [1, {"b": ("x", UNKNOWN)}]})
    assert not contains_unknown({"a": [1, {"b": ("x", None)}], "c": frozenset({"d"})})


def test_address_hash_is_not_carried_across_processes():
    a = ResourceAddress("alicloud_slb_listener", "http", "lb1")
    {a: 1}  # noqa: B018 - computes and caches the hash
    again = pickle.loads(pickle.dumps(a))
    assert "_hash" not in again.__dict__  # string hashes differ between interpreters
    assert again == a and hash(again) == hash(a) and again is not a
    assert sorted([ResourceAddress("b", "x"), a]) == [a, ResourceAddress("b", "x")]
    assert a != ResourceAddress("alicloud_slb_listener", "http", "lb1", mode="data")


def test_shadow_state_is_a_deep_copy():
    addr = ResourceAddress("alicloud_slb_server_group", "a", "lb1")
    dep = ResourceAddress("alicloud_slb_load_balancer", "lb", "lb1")
    st = State(lineage="L", serial=3, outputs={"o": {"value": [1], "sensitive": False}},
               foreign=[{"mode": "data", "type": "x", "name": "y", "instances": []}])
    st.resources[addr] = ResourceState(addr, "rsp-1", {"servers": [{"server_ids": ["i-1"], "weight": 100}]},
                                       dependencies=[dep], sensitive={"name"}, extra={"private": "e30="})
    shadow = _shadow_state(st)
    assert shadow == copy.deepcopy(st)
    assert shadow.resources[addr].extra == st.resources[addr].extra
    shadow.resources[addr].attributes["servers"][0]["server_ids"].append("i-2")
    shadow.resources[addr].dependencies.append(addr)
    shadow.resources[addr].sensitive.add("x")
    shadow.outputs["o"]["value"].append(2)
    shadow.foreign[0]["instances"].append({})
    assert st.resources[addr].attributes["servers"][0]["server_ids"] == ["i-1"]
    assert st.resources[addr].dependencies == [dep] and st.resources[addr].sensitive == {"name"}
    assert st.outputs["o"]["value"] == [1] and st.foreign[0]["instances"] == []


def test_shadow_state_copies_only_what_the_plan_touches():
    touched = ResourceAddress("alicloud_slb_server_group", "a", "lb1")
    other = ResourceAddress("alicloud_slb_server_group", "a", "lb2")
    st = State(lineage="L", serial=3)
    for addr in (touched, other):
        st.resources[addr] = ResourceState(addr, f"rsp-{addr.key}", {"servers": [{"server_ids": ["i-1"]}]})
    shadow = _shadow_state(st, {touched, ResourceAddress("alicloud_slb_listener", "new", "lb1")})
    assert shadow == copy.deepcopy(st)
    assert shadow.resources[other] is st.resources[other]          # shared: never changed in place
    assert shadow.resources[touched] is not st.resources[touched]  # handed to the provider: a copy
    shadow.resources[touched].attributes["servers"][0]["server_ids"].append("i-2")
    del shadow.resources[other]
    assert st.resources[touched].attributes["servers"][0]["server_ids"] == ["i-1"] and other in st.resources
