"""CA certificates, domain extensions and TLS cipher policies (issue 14 item 1): success paths and
the cloud's refusals, asserted identically in-process and through the official SDK over signed HTTP."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import Failure
from .test_rules import World, fails

CERT = "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUZW11bGF0b3I=\n-----END CERTIFICATE-----\n"
CA = "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUY2EtZW11bGF0b3I=\n-----END CERTIFICATE-----\n"
KEY = "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEAemulator+/=\n-----END RSA PRIVATE KEY-----\n"


@pytest.fixture
def world(cloud: Any) -> World:
    return World(cloud, instances=1)


def _cert(cloud: Any, name: str = "site") -> str:
    return cloud.call("UploadServerCertificate", {"ServerCertificate": CERT, "PrivateKey": KEY,
                                                  "ServerCertificateName": name})["ServerCertificateId"]


def _ca(cloud: Any, name: str = "clients") -> str:
    return cloud.call("UploadCACertificate", {"CACertificate": CA, "CACertificateName": name})["CACertificateId"]


def test_ca_certificate_lifecycle_and_mutual_tls(cloud, world):
    ca = _ca(cloud)
    listed = cloud.call("DescribeCACertificates", {"CACertificateId": ca})["CACertificates"]["CACertificate"]
    assert [(c["CACertificateId"], c["CACertificateName"]) for c in listed] == [(ca, "clients")]
    cloud.call("SetCACertificateName", {"CACertificateId": ca, "CACertificateName": "clients-2"})
    cert = _cert(cloud)
    world.listener("https", 443, BackendServerPort=80, ServerCertificateId=cert, CACertificateId=ca)
    attr = cloud.call("DescribeLoadBalancerHTTPSListenerAttribute", {"LoadBalancerId": world.lb, "ListenerPort": 443})
    assert attr["CACertificateId"] == ca
    # in use by the listener: refused, as the server certificate is
    assert fails(cloud, "DeleteCACertificate", {"CACertificateId": ca}) == Failure(
        "CertificateAndPrivateKeyIsRefered", "The specified certificate is bound to listeners. You cannot delete it.",
        400)
    # re-pointed to a new CA certificate, the old one can go
    ca2 = _ca(cloud, "clients-new")
    cloud.call("SetLoadBalancerHTTPSListenerAttribute", {"LoadBalancerId": world.lb, "ListenerPort": 443,
                                                         "CACertificateId": ca2})
    cloud.call("DeleteCACertificate", {"CACertificateId": ca})
    assert fails(cloud, "SetCACertificateName", {"CACertificateId": ca, "CACertificateName": "x"}).code == \
        "CACertificateId.NotFound"
    # an empty CACertificateId turns mutual TLS off and lets go of the CA certificate
    cloud.call("SetLoadBalancerHTTPSListenerAttribute", {"LoadBalancerId": world.lb, "ListenerPort": 443,
                                                         "CACertificateId": ""})
    attr = cloud.call("DescribeLoadBalancerHTTPSListenerAttribute", {"LoadBalancerId": world.lb, "ListenerPort": 443})
    assert not attr.get("CACertificateId")
    cloud.call("DeleteCACertificate", {"CACertificateId": ca2})


def test_ca_certificate_rules(cloud, world):
    assert fails(cloud, "UploadCACertificate", {"CACertificate": KEY}).code == "InvalidParameter"
    assert fails(cloud, "UploadCACertificate", {"CACertificate": CA, "CACertificateName": "9starts-digit"}).code == \
        "InvalidParameter"
    # a server certificate id is not a CA certificate
    cert = _cert(cloud)
    f = fails(cloud, "CreateLoadBalancerHTTPSListener", {"LoadBalancerId": world.lb, "ListenerPort": 443,
                                                         "Bandwidth": -1, "StickySession": "off",
                                                         "HealthCheck": "off", "BackendServerPort": 80,
                                                         "ServerCertificateId": cert, "CACertificateId": cert})
    assert f == Failure("CertificateNotExist", "The specified CertificateId does not exist.", 400)


def test_domain_extension_lifecycle(cloud, world):
    cert, other = _cert(cloud), _cert(cloud, "other")
    world.listener("https", 443, BackendServerPort=80, ServerCertificateId=cert)
    de = cloud.call("CreateDomainExtension", {"LoadBalancerId": world.lb, "ListenerPort": 443,
                                              "Domain": "*.example.com", "ServerCertificateId": other})
    assert de["ListenerPort"] == 443
    de_id = de["DomainExtensionId"]
    got = cloud.call("DescribeDomainExtensions", {"LoadBalancerId": world.lb, "ListenerPort": 443})
    assert got["DomainExtensions"]["DomainExtension"] == [
        {"DomainExtensionId": de_id, "Domain": "*.example.com", "ServerCertificateId": other}]
    # the certificate a domain uses cannot be deleted
    assert fails(cloud, "DeleteServerCertificate", {"ServerCertificateId": other}) == Failure(
        "CertificateRelatedDomainExtensionExist", "The domainExtension related with this ServerCertificate exists.",
        400)
    cloud.call("SetDomainExtensionAttribute", {"DomainExtensionId": de_id, "ServerCertificateId": cert})
    cloud.call("DeleteServerCertificate", {"ServerCertificateId": other})
    cloud.call("DeleteDomainExtension", {"DomainExtensionId": de_id})
    assert cloud.call("DescribeDomainExtensions", {"LoadBalancerId": world.lb, "ListenerPort": 443})[
        "DomainExtensions"]["DomainExtension"] == []
    assert fails(cloud, "DeleteDomainExtension", {"DomainExtensionId": de_id}).code == \
        "InvalidParameter.DomainExtensionId"


def test_domain_extension_rules(cloud, world):
    cert = _cert(cloud)
    base = {"LoadBalancerId": world.lb, "ListenerPort": 443, "Domain": "www.example.com",
            "ServerCertificateId": cert}
    # no HTTPS listener on the port
    world.listener("http", 443, BackendServerPort=80)
    assert fails(cloud, "CreateDomainExtension", base).code == "ResourceNotFound.Listener"
    cloud.call("DeleteLoadBalancerListener", {"LoadBalancerId": world.lb, "ListenerPort": 443})
    world.listener("https", 443, BackendServerPort=80, ServerCertificateId=cert)
    assert fails(cloud, "CreateDomainExtension", {**base, "ServerCertificateId": "nope"}) == Failure(
        "InvalidParameter.ServerCertificateId", "The specified ServerCertificateId does not exist.", 400)
    assert fails(cloud, "CreateDomainExtension", {**base, "Domain": "not a domain"}).code == "DomainMalformed"
    cloud.call("CreateDomainExtension", base)
    assert fails(cloud, "CreateDomainExtension", {**base, "Domain": "WWW.example.com"}) == Failure(
        "InvalidParameter.Domain", "The specified Domain exists.", 400)
    # the listener takes its domain extensions with it
    cloud.call("DeleteLoadBalancerListener", {"LoadBalancerId": world.lb, "ListenerPort": 443})
    cloud.call("DeleteServerCertificate", {"ServerCertificateId": cert})


def test_domain_extension_needs_a_guaranteed_instance(make_cloud, emulator):
    """A legacy shared instance (made before sales stopped) refuses domain extensions."""
    import json

    from planner.emulator import Emulator

    world = World(make_cloud(emulator), instances=1)
    cert = _cert(world.cloud)
    world.listener("https", 443, BackendServerPort=80, ServerCertificateId=cert)
    dump = emulator.dump()
    for row in dump["tables"]["objects"]:
        if row[1] == "lb" and row[2] == world.lb:
            doc = json.loads(row[5]) if isinstance(row[5], str) else row[5]
            doc["LoadBalancerSpec"] = ""
            row[5] = json.dumps(doc) if isinstance(row[5], str) else doc
    legacy = Emulator.from_dump(dump)
    try:
        cloud = make_cloud(legacy)
        f = fails(cloud, "CreateDomainExtension", {"LoadBalancerId": world.lb, "ListenerPort": 443,
                                                   "Domain": "a.example.com", "ServerCertificateId": cert})
        assert (f.code, f.status) == ("InvalidParameter.SpecNotSupport", 400)
    finally:
        legacy.close()


def _policy(cloud: Any, name: str = "strict", versions=("TLSv1.2",), ciphers=("AES128-GCM-SHA256",)) -> str:
    p: dict[str, Any] = {"Name": name}
    p.update({f"TLSVersions.{i}": v for i, v in enumerate(versions, 1)})
    p.update({f"Ciphers.{i}": c for i, c in enumerate(ciphers, 1)})
    return cloud.call("CreateTLSCipherPolicy", p)["TLSCipherPolicyId"]


def test_tls_cipher_policy_lifecycle(cloud, world):
    pid = _policy(cloud, versions=("TLSv1.2", "TLSv1.3"), ciphers=("AES128-GCM-SHA256", "TLS_AES_128_GCM_SHA256"))
    cloud.call("SetTLSCipherPolicyAttribute", {"TLSCipherPolicyId": pid, "Name": "strict-2",
                                               "Ciphers.1": "ECDHE-RSA-AES128-GCM-SHA256",
                                               "Ciphers.2": "TLS_AES_256_GCM_SHA384"})
    cert = _cert(cloud)
    world.listener("https", 443, BackendServerPort=80, ServerCertificateId=cert, TLSCipherPolicy=pid)
    listed = cloud.call("ListTLSCipherPolicies", {"TLSCipherPolicyId": pid, "IncludeListener": "true"})
    (pol,) = listed["TLSCipherPolicies"]
    assert (pol["Name"], pol["TLSVersions"], pol["Ciphers"], pol["Status"]) == (
        "strict-2", ["TLSv1.2", "TLSv1.3"], ["ECDHE-RSA-AES128-GCM-SHA256", "TLS_AES_256_GCM_SHA384"], "normal")
    assert [(r["LoadBalancerId"], r["Port"]) for r in pol["RelateListeners"]] == [(world.lb, 443)]
    assert fails(cloud, "DeleteTLSCipherPolicy", {"TLSCipherPolicyId": pid}).code == "ResourceInUse.TLSCipherPolicy"
    cloud.call("SetLoadBalancerHTTPSListenerAttribute", {"LoadBalancerId": world.lb, "ListenerPort": 443,
                                                         "TLSCipherPolicy": "tls_cipher_policy_1_2"})
    cloud.call("DeleteTLSCipherPolicy", {"TLSCipherPolicyId": pid})
    assert cloud.call("ListTLSCipherPolicies", {})["TLSCipherPolicies"] == []


def test_tls_cipher_policy_rules(cloud, world):
    # a cipher none of the chosen versions supports
    assert fails(cloud, "CreateTLSCipherPolicy", {"Name": "old", "TLSVersions.1": "TLSv1.0",
                                                  "Ciphers.1": "AES128-GCM-SHA256"}).code == "InvalidParameter"
    assert fails(cloud, "CreateTLSCipherPolicy", {"Name": "v4", "TLSVersions.1": "TLSv1.4",
                                                  "Ciphers.1": "AES128-SHA"}).code == "InvalidParameter"
    assert fails(cloud, "CreateTLSCipherPolicy", {"Name": "none", "TLSVersions.1": "TLSv1.2"}).code == \
        "MissingCiphers"
    # a listener naming a policy id that does not exist
    cert = _cert(cloud)
    f = fails(cloud, "CreateLoadBalancerHTTPSListener", {"LoadBalancerId": world.lb, "ListenerPort": 443,
                                                         "Bandwidth": -1, "StickySession": "off",
                                                         "HealthCheck": "off", "BackendServerPort": 80,
                                                         "ServerCertificateId": cert,
                                                         "TLSCipherPolicy": "tls-bp1doesnotexist00000"})
    assert f == Failure("InvalidTLSPolicyId.NotExist", "The specified TLS cipher policy does not exist.", 400)
