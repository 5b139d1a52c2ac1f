"""Cross-resource rules end to end: grouping by reference target while ids are still unknown."""

from __future__ import annotations

from tests.schema.corpus import PRELUDE, listener, rule


def errors(diags):
    return [d for d in diags if d.severity == "error"]


def test_listeners_on_two_load_balancers_are_counted_separately(diagnose) -> None:
    text = "".join(listener(f"a{i}", 2000 + i, lb="lb") for i in range(30))
    text += "".join(listener(f"b{i}", 2000 + i, lb="other") for i in range(30))
    assert errors(diagnose(text + PRELUDE)) == []


def test_fifty_listeners_is_the_limit_not_an_error(diagnose) -> None:
    text = "".join(listener(f"a{i}", 3000 + i) for i in range(50))
    assert errors(diagnose(text + PRELUDE)) == []


def test_same_port_on_different_load_balancers_is_fine(diagnose) -> None:
    text = listener("a", 80, lb="lb") + listener("b", 80, lb="other")
    assert errors(diagnose(text + PRELUDE)) == []


def test_tcp_and_udp_may_share_a_port(diagnose) -> None:
    text = listener("a", 53, "tcp") + listener("b", 53, "udp")
    assert errors(diagnose(text + PRELUDE)) == []


def test_literal_load_balancer_ids_are_compared_as_strings(diagnose) -> None:
    one = listener("a", 80).replace("alicloud_slb_load_balancer.lb.id", '"lb-abc"')
    two = listener("b", 80).replace("alicloud_slb_load_balancer.lb.id", '"lb-abc"')
    (d,) = errors(diagnose(one + two + PRELUDE))
    assert 'duplicate tcp listener on port 80 of load balancer "lb-abc"' in d.summary


def test_rule_for_an_external_load_balancer_is_not_second_guessed(diagnose) -> None:
    text = rule("r", 80, "/api").replace("alicloud_slb_load_balancer.lb.id", '"lb-external"')
    assert errors(diagnose(text + PRELUDE)) == []


def test_rules_on_http_listener_are_accepted(diagnose) -> None:
    text = listener("h", 80, "http") + rule("api", 80, "/api") + rule("img", 80, "/img")
    assert errors(diagnose(text + PRELUDE)) == []


def test_duplicate_rule_match_on_one_listener(diagnose) -> None:
    text = listener("h", 80, "http") + rule("a", 80, "/api") + rule("b", 80, "/api")
    (d,) = errors(diagnose(text + PRELUDE))
    assert "already matches" in d.summary and "alicloud_slb_rule.b" in d.summary


def test_eni_backend_on_guaranteed_or_clcu_load_balancer_is_fine(diagnose) -> None:
    text = '''
resource "alicloud_slb_load_balancer" "clcu" {
  load_balancer_name   = "clcu"
  instance_charge_type = "PayByCLCU"
}
resource "alicloud_slb_backend_server" "a" {
  load_balancer_id = alicloud_slb_load_balancer.clcu.id
  backend_servers {
    server_id = "eni-1"
    type      = "eni"
    weight    = 0
    server_ip = "10.0.0.9"
  }
}
resource "alicloud_slb_server_group" "e" {
  load_balancer_id = alicloud_slb_load_balancer.lb.id
  servers {
    server_ids = ["eni-2"]
    port       = 80
    type       = "eni"
  }
}
'''
    assert errors(diagnose(text + PRELUDE)) == []


def test_eni_attachment_through_group_of_shared_load_balancer(diagnose) -> None:
    text = '''
resource "alicloud_slb_server_group" "sg" {
  load_balancer_id = alicloud_slb_load_balancer.shared.id
}
resource "alicloud_slb_server_group_server_attachment" "a" {
  server_group_id = alicloud_slb_server_group.sg.id
  server_id       = "eni-1"
  port            = 80
  type            = "eni"
}
'''
    (d,) = errors(diagnose(text + PRELUDE))
    assert "ENI backends need a performance-guaranteed load balancer" in d.summary
    assert d.pos.line == 9


def test_listener_bandwidth_beyond_pay_by_bandwidth_instance(diagnose) -> None:
    text = '''
resource "alicloud_slb_load_balancer" "bw" {
  load_balancer_name   = "bw"
  load_balancer_spec   = "slb.s1.small"
  internet_charge_type = "PayByBandwidth"
  bandwidth            = 10
}
''' + listener("a", 80, lb="bw") + listener("b", 81, lb="bw")
    (d,) = errors(diagnose(text + PRELUDE))
    assert "ask for 20 Mbit/s, more than its bandwidth 10" in d.summary


def test_redirect_needs_https_target(diagnose) -> None:
    text = '''
resource "alicloud_slb_listener" "redirect" {
  load_balancer_id = alicloud_slb_load_balancer.lb.id
  protocol         = "http"
  frontend_port    = 80
  listener_forward = "on"
  forward_port     = 443
}
'''
    (d,) = errors(diagnose(text + PRELUDE))
    assert "no https listener on port 443" in d.summary and d.pos.line == 7


def test_same_server_attached_twice(diagnose) -> None:
    att = '''
resource "alicloud_slb_server_group_server_attachment" "{n}" {{
  server_group_id = alicloud_slb_server_group.g.id
  server_id       = "i-1"
  port            = 80
}}
'''
    (d,) = errors(diagnose(att.format(n="a") + att.format(n="b") + PRELUDE))
    assert "server i-1 port 80 is already attached" in d.summary


def test_warnings_do_not_fail_validation(diagnose) -> None:
    text = listener("h", 80, "http", extra='  cookie = "abc"\n')
    diags = diagnose(text + PRELUDE)
    assert errors(diags) == []
    assert any('cookie has no effect while sticky_session = "off"' in d.summary for d in diags)


def test_counted_references_never_lump_load_balancers_together(diagnose) -> None:
    """lb[count.index]: when the target instance cannot be told apart, stay silent rather than
    count 60 listeners of three load balancers as one load balancer's."""
    text = '''
resource "alicloud_slb_load_balancer" "many" {
  count              = 3
  load_balancer_name = "many${count.index}"
  load_balancer_spec = "slb.s1.small"
}
resource "alicloud_slb_listener" "l" {
  count            = 60
  load_balancer_id = alicloud_slb_load_balancer.many[count.index % 3].id
  protocol         = "tcp"
  frontend_port    = 1000 + count.index
  backend_port     = 80
  bandwidth        = 10
}
'''
    assert errors(diagnose(text + PRELUDE)) == []


def test_a_whole_resource_reference_is_not_taken_for_one_load_balancer(diagnose) -> None:
    """``values(alicloud_slb_load_balancer.many)[i]`` depends on every instance (recorded as the unkeyed
    address): two listeners on the same port of two such picks are not one load balancer's duplicates."""
    text = PRELUDE + '''
resource "alicloud_slb_load_balancer" "many" {
  for_each           = toset(["a", "b"])
  load_balancer_name = each.key
}
''' + "".join(
        listener(name, 80).replace("alicloud_slb_load_balancer.lb.id", f"values(alicloud_slb_load_balancer.many)[{i}].id")
        for i, name in enumerate(("first", "second")))
    assert errors(diagnose(text)) == []
