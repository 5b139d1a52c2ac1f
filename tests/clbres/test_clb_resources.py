"""The CLB resources added for issue 14 item 1 (alicloud_slb_attachment, alicloud_slb_ca_certificate,
alicloud_slb_domain_extension, alicloud_slb_tls_cipher_policy, alicloud_slb): accepted, checked with
the cloud's rules at validate time, and applied on the embedded emulator."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from planner.cli.main import cli

from .helpers import apply_dir, plan_dir

LB = '''
resource "alicloud_slb_load_balancer" "lb" {
  load_balancer_name = "t"
  address_type       = "internet"
  load_balancer_spec = "slb.s1.small"
}
'''

CERT = '''
resource "alicloud_slb_server_certificate" "%s" {
  name               = "%s"
  server_certificate = "-----BEGIN CERTIFICATE-----\\nZmFrZQ==\\n-----END CERTIFICATE-----\\n"
  private_key        = "-----BEGIN PRIVATE KEY-----\\nZmFrZQ==\\n-----END PRIVATE KEY-----\\n"
}
'''


def _validate(tmp_path: Path, text: str) -> tuple[int, str]:
    (tmp_path / "main.tf").write_text(text)
    res = CliRunner().invoke(cli, ["validate", str(tmp_path)])
    assert "Traceback" not in res.output
    return res.exit_code, res.output


def test_new_types_validate(tmp_path: Path) -> None:
    code, out = _validate(tmp_path, LB + CERT % ("site", "site") + '''
resource "alicloud_slb" "old_name" {
  name               = "legacy"
  load_balancer_spec = "slb.s1.small"
}

resource "alicloud_slb_attachment" "a" {
  load_balancer_id = alicloud_slb.old_name.id
  instance_ids     = ["i-bp1aaaaaaaaaaaaaaaaa"]
}

resource "alicloud_slb_ca_certificate" "ca" {
  name           = "clients"
  ca_certificate = "-----BEGIN CERTIFICATE-----\\nY2E=\\n-----END CERTIFICATE-----\\n"
}

resource "alicloud_slb_tls_cipher_policy" "p" {
  tls_cipher_policy_name = "modern"
  tls_versions           = ["TLSv1.2"]
  ciphers                = ["AES128-GCM-SHA256"]
}

resource "alicloud_slb_listener" "https" {
  load_balancer_id      = alicloud_slb_load_balancer.lb.id
  protocol              = "https"
  frontend_port         = 443
  backend_port          = 80
  bandwidth             = -1
  server_certificate_id = alicloud_slb_server_certificate.site.id
  ca_certificate_id     = alicloud_slb_ca_certificate.ca.id
  tls_cipher_policy     = alicloud_slb_tls_cipher_policy.p.id
}

resource "alicloud_slb_domain_extension" "d" {
  load_balancer_id      = alicloud_slb_load_balancer.lb.id
  frontend_port         = 443
  domain                = "*.example.com"
  server_certificate_id = alicloud_slb_server_certificate.site.id
}
''')
    assert code == 0, out
    # the deprecated names warn and say what to use instead
    assert 'alicloud_slb_ca_certificate.ca: Argument "name" is deprecated' in out
    assert 'rename it to "ca_certificate_name"' in out


def test_attachment_and_backend_server_on_one_lb_conflict(tmp_path: Path) -> None:
    code, out = _validate(tmp_path, LB + '''
resource "alicloud_slb_attachment" "a" {
  load_balancer_id = alicloud_slb_load_balancer.lb.id
  instance_ids     = ["i-bp1aaaaaaaaaaaaaaaaa"]
}

resource "alicloud_slb_backend_server" "b" {
  load_balancer_id = alicloud_slb_load_balancer.lb.id
  backend_servers {
    server_id = "i-bp1bbbbbbbbbbbbbbbbb"
    weight    = 100
  }
}
''')
    assert code == 1
    assert ("alicloud_slb_attachment.a: alicloud_slb_backend_server.b already manages the default server group of "
            "alicloud_slb_load_balancer.lb") in out
    assert "main.tf:9:3: error" in out  # at the attachment's load_balancer_id


def test_attachment_lists_at_most_20_instances(tmp_path: Path) -> None:
    ids = ", ".join(f'"i-bp1{n:017d}"' for n in range(21))
    code, out = _validate(tmp_path, LB + f'''
resource "alicloud_slb_attachment" "a" {{
  load_balancer_id = alicloud_slb_load_balancer.lb.id
  instance_ids     = [{ids}]
  server_type      = "ecs"
}}
''')
    assert code == 1
    assert "instance_ids lists 21 instances; the provider accepts 1 to 20" in out


def test_domain_extension_needs_an_https_listener(tmp_path: Path) -> None:
    code, out = _validate(tmp_path, LB + CERT % ("site", "site") + '''
resource "alicloud_slb_listener" "http" {
  load_balancer_id = alicloud_slb_load_balancer.lb.id
  protocol         = "http"
  frontend_port    = 443
  backend_port     = 80
}

resource "alicloud_slb_domain_extension" "d" {
  load_balancer_id      = alicloud_slb_load_balancer.lb.id
  frontend_port         = 443
  domain                = "api.example.com"
  server_certificate_id = alicloud_slb_server_certificate.site.id
}

resource "alicloud_slb_domain_extension" "bad" {
  load_balancer_id      = alicloud_slb_load_balancer.lb.id
  frontend_port         = 8443
  domain                = "b.example.com"
  server_certificate_id = alicloud_slb_server_certificate.site.id
}
''')
    assert code == 1
    assert "a domain extension needs an https listener: alicloud_slb_listener.http on port 443 is http" in out
    assert "a domain extension needs an https listener: no listener on port 8443" in out


def test_domain_extension_domain_is_checked(tmp_path: Path) -> None:
    code, out = _validate(tmp_path, """
