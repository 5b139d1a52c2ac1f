"""Bad-input corpus: tiny .tf snippets, the message each must produce, and where.

The expected line is the snippet line carrying the marker comment ``#<``; a shared prelude
(load balancers, a VServer group, a master-slave group, a certificate) is appended after the
snippet so snippet line numbers stay as written.
"""

from __future__ import annotations

PRELUDE = '''
resource "alicloud_slb_load_balancer" "lb" {
  load_balancer_name = "lb"
  load_balancer_spec = "slb.s1.small"
}
resource "alicloud_slb_load_balancer" "shared" {
  load_balancer_name = "shared"
}
resource "alicloud_slb_load_balancer" "other" {
  load_balancer_name = "other"
  load_balancer_spec = "slb.s1.small"
}
resource "alicloud_slb_server_group" "g" {
  load_balancer_id = alicloud_slb_load_balancer.lb.id
}
resource "alicloud_slb_master_slave_server_group" "ms" {
  load_balancer_id = alicloud_slb_load_balancer.lb.id
  name             = "ms"
  servers {
    server_id   = "i-master"
    port        = 80
    server_type = "Master"
  }
  servers {
    server_id   = "i-slave"
    port        = 80
    server_type = "Slave"
  }
}
resource "alicloud_slb_server_certificate" "c" {
  name               = "c"
  server_certificate = "-----BEGIN CERTIFICATE-----\\nMIIB\\n-----END CERTIFICATE-----\\n"
  private_key        = "-----BEGIN PRIVATE KEY-----\\nMIGH\\n-----END PRIVATE KEY-----\\n"
}
'''


def listener(name: str, port: int, proto: str = "tcp", lb: str = "lb", extra: str = "", mark: bool = False) -> str:
    m = " #<" if mark else ""
    return f'''resource "alicloud_slb_listener" "{name}" {{{m}
  load_balancer_id = alicloud_slb_load_balancer.{lb}.id
  protocol         = "{proto}"
  frontend_port    = {port}
  backend_port     = 80
  bandwidth        = 10
{extra}}}
'''


def rule(name: str, port: int, url: str, mark: bool = False) -> str:
    m = " #<" if mark else ""
    return f'''resource "alicloud_slb_rule" "{name}" {{{m}
  load_balancer_id = alicloud_slb_load_balancer.lb.id
  frontend_port    = {port}
  url              = "{url}"
  server_group_id  = alicloud_slb_server_group.g.id
}}
'''


