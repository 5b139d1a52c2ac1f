"""tls (on the cryptography library) and local: real keys and certificates, files written and read."""

from __future__ import annotations

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, padding

from planner.diagnostics import DiagnosticsError
from tests.utility.helpers import actions, apply, plan, write

PKI = '''
resource "tls_private_key" "ca" {
  algorithm   = "ECDSA"
  ecdsa_curve = "P256"
}
resource "tls_private_key" "web" {
  algorithm = "RSA"
}
resource "tls_private_key" "ed" {
  algorithm = "ED25519"
}
resource "tls_self_signed_cert" "ca" {
  private_key_pem       = tls_private_key.ca.private_key_pem
  validity_period_hours = 87600
  is_ca_certificate     = true
  allowed_uses          = ["cert_signing", "crl_signing"]
  subject {
    common_name  = "Example CA"
    organization = "Example"
  }
}
resource "tls_cert_request" "web" {
  private_key_pem = tls_private_key.web.private_key_pem
  dns_names       = ["www.example.com"]
  ip_addresses    = ["10.0.0.1"]
  subject {
    common_name = "www.example.com"
  }
}
resource "tls_locally_signed_cert" "web" {
  cert_request_pem      = tls_cert_request.web.cert_request_pem
  ca_private_key_pem    = tls_private_key.ca.private_key_pem
  ca_cert_pem           = tls_self_signed_cert.ca.cert_pem
  validity_period_hours = %d
  early_renewal_hours   = %d
  allowed_uses          = ["key_encipherment", "digital_signature", "server_auth"]
}
resource "local_file" "cert" {
  filename        = "out/web.crt"
  content         = tls_locally_signed_cert.web.cert_pem
  file_permission = "0644"
}
resource "local_sensitive_file" "key" {
  filename = "out/web.key"
  content  = tls_private_key.web.private_key_pem
}
data "local_file" "cert" {
  filename = "notes.txt"
}
output "notes" { value = data.local_file.cert.content }
'''


def test_keys_and_certificates_are_real_and_chain_to_the_ca(tmp_path):
    (tmp_path / "notes.txt").write_text("hello\n")
    write(tmp_path, PKI % (720, 0))
    _, state, result = apply(tmp_path)
    assert result.api_calls == 0
    by = {str(a): rs.attributes for a, rs in state.resources.items()}
    assert by["tls_private_key.web"]["private_key_pem"].startswith("-----BEGIN RSA PRIVATE KEY-----")
    assert by["tls_private_key.ca"]["public_key_openssh"].startswith("ecdsa-sha2-nistp256 ")
    assert by["tls_private_key.ed"]["public_key_fingerprint_sha256"].startswith("SHA256:")
    ca = x509.load_pem_x509_certificate(by["tls_self_signed_cert.ca"]["cert_pem"].encode())
    web = x509.load_pem_x509_certificate((tmp_path / "out" / "web.crt").read_bytes())
    assert web.issuer == ca.subject and str(web.serial_number) == by["tls_locally_signed_cert.web"]["id"]
    ca.public_key().verify(web.signature, web.tbs_certificate_bytes, ec.ECDSA(web.signature_hash_algorithm))
    san = web.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.DNSName) == ["www.example.com"]
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is True
    assert (tmp_path / "out" / "web.key").stat().st_mode & 0o777 == 0o700
    assert (tmp_path / "out" / "web.crt").stat().st_mode & 0o777 == 0o644
    assert state.outputs["notes"]["value"] == "hello\n"
    assert actions(plan(tmp_path)) == {}
    assert padding  # the RSA key signs too
    # a file removed outside clbplan is written again; destroy removes what apply wrote
    (tmp_path / "out" / "web.crt").unlink()
    assert actions(plan(tmp_path)) == {"local_file.cert": ["create"]}
    apply(tmp_path)
    assert (tmp_path / "out" / "web.crt").exists()
    apply(tmp_path, plan(tmp_path, destroy=True))
    assert not (tmp_path / "out" / "web.crt").exists() and not (tmp_path / "out" / "web.key").exists()


def test_a_certificate_inside_early_renewal_is_reissued(tmp_path):
    (tmp_path / "notes.txt").write_text("x")
    write(tmp_path, PKI % (1, 2))  # valid for 1 hour, renewed 2 hours before the end: due at once
    apply(tmp_path)
    planned = plan(tmp_path)
    ch = next(c for c in planned.plan.changes if str(c.address) == "tls_locally_signed_cert.web")
    assert ch.action.actions == ["delete", "create"] and ch.replace_paths == [["ready_for_renewal"]]
    assert actions(planned)["local_file.cert"] == ["delete", "create"]


def test_early_renewal_hours_alone_is_an_update(tmp_path):
    (tmp_path / "notes.txt").write_text("x")
    write(tmp_path, PKI % (720, 0))
    apply(tmp_path)
    write(tmp_path, PKI % (720, 1))
    assert actions(plan(tmp_path)) == {"tls_locally_signed_cert.web": ["update"]}


def test_a_missing_local_file_data_source_is_a_located_error(tmp_path):
    write(tmp_path, 'data "local_file" "x" {\n  filename = "nope.txt"\n}\n')
    try:
        plan(tmp_path)
    except DiagnosticsError as e:
        text = str(e.diagnostics[0]) if hasattr(e, "diagnostics") else str(e)
        assert "nope.txt: no such file" in text
    else:  # pragma: no cover
        raise AssertionError("a missing file must be an error")
