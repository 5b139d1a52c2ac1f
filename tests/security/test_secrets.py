"""Threat: a secret reaches the pull-request review, the CI log or an artifact.

clbplan posts its plan into the pull request (``show -markdown``), policy gates read ``show -json``,
and CI keeps the plan file as an artifact. A sensitive variable must never appear in any of them:

* a secret in a replace-forcing attribute used to appear in the replacement reason;
* the cloud echoes a secret written into one object back inside another object's computed
  attribute (an ACL entry's comment inside the ACL's ``entry_list``), where no mark exists;
* ``show`` / ``state show`` printed sensitive-derived values (the state had no
  ``sensitive_attributes``);
* an output of a schema-sensitive attribute without ``sensitive = true`` was accepted
  (``clbplan output`` then printed the private key); Terraform refuses it;
* ``file("/proc/self/environ")`` put every environment variable, cloud keys included, in the plan;
* a 5 MB value was echoed whole in an error.

What stays, as in Terraform: the state file itself holds the values (it is where a generated key
lives); it records which are sensitive and is written 0600.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OLD, NEW = "Hunter2-old-secret-7731", "Hunter2-new-secret-9052"

ACL_CONFIG = """
variable "secret" {
  type      = string
  sensitive = true
}

resource "alicloud_slb_acl" "office" {
  name = "office"
}

resource "alicloud_slb_acl_entry_attachment" "vpn" {
  acl_id  = alicloud_slb_acl.office.id
  entry   = "10.0.0.0/8"
  comment = "pw ${var.secret}"
}

output "comment" {
  value     = alicloud_slb_acl_entry_attachment.vpn.comment
  sensitive = true
}
"""


def run(cwd: Path, *args: str, secret: str | None = None, check: bool = True) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NO_COLOR": "1"}
    env.pop("TF_VAR_secret", None)
    if secret is not None:
        env["TF_VAR_secret"] = secret
    p = subprocess.run([sys.executable, "-m", "planner.cli.main", *args], cwd=cwd, env=env,
                       capture_output=True, text=True, timeout=120)
    if check:
        assert p.returncode == 0, p.stdout + p.stderr
    return p


def _files_under(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file()]


def test_secret_in_a_replace_forcing_attribute_appears_in_no_output_or_artifact(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(ACL_CONFIG)
    printed: list[str] = []

    def keep(p: subprocess.CompletedProcess) -> None:
        printed.append(p.stdout)
        printed.append(p.stderr)

    keep(run(tmp_path, "apply", "-auto-approve", secret=OLD))
    # the new secret forces a replacement: its reason, the text, the JSON and the PR comment
    plan = run(tmp_path, "plan", "-out=p.plan", secret=NEW)
    keep(plan)
    assert "must be replaced" in plan.stdout and "comment changed (sensitive value)" in plan.stdout
    keep(run(tmp_path, "plan", "-json", secret=NEW))
    for view in (("show", "p.plan"), ("show", "-json", "p.plan"), ("show", "-markdown", "p.plan")):
        keep(run(tmp_path, *view))
    artifacts = {"plan file": (tmp_path / "p.plan").read_text()}
    keep(run(tmp_path, "apply", "p.plan", secret=NEW))
    for view in (("show",), ("show", "-json"), ("output",),
                 ("state", "show", "alicloud_slb_acl_entry_attachment.vpn"),
                 ("state", "show", "alicloud_slb_acl.office"),
                 ("plan",), ("plan", "-json")):
        keep(run(tmp_path, *view, secret=NEW))
    clbplan_dir = tmp_path / ".clbplan"
    for f in _files_under(clbplan_dir):
        if f.name.startswith("emulator.sqlite"):
            continue  # the emulated cloud itself: the real cloud holds the comment too
        artifacts[str(f.relative_to(tmp_path))] = f.read_bytes().decode("utf-8", "replace")
    for secret in (OLD, NEW):
        for i, text in enumerate(printed):
            assert secret not in text, f"secret in printed output #{i}:\n{text}"
        for name, text in artifacts.items():
            assert secret not in text, f"secret in {name}"

    # the state records which attributes are sensitive (the echo in the ACL's entry_list too) and
    # is readable by its owner only
    doc = json.loads((tmp_path / "clbplan.tfstate").read_text())
    marks = {f"{r['type']}.{r['name']}": inst.get("sensitive_attributes")
             for r in doc["resources"] for inst in r["instances"]}  # Terraform's format 4: marks per instance
    assert marks["alicloud_slb_acl_entry_attachment.vpn"] == [[{"type": "get_attr", "value": "comment"}]]
    assert stat.S_IMODE((tmp_path / "clbplan.tfstate").stat().st_mode) == 0o600


def test_output_of_a_schema_sensitive_attribute_needs_sensitive_true(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text("""
resource "tls_private_key" "k" {
  algorithm = "ED25519"
}

