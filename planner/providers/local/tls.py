"""The ``tls`` provider on the ``cryptography`` library: keys, self-signed and CA-signed certificates,
certificate requests, in the PEM/OpenSSH forms the real provider writes.

Certificates are re-issued as the real provider does once inside ``early_renewal_hours`` of their
end (the plan side is ``planner.schema.utility._renewal``).
"""

from __future__ import annotations

import base64
import hashlib
import ipaddress
import secrets
from datetime import datetime, timedelta
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from planner.providers.base import CallContext, ProviderError
from planner.providers.local import LocalHandler, register_local
from planner.providers.local.clock import format_rfc3339

CURVES = {"P224": ec.SECP224R1, "P256": ec.SECP256R1, "P384": ec.SECP384R1, "P521": ec.SECP521R1}
PEM = serialization.Encoding.PEM
PKCS8 = serialization.PrivateFormat.PKCS8
NO_PASSWORD = serialization.NoEncryption()


def _text(b: bytes) -> str:
    return b.decode()


def generate_key(algorithm: str, rsa_bits: int = 2048, curve: str = "P224") -> Any:
    if algorithm == "RSA":
        return rsa.generate_private_key(public_exponent=65537, key_size=int(rsa_bits))
    if algorithm == "ECDSA":
        return ec.generate_private_key(CURVES[curve]())
    if algorithm == "ED25519":
        return ed25519.Ed25519PrivateKey.generate()
    raise ProviderError(f"unsupported key algorithm {algorithm!r}")


def algorithm_of(key: Any) -> str:
    if isinstance(key, rsa.RSAPrivateKey):
        return "RSA"
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return "ECDSA"
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return "ED25519"
    raise ProviderError(f"unsupported private key type {type(key).__name__}")


def key_attributes(key: Any) -> dict[str, str]:
    """Every form of one private key, as tls_private_key reports them."""
    pub = key.public_key()
    traditional = serialization.PrivateFormat.TraditionalOpenSSL if not isinstance(
        key, ed25519.Ed25519PrivateKey) else PKCS8
    der = pub.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    try:
        ssh_pub = pub.public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
        ssh_priv = _text(key.private_bytes(PEM, serialization.PrivateFormat.OpenSSH, NO_PASSWORD))
        blob = base64.b64decode(ssh_pub.split()[1])
        md5 = ":".join(f"{b:02x}" for b in hashlib.md5(blob).digest())  # noqa: S324 - a fingerprint, as ssh prints it
        sha256 = "SHA256:" + base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")
        public_openssh = _text(ssh_pub) + "\n"
    except ValueError:  # P224 has no OpenSSH form: the provider leaves these empty
        ssh_priv, public_openssh, md5, sha256 = "", "", "", ""
    return {
        "id": hashlib.sha1(der).hexdigest(),  # noqa: S324 - the provider's id is this digest
        "private_key_pem": _text(key.private_bytes(PEM, traditional, NO_PASSWORD)),
        "private_key_pem_pkcs8": _text(key.private_bytes(PEM, PKCS8, NO_PASSWORD)),
        "private_key_openssh": ssh_priv,
        "public_key_pem": _text(pub.public_bytes(PEM, serialization.PublicFormat.SubjectPublicKeyInfo)),
        "public_key_openssh": public_openssh,
        "public_key_fingerprint_md5": md5,
        "public_key_fingerprint_sha256": sha256,
    }


def load_key(pem: str, what: str = "private_key_pem") -> Any:
    try:
        return serialization.load_pem_private_key(pem.encode(), password=None)
    except (ValueError, TypeError) as e:
        raise ProviderError(f"{what} is not a PEM private key: {e}") from None


@register_local("tls_private_key")
class TlsPrivateKey(LocalHandler):
    def create(self, planned: dict, ctx: CallContext) -> dict:
        key = generate_key(planned["algorithm"], planned.get("rsa_bits") or 2048, planned.get("ecdsa_curve") or "P224")
        return {**planned, **key_attributes(key)}


