"""``for_each`` over a resource's instances: ``each.value`` is that instance's object, and its computed
attributes (a tls key's ``private_key_pem``, a VPC's ``id``) are known only once it is applied. They
used to be read from the plan's "(known after apply)" copy at apply time: the cert failed with
``KeyError: 'private_key_pem'`` and the vSwitch with MissingVpcId."""

from __future__ import annotations

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from planner.state.model import State
from tests.utility.helpers import actions, apply, plan, write


def _by_key(state: State, type_name: str, name: str) -> dict:
    return {a.key: {**rs.attributes, "id": rs.id} for a, rs in state.resources.items()
            if a.type == type_name and a.name == name}


CERTS = '''
locals {
  domains = toset(["a.example.com", "b.example.com"])
}

resource "tls_private_key" "site" {
  for_each  = local.domains
  algorithm = "RSA"
  rsa_bits  = 2048
}

resource "tls_self_signed_cert" "site" {
  for_each              = tls_private_key.site
  private_key_pem       = each.value.private_key_pem
  validity_period_hours = 24
  allowed_uses          = ["server_auth"]

  subject {
    common_name = each.key
  }
}
'''


def test_each_value_private_key_pem_of_a_tls_key_map(tmp_path) -> None:
    write(tmp_path, CERTS)
    _planned, state, _ = apply(tmp_path)
    keys, certs = _by_key(state, "tls_private_key", "site"), _by_key(state, "tls_self_signed_cert", "site")
    assert sorted(certs) == ["a.example.com", "b.example.com"]
    for domain, cert in certs.items():
        # each certificate is signed by its own domain's key
        assert cert["private_key_pem"] == keys[domain]["private_key_pem"]
        public = x509.load_pem_x509_certificate(cert["cert_pem"].encode()).public_key()
        key = serialization.load_pem_private_key(keys[domain]["private_key_pem"].encode(), None)
        assert public.public_numbers() == key.public_key().public_numbers()
    assert actions(plan(tmp_path)) == {}


NETWORK = '''
resource "alicloud_vpc" "net" {
  for_each   = { blue = "10.1.0.0/16", green = "10.2.0.0/16" }
  vpc_name   = each.key
  cidr_block = each.value
}

resource "alicloud_vswitch" "net" {
  for_each   = alicloud_vpc.net
  vpc_id     = each.value.id
  cidr_block = cidrsubnet(each.value.cidr_block, 8, 1)
  zone_id    = "cn-hangzhou-h"
}

module "sg" {
  source   = "./sg"
  for_each = alicloud_vpc.net
  vpc_id   = each.value.id
  name     = each.value.vpc_name
}
'''

SG_MODULE = '''
variable "vpc_id" {
  type = string
}

variable "name" {
  type = string
}

resource "alicloud_security_group" "this" {
  security_group_name = var.name
  vpc_id              = var.vpc_id
}
'''


def test_each_value_id_of_an_alicloud_resource_map(tmp_path) -> None:
    write(tmp_path, NETWORK)
    (tmp_path / "sg").mkdir()
    (tmp_path / "sg" / "main.tf").write_text(SG_MODULE)
    _planned, state, _ = apply(tmp_path)
    vpcs, vsws = _by_key(state, "alicloud_vpc", "net"), _by_key(state, "alicloud_vswitch", "net")
    assert sorted(vsws) == ["blue", "green"]
    for color, vsw in vsws.items():
        assert vsw["vpc_id"] == vpcs[color]["id"]
        assert vsw["cidr_block"] == {"blue": "10.1.1.0/24", "green": "10.2.1.0/24"}[color]
    groups = {a.module[0][1]: rs.attributes for a, rs in state.resources.items()
              if a.type == "alicloud_security_group"}
    assert {k: g["vpc_id"] for k, g in groups.items()} == {c: vpcs[c]["id"] for c in ("blue", "green")}
    assert actions(plan(tmp_path)) == {}
