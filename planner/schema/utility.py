"""The utility providers' resource types: ``terraform_data`` (built in), random, null, time, tls, local.

They have no cloud behind them (``planner.providers.local`` runs them on this machine), but they
plan like any other type: arguments, defaults, what forces replacement and what is sensitive match
the real providers (hashicorp/random 3.x, null 3.x, time 0.x, tls 4.x, local 2.x). Where a provider
has plan logic of its own (random's ``keepers`` replace only when a value that is not null changes,
``terraform_data.output`` is unknown again when ``input`` changes) it is a ``customize_diff``.

``UTILITY_PROVIDERS`` is the one place that says which providers and types exist here (for the
``required_providers`` check and for messages).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from planner.schema._dsl import OC, C, O, R, block, table
from planner.schema.base import ResourceSchema
from planner.values import UNKNOWN

# ------------------------------------------------------------------------------ plan logic


def keepers_replace(before: Any, after: Any) -> bool:
    """random's ``RequiresReplaceIfValuesNotNull`` on a map: adding, changing or removing a key
    replaces; a key added with a null value, or null -> a map of nulls, does not."""
    if before == after:
        return False
    old = before if isinstance(before, Mapping) else None
    new = after if isinstance(after, Mapping) else {}
    if old is None:
        return any(v is not None for v in new.values())
    for k, v in new.items():
        if k not in old and v is None:
            continue
        if old.get(k) != v or k not in old:
            return True
    return any(k not in new for k in old)


def _with_keepers(attr: str = "keepers"):
    """customize_diff for types whose ``attr`` map replaces only when a non-null value changes."""

    def customize(before: Any, after: dict, changed: list[str], replace_by: list[str]) -> list[str]:
        out = [n for n in replace_by if n != attr]
        if before is not None and attr in changed and keepers_replace(before.get(attr), after.get(attr)):
            out.append(attr)
        return sorted(out)

    return customize


def _terraform_data_diff(before: Any, after: dict, changed: list[str], replace_by: list[str]) -> list[str]:
    """``output`` follows ``input``: unknown until apply whenever ``input`` changes (null stays null)."""
    if before is None or "input" in changed or replace_by:
        after["output"] = None if after.get("input") is None else UNKNOWN
    return replace_by


def _recompute(inputs: tuple[str, ...], outputs: tuple[str, ...], keepers: str | None = None):
    """customize_diff: when one of ``inputs`` changes in place, ``outputs`` are unknown until apply."""
    keep = _with_keepers(keepers) if keepers else None

    def customize(before: Any, after: dict, changed: list[str], replace_by: list[str]) -> list[str]:
        if keep is not None:
            replace_by = keep(before, after, changed, replace_by)
        if before is not None and not replace_by and any(n in changed for n in inputs):
            for n in outputs:
                after[n] = UNKNOWN
        return replace_by

    return customize


def _renewal(before: Any, after: dict, changed: list[str], replace_by: list[str]) -> list[str]:
    """tls certificates: once expired or inside ``early_renewal_hours`` of its end, a certificate is
    re-issued: the plan sets ``ready_for_renewal`` and replaces on that path, as the tls provider's
    plan modifier does."""
    if before is None or replace_by:
        return replace_by
    from datetime import UTC, datetime, timedelta

    from planner.providers.local.clock import parse_rfc3339

    end, early = before.get("validity_end_time"), after.get("early_renewal_hours")
    if not isinstance(end, str) or not end or not isinstance(early, (int, float, type(None))):
        return replace_by
    try:
        due = parse_rfc3339(end) - timedelta(hours=int(early or 0))
    except ValueError:
        return replace_by
    if datetime.now(UTC) >= due:
        after["ready_for_renewal"] = True
        return sorted([*replace_by, "ready_for_renewal"])
    return replace_by


# ------------------------------------------------------------------------------ terraform_data

TERRAFORM_DATA = ResourceSchema("terraform_data", table(
    O("input", "dynamic", description="any value; copied to output"),
    C("output", "dynamic"),
    O("triggers_replace", "dynamic", force_new=True,
      description="any value; a change replaces the resource"),
), customize_diff=_terraform_data_diff,
    description="Terraform's built-in resource with no infrastructure behind it.")

# ------------------------------------------------------------------------------ random

KEEPERS = O("keepers", "map(string)", description="arbitrary values; a change generates a new value")


def _positive(v: Any) -> str | None:
    return "must be at least 1" if isinstance(v, int) and v < 1 else None


RANDOM_ID = ResourceSchema("random_id", table(
    R("byte_length", "number", force_new=True, check=_positive),
    O("prefix", force_new=True),
    KEEPERS,
    C("b64_url"), C("b64_std"), C("hex"), C("dec"),
), customize_diff=_with_keepers())

RANDOM_INTEGER = ResourceSchema("random_integer", table(
    R("min", "number", force_new=True),
    R("max", "number", force_new=True),
    O("seed", force_new=True),
    KEEPERS,
    C("result", "number"),
), customize_diff=_with_keepers())


def _string_args(sensitive: bool) -> dict:
    return table(
        R("length", "number", force_new=True, check=_positive),
        O("special", "bool", default=True, force_new=True, computed=True),
        O("upper", "bool", default=True, force_new=True, computed=True),
        O("lower", "bool", default=True, force_new=True, computed=True),
        O("numeric", "bool", default=True, force_new=True, computed=True),
        O("number", "bool", default=True, force_new=True, computed=True,
          deprecated='"number" is deprecated; use "numeric" instead'),
        O("min_upper", "number", default=0, force_new=True, computed=True),
        O("min_lower", "number", default=0, force_new=True, computed=True),
        O("min_numeric", "number", default=0, force_new=True, computed=True),
        O("min_special", "number", default=0, force_new=True, computed=True),
        O("override_special", force_new=True),
        KEEPERS,
        C("result", sensitive=sensitive),
        *((C("bcrypt_hash", sensitive=True),) if sensitive else ()),
    )


RANDOM_STRING = ResourceSchema("random_string", _string_args(False), customize_diff=_with_keepers())
RANDOM_PASSWORD = ResourceSchema("random_password", _string_args(True), customize_diff=_with_keepers())

RANDOM_PET = ResourceSchema("random_pet", table(
    O("length", "number", default=2, force_new=True, computed=True, check=_positive),
    O("prefix", force_new=True),
    O("separator", default="-", force_new=True, computed=True),
    KEEPERS,
), customize_diff=_with_keepers())

RANDOM_SHUFFLE = ResourceSchema("random_shuffle", table(
    R("input", "list(string)", force_new=True),
    O("result_count", "number", force_new=True),
    O("seed", force_new=True),
    KEEPERS,
    C("result", "list(string)"),
), customize_diff=_with_keepers())

RANDOM_UUID = ResourceSchema("random_uuid", table(KEEPERS, C("result")), customize_diff=_with_keepers())

# ------------------------------------------------------------------------------ null

NULL_RESOURCE = ResourceSchema("null_resource", table(
    O("triggers", "map(string)", description="arbitrary values; a change replaces the resource"),
), customize_diff=_with_keepers("triggers"))

# ------------------------------------------------------------------------------ time

TRIGGERS = O("triggers", "map(string)", force_new=True)
DATE_PARTS = (C("year", "number"), C("month", "number"), C("day", "number"), C("hour", "number"),
              C("minute", "number"), C("second", "number"), C("unix", "number"))


def go_duration(v: Any) -> str | None:
    from planner.providers.local.clock import parse_duration

    if isinstance(v, str):
        try:
            parse_duration(v)
        except ValueError as e:
            return str(e)
    return None


def rfc3339(v: Any) -> str | None:
    from planner.providers.local.clock import parse_rfc3339

    if isinstance(v, str):
        try:
            parse_rfc3339(v)
        except ValueError:
            return 'is not an RFC3339 timestamp such as "2026-01-02T15:04:05Z"'
    return None


def _sleep_checks(attrs: dict, inst: Any) -> list:
    from planner.schema._checks import err

    if attrs.get("create_duration") is None and attrs.get("destroy_duration") is None:
        return [err(inst, (), "no duration given",
                    'set create_duration = "30s" (waits after create) and/or destroy_duration')]
    return []


TIME_SLEEP = ResourceSchema("time_sleep", table(
    O("create_duration", check=go_duration),
    O("destroy_duration", check=go_duration),
    TRIGGERS,
), instance_checks=[_sleep_checks])

TIME_STATIC = ResourceSchema("time_static", table(
    OC("rfc3339", force_new=True, check=rfc3339),
    TRIGGERS,
    *DATE_PARTS,
))

ROTATION = ("rotation_minutes", "rotation_hours", "rotation_days", "rotation_months", "rotation_years")


def _rotating_checks(attrs: dict, inst: Any) -> list:
    from planner.schema._checks import err

    if all(attrs.get(n) is None for n in (*ROTATION, "rotation_rfc3339")):
        return [err(inst, (), "no rotation given",
                    "set one of rotation_minutes, rotation_hours, rotation_days, rotation_months, "
                    "rotation_years or rotation_rfc3339")]
    return []


TIME_ROTATING = ResourceSchema("time_rotating", table(
    OC("rfc3339", force_new=True, check=rfc3339),
    *(O(n, "number", check=_positive) for n in ROTATION),
    OC("rotation_rfc3339", check=rfc3339),
    TRIGGERS,
    *DATE_PARTS,
), instance_checks=[_rotating_checks],
    customize_diff=_recompute(ROTATION, ("rotation_rfc3339",)))

OFFSETS = ("offset_seconds", "offset_minutes", "offset_hours", "offset_days", "offset_months", "offset_years")
TIME_OFFSET = ResourceSchema("time_offset", table(
    OC("base_rfc3339", force_new=True, check=rfc3339),
    *(O(n, "number") for n in OFFSETS),
    TRIGGERS,
    C("rfc3339"),
    *DATE_PARTS,
), customize_diff=_recompute(OFFSETS, ("rfc3339", "year", "month", "day", "hour", "minute", "second", "unix")))

# ------------------------------------------------------------------------------ tls

KEY_USAGES = (
    "digital_signature", "content_commitment", "key_encipherment", "data_encipherment", "key_agreement",
    "cert_signing", "crl_signing", "encipher_only", "decipher_only", "any_extended", "server_auth",
    "client_auth", "code_signing", "email_protection", "ipsec_end_system", "ipsec_tunnel", "ipsec_user",
    "timestamping", "ocsp_signing", "microsoft_server_gated_crypto", "netscape_server_gated_crypto",
    "microsoft_commercial_code_signing", "microsoft_kernel_code_signing",
)


def _uses(v: Any) -> str | None:
    if isinstance(v, list):
        bad = [u for u in v if isinstance(u, str) and u not in KEY_USAGES]
        if bad:
            return f'contains "{bad[0]}"; allowed: {", ".join(KEY_USAGES)}'
    return None


SUBJECT = block(
    "subject",
    O("common_name"), O("organization"), O("organizational_unit"), O("street_address", "list(string)"),
    O("locality"), O("province"), O("country"), O("postal_code"), O("serial_number"), O("email_address"),
    max_items=1, force_new=True,
)

TLS_PRIVATE_KEY = ResourceSchema("tls_private_key", table(
    R("algorithm", force_new=True, one_of=("RSA", "ECDSA", "ED25519")),
    O("rsa_bits", "number", default=2048, force_new=True, computed=True),
    O("ecdsa_curve", default="P224", force_new=True, computed=True, one_of=("P224", "P256", "P384", "P521")),
    C("private_key_pem", sensitive=True),
    C("private_key_pem_pkcs8", sensitive=True),
    C("private_key_openssh", sensitive=True),
    C("public_key_pem"), C("public_key_openssh"),
    C("public_key_fingerprint_md5"), C("public_key_fingerprint_sha256"),
))

_CERT_COMMON = (
    R("validity_period_hours", "number", force_new=True),
    R("allowed_uses", "list(string)", force_new=True, check=_uses),
    O("early_renewal_hours", "number", default=0, computed=True),
    O("is_ca_certificate", "bool", default=False, force_new=True, computed=True),
    O("max_path_length", "number", default=0, force_new=True, computed=True),
    O("set_subject_key_id", "bool", default=False, force_new=True, computed=True),
    C("cert_pem"), C("validity_start_time"), C("validity_end_time"),
    C("ready_for_renewal", "bool"),
)
NAMES = (O("dns_names", "list(string)", force_new=True), O("ip_addresses", "list(string)", force_new=True),
         O("uris", "list(string)", force_new=True))

TLS_SELF_SIGNED_CERT = ResourceSchema("tls_self_signed_cert", table(
    R("private_key_pem", force_new=True, sensitive=True),
    *NAMES,
    O("set_authority_key_id", "bool", default=False, force_new=True, computed=True),
    *_CERT_COMMON,
    C("key_algorithm"),
), blocks={"subject": SUBJECT}, customize_diff=_renewal)

TLS_CERT_REQUEST = ResourceSchema("tls_cert_request", table(
    R("private_key_pem", force_new=True, sensitive=True),
    *NAMES,
    C("cert_request_pem"), C("key_algorithm"),
), blocks={"subject": SUBJECT})

TLS_LOCALLY_SIGNED_CERT = ResourceSchema("tls_locally_signed_cert", table(
    R("cert_request_pem", force_new=True),
    R("ca_private_key_pem", force_new=True, sensitive=True),
    R("ca_cert_pem", force_new=True),
    O("set_authority_key_id", "bool", default=False, force_new=True, computed=True),
    *_CERT_COMMON,
    C("ca_key_algorithm"),
), customize_diff=_renewal)

# ------------------------------------------------------------------------------ local

_DIGESTS = (C("content_md5"), C("content_sha1"), C("content_sha256"), C("content_sha512"),
            C("content_base64sha256"), C("content_base64sha512"))


def _file_checks(attrs: dict, inst: Any) -> list:
    from planner.schema._checks import err

    given = [n for n in ("content", "sensitive_content", "content_base64", "source") if attrs.get(n) is not None]
    if len(given) != 1:
        what = "none of" if not given else "more than one of"
        return [err(inst, (), f"{what} content, sensitive_content, content_base64, source is set",
                    "set exactly one of them")]
    return []


def _octal(v: Any) -> str | None:
    if isinstance(v, str) and not (3 <= len(v) <= 4 and all(c in "01234567" for c in v)):
        return 'must be a string of 3 or 4 octal digits, such as "0644"'
    return None


def _file_schema(type_name: str, sensitive: bool) -> ResourceSchema:
    mode = "0700" if sensitive else "0777"
    return ResourceSchema(type_name, table(
        R("filename", force_new=True),
        O("content", force_new=True, sensitive=sensitive),
        *(() if sensitive else (O("sensitive_content", force_new=True, sensitive=True,
                                  deprecated='"sensitive_content" is deprecated; use local_sensitive_file'),)),
        O("content_base64", force_new=True, sensitive=sensitive),
        O("source", force_new=True),
        O("file_permission", default=mode, force_new=True, computed=True, check=_octal),
        O("directory_permission", default=mode, force_new=True, computed=True, check=_octal),
        *_DIGESTS,
    ), instance_checks=[_file_checks])


LOCAL_FILE = _file_schema("local_file", False)
LOCAL_SENSITIVE_FILE = _file_schema("local_sensitive_file", True)

# ------------------------------------------------------------------------------ data sources

LOCAL_FILE_DATA = ResourceSchema("local_file", table(
    R("filename"), C("content"), C("content_base64"), *_DIGESTS,
), mode="data")
LOCAL_SENSITIVE_FILE_DATA = ResourceSchema("local_sensitive_file", table(
    R("filename"), C("content", sensitive=True), C("content_base64", sensitive=True), *_DIGESTS,
), mode="data")
REMOTE_STATE_DATA = ResourceSchema("terraform_remote_state", table(
    R("backend", one_of=("local", "pg")),
    O("config", "dynamic"),
    O("defaults", "dynamic"),
    O("workspace", default="default"),
    C("outputs", "dynamic"),
), mode="data")

# ------------------------------------------------------------------------------ the catalogue

MANAGED: dict[str, ResourceSchema] = {s.type_name: s for s in (
    TERRAFORM_DATA,
    RANDOM_ID, RANDOM_INTEGER, RANDOM_STRING, RANDOM_PASSWORD, RANDOM_PET, RANDOM_SHUFFLE, RANDOM_UUID,
    NULL_RESOURCE,
    TIME_SLEEP, TIME_STATIC, TIME_ROTATING, TIME_OFFSET,
    TLS_PRIVATE_KEY, TLS_SELF_SIGNED_CERT, TLS_CERT_REQUEST, TLS_LOCALLY_SIGNED_CERT,
    LOCAL_FILE, LOCAL_SENSITIVE_FILE,
)}
DATA: dict[str, ResourceSchema] = {s.type_name: s for s in (
    LOCAL_FILE_DATA, LOCAL_SENSITIVE_FILE_DATA, REMOTE_STATE_DATA,
)}

# provider local name -> its source address (as Terraform writes it in plans) and its types
UTILITY_PROVIDERS: dict[str, dict[str, Any]] = {
    "terraform": {"source": "terraform.io/builtin/terraform"},
    "random": {"source": "registry.terraform.io/hashicorp/random"},
    "null": {"source": "registry.terraform.io/hashicorp/null"},
    "time": {"source": "registry.terraform.io/hashicorp/time"},
    "tls": {"source": "registry.terraform.io/hashicorp/tls"},
    "local": {"source": "registry.terraform.io/hashicorp/local"},
}
for _name, _entry in UTILITY_PROVIDERS.items():
    _entry["resources"] = sorted(t for t in MANAGED if t.split("_", 1)[0] == _name)
    _entry["data_sources"] = sorted(t for t in DATA if t.split("_", 1)[0] == _name)


def implied_provider(type_name: str) -> str:
    """Terraform's implied provider of a type: the word before the first underscore."""
    return type_name.split("_", 1)[0]


def is_utility_type(type_name: str) -> bool:
    return implied_provider(type_name) in UTILITY_PROVIDERS


def provider_source(provider: str) -> str | None:
    """``random`` or ``random.alias`` -> ``registry.terraform.io/hashicorp/random`` (None for alicloud)."""
    entry = UTILITY_PROVIDERS.get(provider.split(".", 1)[0])
    return entry["source"] if entry else None