_SUBJECT_OIDS = (("common_name", NameOID.COMMON_NAME), ("organization", NameOID.ORGANIZATION_NAME),
                 ("organizational_unit", NameOID.ORGANIZATIONAL_UNIT_NAME),
                 ("street_address", NameOID.STREET_ADDRESS), ("locality", NameOID.LOCALITY_NAME),
                 ("province", NameOID.STATE_OR_PROVINCE_NAME), ("country", NameOID.COUNTRY_NAME),
                 ("postal_code", NameOID.POSTAL_CODE), ("serial_number", NameOID.SERIAL_NUMBER),
                 ("email_address", NameOID.EMAIL_ADDRESS))


def subject_name(blocks: Any) -> x509.Name:
    subject = blocks[0] if isinstance(blocks, list) and blocks else {}
    attrs = []
    for name, oid in _SUBJECT_OIDS:
        v = subject.get(name) if isinstance(subject, dict) else None
        for item in (v if isinstance(v, list) else [v]):
            if item not in (None, ""):
                attrs.append(x509.NameAttribute(oid, str(item)))
    return x509.Name(attrs)


def _alt_names(p: dict) -> list[x509.GeneralName]:
    out: list[x509.GeneralName] = [x509.DNSName(n) for n in p.get("dns_names") or []]
    for ip in p.get("ip_addresses") or []:
        try:
            out.append(x509.IPAddress(ipaddress.ip_address(ip)))
        except ValueError:
            raise ProviderError(f"ip_addresses: {ip!r} is not an IP address") from None
    out += [x509.UniformResourceIdentifier(u) for u in p.get("uris") or []]
    return out


_KEY_USAGE = {"digital_signature": "digital_signature", "content_commitment": "content_commitment",
              "key_encipherment": "key_encipherment", "data_encipherment": "data_encipherment",
              "key_agreement": "key_agreement", "cert_signing": "key_cert_sign", "crl_signing": "crl_sign",
              "encipher_only": "encipher_only", "decipher_only": "decipher_only"}
_EXT_USAGE = {"any_extended": ExtendedKeyUsageOID.ANY_EXTENDED_KEY_USAGE,
              "server_auth": ExtendedKeyUsageOID.SERVER_AUTH, "client_auth": ExtendedKeyUsageOID.CLIENT_AUTH,
              "code_signing": ExtendedKeyUsageOID.CODE_SIGNING,
              "email_protection": ExtendedKeyUsageOID.EMAIL_PROTECTION,
              "ipsec_end_system": x509.ObjectIdentifier("1.3.6.1.5.5.7.3.5"),
              "ipsec_tunnel": x509.ObjectIdentifier("1.3.6.1.5.5.7.3.6"),
              "ipsec_user": x509.ObjectIdentifier("1.3.6.1.5.5.7.3.7"),
              "timestamping": ExtendedKeyUsageOID.TIME_STAMPING, "ocsp_signing": ExtendedKeyUsageOID.OCSP_SIGNING,
              "microsoft_server_gated_crypto": x509.ObjectIdentifier("1.3.6.1.4.1.311.10.3.3"),
              "netscape_server_gated_crypto": x509.ObjectIdentifier("2.16.840.1.113730.4.1"),
              "microsoft_commercial_code_signing": x509.ObjectIdentifier("1.3.6.1.4.1.311.2.1.22"),
              "microsoft_kernel_code_signing": x509.ObjectIdentifier("1.3.6.1.4.1.311.61.1.1")}


def _sign_algorithm(key: Any) -> Any:
    return None if isinstance(key, ed25519.Ed25519PrivateKey) else hashes.SHA256()