resource "alicloud_slb_domain_extension" "bad" {
  load_balancer_id      = "lb-bp1aaaaaaaaaaaaaaaaa"
  frontend_port         = 443
  domain                = "not a domain"
  server_certificate_id = "1231579085529123_abcdef0123_cn-hangzhou"
}
""")
    assert code == 1
    assert "must be a domain name such as www.example.com" in out


def test_tls_cipher_policy_ciphers_must_fit_the_versions(tmp_path: Path) -> None:
    code, out = _validate(tmp_path, '''
resource "alicloud_slb_tls_cipher_policy" "p" {
  tls_cipher_policy_name = "old"
  tls_versions           = ["TLSv1.0", "TLSv1.3"]
  ciphers                = ["AES128-SHA", "AES128-GCM-SHA256"]
}

resource "alicloud_slb_tls_cipher_policy" "q" {
  tls_cipher_policy_name = "vv"
  tls_versions           = ["TLSv1.4"]
  ciphers                = ["AES128-SHA"]
}
''')
    assert code == 1
    assert 'cipher "AES128-GCM-SHA256" is not supported by TLSv1.0, TLSv1.3' in out
    assert "TLSv1.3 is listed but none of its ciphers" in out
    assert 'Invalid value the string "TLSv1.4" for "tls_versions"' in out


def test_listener_takes_a_custom_policy_id_but_not_any_string(tmp_path: Path) -> None:
    code, out = _validate(tmp_path, LB + CERT % ("site", "site") + '''
resource "alicloud_slb_listener" "https" {
  load_balancer_id      = alicloud_slb_load_balancer.lb.id
  protocol              = "https"
  frontend_port         = 443
  backend_port          = 80
  bandwidth             = -1
  server_certificate_id = alicloud_slb_server_certificate.site.id
  tls_cipher_policy     = "strict"
}
''')
    assert code == 1
    assert "or a custom policy id (tls-...)" in out


def test_ca_certificate_and_policy_apply_and_replan_empty(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(LB + CERT % ("site", "site") + '''
resource "alicloud_slb_ca_certificate" "ca" {
  ca_certificate_name = "clients"
  ca_certificate      = "-----BEGIN CERTIFICATE-----\\nY2E=\\n-----END CERTIFICATE-----\\n"
}

resource "alicloud_slb_tls_cipher_policy" "p" {
  tls_cipher_policy_name = "modern"
  tls_versions           = ["TLSv1.3", "TLSv1.2"]
  ciphers                = ["TLS_AES_128_GCM_SHA256", "AES128-GCM-SHA256"]
}

resource "alicloud_slb_listener" "https" {
  load_balancer_id      = alicloud_slb_load_balancer.lb.id
  protocol              = "https"
  frontend_port         = 443
  backend_port          = 80
  bandwidth             = -1
  server_certificate_id = alicloud_slb_server_certificate.site.id
  ca_certificate_id     = alicloud_slb_ca_certificate.ca.id
  tls_cipher_policy     = alicloud_slb_tls_cipher_policy.p.id
}

output "policy" {
  value = [alicloud_slb_tls_cipher_policy.p.status, alicloud_slb_ca_certificate.ca.name]
}
''')
    _, outputs = apply_dir(tmp_path)
    assert outputs["policy"] == ["normal", "clients"]
    again = plan_dir(tmp_path)
    assert not again.plan.has_changes
    # renaming the CA certificate and changing the policy's ciphers are in-place updates
    text = (tmp_path / "main.tf").read_text().replace('"clients"', '"clients-2"').replace(
        '"AES128-GCM-SHA256"]', '"ECDHE-RSA-AES128-GCM-SHA256"]')
    (tmp_path / "main.tf").write_text(text)
    planned = plan_dir(tmp_path)
    actions = {str(c.address): c.action.value for c in planned.plan.changes if c.action.value != "no-op"}
    assert actions == {"alicloud_slb_ca_certificate.ca": "update", "alicloud_slb_tls_cipher_policy.p": "update"}
    apply_dir(tmp_path)
    assert not plan_dir(tmp_path).plan.has_changes


def test_attachment_weight_change_keeps_servers_and_converges(tmp_path: Path) -> None:
    net = (Path(__file__).parents[1] / "scenarios" / "slb_attachment_members_changed" / "before" / "main.tf").read_text()
    both = net.replace("[alicloud_instance.web[0].id]", "alicloud_instance.web[*].id")
    (tmp_path / "main.tf").write_text(both + '\noutput "group" {\n  value = alicloud_slb_attachment.web.backend_servers\n}\n')
    _, outputs = apply_dir(tmp_path)
    assert len(outputs["group"].split(",")) == 3
    (tmp_path / "main.tf").write_text((tmp_path / "main.tf").read_text().replace("weight           = 100",
                                                                                "weight           = 30"))
    planned = plan_dir(tmp_path)
    changed = [c for c in planned.plan.changes if c.action.value != "no-op"]
    assert [(str(c.address), c.action.value) for c in changed] == [("alicloud_slb_attachment.web", "update")]
    apply_dir(tmp_path)
    after = plan_dir(tmp_path)
    assert not after.plan.has_changes
    state = after.refreshed.resources
    att = next(r for a, r in state.items() if str(a) == "alicloud_slb_attachment.web")
    assert att.attributes["weight"] == 30 and len(att.attributes["instance_ids"]) == 3


def test_custom_tls_policy_needs_a_guaranteed_load_balancer(tmp_path: Path) -> None:
    code, out = _validate(tmp_path, CERT % ("site", "site") + '''
resource "alicloud_slb_load_balancer" "shared" {
  load_balancer_name = "shared"
}

resource "alicloud_slb_tls_cipher_policy" "p" {
  tls_cipher_policy_name = "modern"
  tls_versions           = ["TLSv1.2"]
  ciphers                = ["AES128-GCM-SHA256"]
}

resource "alicloud_slb_listener" "https" {
  load_balancer_id      = alicloud_slb_load_balancer.shared.id
  protocol              = "https"
  frontend_port         = 443
  backend_port          = 80
  bandwidth             = -1
  server_certificate_id = alicloud_slb_server_certificate.site.id
  tls_cipher_policy     = alicloud_slb_tls_cipher_policy.p.id
}
''')
    assert code == 1
    assert ("alicloud_slb_listener.https: tls_cipher_policy needs a performance-guaranteed load balancer, but "
            "alicloud_slb_load_balancer.shared is shared-performance") in out


def test_certificate_tag_changes_reach_the_cloud_and_converge(tmp_path: Path) -> None:
    """Tags on either certificate kind are an in-place update: after apply the next plan is empty
    (a handler that plans the update but never sends TagResources leaves a diff forever)."""
    tagged = (CERT % ("site", "site")).replace("}\n", '  tags = { env = "dev", team = "web" }\n}\n') + '''
resource "alicloud_slb_ca_certificate" "ca" {
  ca_certificate_name = "clients"
  ca_certificate      = "-----BEGIN CERTIFICATE-----\\nY2E=\\n-----END CERTIFICATE-----\\n"
  tags                = { env = "dev", team = "web" }
}
'''
    (tmp_path / "main.tf").write_text(tagged)
    apply_dir(tmp_path)
    assert not plan_dir(tmp_path).plan.has_changes
    (tmp_path / "main.tf").write_text(tagged.replace('env = "dev", team = "web"', 'env = "prod"'))
    planned = plan_dir(tmp_path)
    actions = {str(c.address): c.action.value for c in planned.plan.changes if c.action.value != "no-op"}
    assert actions == {"alicloud_slb_server_certificate.site": "update", "alicloud_slb_ca_certificate.ca": "update"}
    apply_dir(tmp_path)
    after = plan_dir(tmp_path)
    assert not after.plan.has_changes
    tags = {str(a): r.attributes["tags"] for a, r in after.refreshed.resources.items()}
    assert tags == {"alicloud_slb_server_certificate.site": {"env": "prod"},
                    "alicloud_slb_ca_certificate.ca": {"env": "prod"}}