output "key" {
  value = tls_private_key.k.private_key_pem
}
""")
    p = run(tmp_path, "plan", check=False)
    assert p.returncode == 1
    assert "main.tf:7" in p.stderr and "Output refers to sensitive values" in p.stderr
    assert "sensitive = true" in p.stderr
    assert "tls_private_key.k.private_key_pem" in p.stderr
    # marked: accepted, and `output` masks it
    (tmp_path / "main.tf").write_text((tmp_path / "main.tf").read_text().replace(
        "private_key_pem\n", "private_key_pem\n  sensitive = true\n"))
    run(tmp_path, "apply", "-auto-approve")
    out = run(tmp_path, "output")
    assert "PRIVATE KEY" not in out.stdout and "(sensitive value)" in out.stdout or "<sensitive>" in out.stdout


def test_whole_object_holding_a_secret_needs_sensitive_true(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text("""
resource "tls_private_key" "k" {
  algorithm = "ED25519"
}

output "everything" {
  value = tls_private_key.k
}
""")
    p = run(tmp_path, "validate", check=False)
    assert p.returncode == 1
    assert "Output refers to sensitive values" in p.stderr and "main.tf:7" in p.stderr


def test_file_refuses_proc_sys_and_dev(tmp_path: Path) -> None:
    (tmp_path / "env").symlink_to("/proc/self/environ")  # committed to the checkout
    for expr, shown in (('file("/proc/self/environ")', "/proc/self/environ"), ('file("env")', "env"),
                        ('templatefile("/dev/zero", {})', "/dev/zero"), ('file("/sys/kernel/hostname")', "")):
        (tmp_path / "main.tf").write_text(f'locals {{\n  leak = {expr}\n}}\n\noutput "o" {{\n  value = local.leak\n}}\n')
        started = time.monotonic()
        p = subprocess.run([sys.executable, "-m", "planner.cli.main", "plan"], cwd=tmp_path, capture_output=True,
                           text=True, timeout=60, env={**os.environ, "PYTHONPATH": str(ROOT),
                                                       "ALICLOUD_SECRET_KEY": "cloud-key-do-not-print"})
        assert time.monotonic() - started < 10
        assert p.returncode == 1, expr
        assert "main.tf:2" in p.stderr and "Refusing to read" in p.stderr, p.stderr
        assert shown in p.stderr
        assert "cloud-key-do-not-print" not in p.stdout + p.stderr
        assert "Traceback" not in p.stderr


def test_a_huge_value_is_shortened_in_errors(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text('variable "n" {\n  type = number\n}\n')
    huge = "9" * 10 + "x" * 5_000_000
    (tmp_path / "big.tfvars").write_text(f'n = "{huge}"\n')
    p = run(tmp_path, "plan", "-var-file=big.tfvars", check=False)
    assert p.returncode == 1
    assert len(p.stdout) + len(p.stderr) < 5_000
    assert "more characters" in p.stderr


def test_state_records_and_reads_sensitive_attributes() -> None:
    from planner.addresses import ResourceAddress
    from planner.cli.state_cmd import render_resource
    from planner.state.model import ResourceState

    rs = ResourceState(ResourceAddress("alicloud_slb_acl", "a"), "acl-1", {"name": "n", "entry_list": [
        {"entry": "10.0.0.0/8", "comment": "pw s3cr3t-value"}]}, sensitive={"entry_list"})
    doc = rs.to_json()
    assert doc["sensitive_attributes"] == [[{"type": "get_attr", "value": "entry_list"}]]
    back = ResourceState.from_json(json.loads(json.dumps(doc)))
    assert back.sensitive == {"entry_list"}
    assert "s3cr3t-value" not in render_resource(back)