def issue(p: dict, subject: x509.Name, public_key: Any, issuer: x509.Name, signer: Any, now: datetime,
          ca_public_key: Any = None) -> dict:
    """Sign one certificate; the computed attributes tls_*_cert report."""
    hours = int(p["validity_period_hours"])
    start = now.replace(microsecond=0)
    end = start + timedelta(hours=hours)
    serial = secrets.randbits(127) + 1
    b = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer).public_key(public_key)
         .serial_number(serial).not_valid_before(start).not_valid_after(end))
    uses = list(p.get("allowed_uses") or [])
    ku = {v: False for v in _KEY_USAGE.values()}
    for u in uses:
        if u in _KEY_USAGE:
            ku[_KEY_USAGE[u]] = True
    if any(ku.values()):
        b = b.add_extension(x509.KeyUsage(**ku), critical=True)
    ext = [_EXT_USAGE[u] for u in uses if u in _EXT_USAGE]
    if ext:
        b = b.add_extension(x509.ExtendedKeyUsage(ext), critical=False)
    is_ca = bool(p.get("is_ca_certificate"))
    if is_ca:
        max_path = p.get("max_path_length")
        b = b.add_extension(x509.BasicConstraints(ca=True, path_length=int(max_path) if max_path else None),
                            critical=True)
    else:
        b = b.add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
    alt = _alt_names(p)
    if alt:
        b = b.add_extension(x509.SubjectAlternativeName(alt), critical=False)
    if p.get("set_subject_key_id") or is_ca:
        b = b.add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
    if p.get("set_authority_key_id") and ca_public_key is not None:
        b = b.add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_public_key), critical=False)
    cert = b.sign(signer, _sign_algorithm(signer))
    return {"cert_pem": _text(cert.public_bytes(PEM)), "id": str(serial),
            "validity_start_time": format_rfc3339(start), "validity_end_time": format_rfc3339(end),
            "ready_for_renewal": False}


@register_local("tls_self_signed_cert")
class TlsSelfSignedCert(LocalHandler):
    def create(self, planned: dict, ctx: CallContext) -> dict:
        key = load_key(planned["private_key_pem"])
        subject = subject_name(planned.get("subject"))
        got = issue(planned, subject, key.public_key(), subject, key, self.env.now(), key.public_key())
        return {**planned, **got, "key_algorithm": algorithm_of(key)}


@register_local("tls_cert_request")
class TlsCertRequest(LocalHandler):
    def create(self, planned: dict, ctx: CallContext) -> dict:
        key = load_key(planned["private_key_pem"])
        b = x509.CertificateSigningRequestBuilder().subject_name(subject_name(planned.get("subject")))
        alt = _alt_names(planned)
        if alt:
            b = b.add_extension(x509.SubjectAlternativeName(alt), critical=False)
        csr = b.sign(key, _sign_algorithm(key))
        pem = _text(csr.public_bytes(PEM))
        return {**planned, "cert_request_pem": pem, "key_algorithm": algorithm_of(key),
                "id": hashlib.sha1(pem.encode()).hexdigest()}  # noqa: S324 - an id, not security


@register_local("tls_locally_signed_cert")
class TlsLocallySignedCert(LocalHandler):
    def create(self, planned: dict, ctx: CallContext) -> dict:
        ca_key = load_key(planned["ca_private_key_pem"], "ca_private_key_pem")
        try:
            ca = x509.load_pem_x509_certificate(planned["ca_cert_pem"].encode())
        except ValueError as e:
            raise ProviderError(f"ca_cert_pem is not a PEM certificate: {e}") from None
        try:
            csr = x509.load_pem_x509_csr(planned["cert_request_pem"].encode())
        except ValueError as e:
            raise ProviderError(f"cert_request_pem is not a PEM certificate request: {e}") from None
        p = dict(planned)
        try:
            sans = csr.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
            p["dns_names"] = sans.get_values_for_type(x509.DNSName)
            p["ip_addresses"] = [str(i) for i in sans.get_values_for_type(x509.IPAddress)]
            p["uris"] = sans.get_values_for_type(x509.UniformResourceIdentifier)
        except x509.ExtensionNotFound:
            pass
        got = issue(p, csr.subject, csr.public_key(), ca.subject, ca_key, self.env.now(), ca_key.public_key())
        return {**planned, **got, "ca_key_algorithm": algorithm_of(ca_key)}