# id -> (snippet, expected message fragment)
CASES: dict[str, tuple[str, str]] = {
    "weight_out_of_range": ('''
resource "alicloud_slb_server_group" "web" {
  load_balancer_id = alicloud_slb_load_balancer.lb.id
  servers {
    server_ids = ["i-1"]
    port       = 80
    weight     = 101 #<
  }
}
''', 'Value 101 for "servers[0].weight" is out of range'),
    "port_zero": ('''
resource "alicloud_slb_listener" "l" {
  load_balancer_id = alicloud_slb_load_balancer.lb.id
  protocol         = "tcp"
  frontend_port    = 0 #<
  backend_port     = 80
}
''', 'Value 0 for "frontend_port" is out of range'),
    "port_70000": ('''
resource "alicloud_slb_listener" "l" {
  load_balancer_id = alicloud_slb_load_balancer.lb.id
  protocol         = "tcp"
  frontend_port    = 80
  backend_port     = 70000 #<
}
''', 'Value 70000 for "backend_port" is out of range'),
    "unknown_argument": ('''
resource "alicloud_slb_listener" "l" {
  load_balancer_id = alicloud_slb_load_balancer.lb.id
  protocol         = "http"
  frontend_port    = 80
  backend_port     = 80
  health_chek      = "on" #<
}
''', 'did you mean "health_check"?'),
    "unknown_resource_type": ('''
resource "alicloud_slb_listner" "l" { #<
  load_balancer_id = alicloud_slb_load_balancer.lb.id
}
''', 'did you mean "alicloud_slb_listener"?'),
    "missing_required": ('''
resource "alicloud_slb_listener" "l" { #<
  load_balancer_id = alicloud_slb_load_balancer.lb.id
  frontend_port    = 80
  backend_port     = 80
}
''', 'Missing required argument "protocol"'),
    "wrong_type_number": ('''
resource "alicloud_slb_listener" "l" {
  load_balancer_id = alicloud_slb_load_balancer.lb.id
  protocol         = "tcp"
  frontend_port    = "eighty" #<
  backend_port     = 80
}
''', 'a number is required, got the string "eighty"'),
    "wrong_type_bool": ('''
resource "alicloud_slb_listener" "l" {
  load_balancer_id = alicloud_slb_load_balancer.lb.id
  protocol         = "http"
  frontend_port    = 80
  backend_port     = 80
  gzip             = "yes" #<
}
''', "a bool (true or false) is required"),
    "enum_violation": ('''
resource "alicloud_slb_listener" "l" {
  load_balancer_id = alicloud_slb_load_balancer.lb.id
  protocol         = "tls" #<
  frontend_port    = 80
  backend_port     = 80
}
''', 'Invalid value the string "tls" for "protocol"'),
    "too_many_listeners": ("".join(listener(f"l{i}", 1000 + i, mark=(i == 50)) for i in range(51)),
                           "would have 51 listeners; a CLB instance holds at most 50"),
    "duplicate_port_protocol": (listener("a", 80) + listener("b", 80).replace("frontend_port    = 80",
                                "frontend_port    = 80 #<"), "duplicate tcp listener on port 80"),
    "http_tcp_same_port": (listener("a", 80) + listener("b", 80, "http").replace(
        "frontend_port    = 80", "frontend_port    = 80 #<"), "http listener on port 80 conflicts with the tcp"),
    "master_slave_three_servers": ('''
resource "alicloud_slb_master_slave_server_group" "m3" {
  load_balancer_id = alicloud_slb_load_balancer.lb.id
  name             = "m3"
  servers {
    server_id   = "i-1"
    port        = 80
    server_type = "Master"
  }
  servers {
    server_id   = "i-2"
    port        = 80
    server_type = "Slave"
  }
  servers { #<
    server_id   = "i-3"
    port        = 80
    server_type = "Slave"
  }
}
''', "needs exactly two servers, found 3"),
    "master_slave_two_masters": ('''
resource "alicloud_slb_master_slave_server_group" "mm" {
  load_balancer_id = alicloud_slb_load_balancer.lb.id
  name             = "mm"
  servers {
    server_id   = "i-1"
    port        = 80
    server_type = "Master"
  }
  servers {
    server_id   = "i-2"
    port        = 80
    server_type = "Master" #<
  }
}
''', "needs one Master and one Slave, found Master and Master"),
    "master_slave_on_http": ('''
resource "alicloud_slb_listener" "l" {
  load_balancer_id             = alicloud_slb_load_balancer.lb.id
  protocol                     = "http"
  frontend_port                = 80
  master_slave_server_group_id = alicloud_slb_master_slave_server_group.ms.id #<
}
''', "a master-slave server group cannot serve a http listener"),
    "both_group_kinds": ('''
resource "alicloud_slb_listener" "l" {
  load_balancer_id             = alicloud_slb_load_balancer.lb.id
  protocol                     = "tcp"
  frontend_port                = 80
  bandwidth                    = 10
  server_group_id              = alicloud_slb_server_group.g.id
  master_slave_server_group_id = alicloud_slb_master_slave_server_group.ms.id #<
}
''', "only one of server_group_id and master_slave_server_group_id"),
    "rule_on_tcp_listener": (listener("t", 80) + rule("r", 80, "/api").replace(
        "frontend_port    = 80", "frontend_port    = 80 #<"), "forwarding rule on port 80, which is a tcp listener"),
    "rule_without_listener": (rule("r", 8080, "/api").replace(
        "frontend_port    = 8080", "frontend_port    = 8080 #<"), "no listener on port 8080"),
    "too_many_rules": (listener("h", 80, "http") + "".join(rule(f"r{i}", 80, f"/p{i}", mark=(i == 40))
                                                            for i in range(41)),
                       "would have 41 forwarding rules; at most 40"),
    "eni_on_shared_lb": ('''
resource "alicloud_slb_backend_server" "b" {
  load_balancer_id = alicloud_slb_load_balancer.shared.id
  backend_servers {
    server_id = "eni-123"
    weight    = 100
    type      = "eni" #<
    server_ip = "10.0.0.5"
  }
}
''', "ENI backends need a performance-guaranteed load balancer"),
    "sticky_server_without_cookie": ('''
resource "alicloud_slb_listener" "l" {
  load_balancer_id    = alicloud_slb_load_balancer.lb.id
  protocol            = "http"
  frontend_port       = 80
  backend_port        = 80
  sticky_session      = "on"
  sticky_session_type = "server" #<
}
''', "server stickiness needs cookie"),
    "sticky_without_type": ('''
resource "alicloud_slb_listener" "l" {
  load_balancer_id = alicloud_slb_load_balancer.lb.id
  protocol         = "http"
  frontend_port    = 80
  backend_port     = 80
  sticky_session   = "on" #<
}
''', 'sticky_session = "on" needs sticky_session_type'),
    "sticky_on_tcp": (listener("l", 80, extra='  sticky_session = "on" #<\n'),
                      '"sticky_session" does not apply to a tcp listener'),
    "health_check_interval_range": (listener("l", 80, extra="  health_check_interval = 51 #<\n"),
                                    'Value 51 for "health_check_interval" is out of range'),
    "unhealthy_threshold_range": (listener("l", 80, extra="  unhealthy_threshold = 11 #<\n"),
                                  'Value 11 for "unhealthy_threshold" is out of range'),
    "http_hc_param_on_udp": (listener("l", 53, "udp", extra='  health_check_uri = "/health" #<\n'),
                             '"health_check_uri" does not apply to a udp listener'),
    "idle_timeout_range": (listener("l", 80, "http", extra="  idle_timeout = 61 #<\n"),
                           'Value 61 for "idle_timeout" is out of range'),
    "established_timeout_on_http": (listener("l", 80, "http", extra="  established_timeout = 300 #<\n"),
                                    '"established_timeout" does not apply to a http listener'),
    "https_without_certificate": (listener("l", 443, "https").replace('"https"', '"https" #<'),
                                  "an https listener needs server_certificate_id"),
    "scheduler_sch_on_http": (listener("l", 80, "http", extra='  scheduler = "sch" #<\n'),
                              'scheduler "sch" is not available on a http listener'),
    "acl_on_without_ids": (listener("l", 80, extra='  acl_status = "on" #<\n  acl_type = "white"\n'),
                           'acl_status = "on" needs acl_ids'),
    "xff_on_tcp": (listener("l", 80, extra="  x_forwarded_for { #<\n    retrive_slb_ip = true\n  }\n"),
                   "x_forwarded_for does not apply to a tcp listener"),
    "removed_argument": (listener("l", 80, extra="  lb_port = 80 #<\n"), 'Argument "lb_port" was removed'),
    "group_of_other_lb": (listener("l", 80, extra="  server_group_id = alicloud_slb_server_group.g.id #<\n",
                                   lb="other"), "belongs to load balancer alicloud_slb_load_balancer.lb"),
    "rule_needs_domain_or_url": ('''
resource "alicloud_slb_rule" "r" { #<
  load_balancer_id = alicloud_slb_load_balancer.lb.id
  frontend_port    = 80
  server_group_id  = alicloud_slb_server_group.g.id
}
''', "a forwarding rule needs domain or url"),
    "rule_url_root": (listener("h", 80, "http") + rule("r", 80, "/").replace('url              = "/"',
                                                                            'url              = "/" #<'),
                      'must not be "/" alone'),
    "acl_bad_cidr": ('''
resource "alicloud_slb_acl" "a" {
  name = "office"
  entry_list {
    entry = "10.0.0.300/24" #<
  }
}
''', "is not an IP address or CIDR block"),
    "two_backend_server_resources": ('''
resource "alicloud_slb_backend_server" "a" {
  load_balancer_id = alicloud_slb_load_balancer.lb.id
}
resource "alicloud_slb_backend_server" "b" {
  load_balancer_id = alicloud_slb_load_balancer.lb.id #<
}
''', "already manages the default server group"),
    "lb_name_and_alias": ('''
resource "alicloud_slb_load_balancer" "x" {
  load_balancer_name = "web"
  name               = "web2" #<
  load_balancer_spec = "slb.s1.small"
}
''', '"name" and "load_balancer_name" are both set'),
    "lb_bad_name": ('''
resource "alicloud_slb_load_balancer" "x" {
  load_balancer_name = "1web" #<
  load_balancer_spec = "slb.s1.small"
}
''', "must start with a letter"),
    "server_group_duplicate_server": ('''
resource "alicloud_slb_server_group" "d" {
  load_balancer_id = alicloud_slb_load_balancer.lb.id
  servers {
    server_ids = ["i-1"]
    port       = 80
  }
  servers {
    server_ids = ["i-1"] #<
    port       = 80
  }
}
''', "server i-1 is in the group twice on port 80"),
    "tcp_without_bandwidth": ('''
resource "alicloud_slb_listener" "l" {
  load_balancer_id = alicloud_slb_load_balancer.lb.id
  protocol         = "tcp" #<
  frontend_port    = 80
  backend_port     = 80
}
''', "a tcp listener needs bandwidth"),
    "udp_reserved_port": (listener("l", 4789, "udp").replace("= 4789", "= 4789 #<"),
                          "udp port 4789 is reserved"),
    "clcu_pay_by_bandwidth": ('''
resource "alicloud_slb_load_balancer" "x" {
  load_balancer_name   = "x"
  instance_charge_type = "PayByCLCU"
  internet_charge_type = "PayByBandwidth" #<
}
''', "pay-by-LCU load balancers are billed by traffic only"),
    "hash_scheduler_on_shared_lb": (listener("l", 80, lb="shared", extra='  scheduler = "sch" #<\n'),
                                    'scheduler "sch" needs a performance-guaranteed load balancer'),
    "acl_ip_version_mismatch": ('''
resource "alicloud_slb_acl" "v6" {
  name       = "v6"
  ip_version = "ipv6"
}
''' + listener("l", 80, extra='  acl_status = "on"\n  acl_type = "white"\n'
                           '  acl_ids = [alicloud_slb_acl.v6.id] #<\n'), "is an ipv6 ACL but"),
}


def expected_line(snippet: str) -> int:
    for no, line in enumerate(snippet.splitlines(), start=1):
        if "#<" in line:
            return no
    raise AssertionError("snippet has no #< marker")
