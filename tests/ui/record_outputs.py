"""Record what Terraform prints under "Changes to Outputs:" for a set of output changes, into
expected_outputs.json (ids normalised).

``python -m tests.ui.record_outputs`` (needs the terraform binary; terraform_data and outputs only,
no provider). Each case runs its steps in one fresh directory: every step but the last is applied
with ``apply -auto-approve`` and its transcript dropped; the last step's command is recorded.
test_output_changes.py replays the same steps against clbplan.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from tests.ui.record import normalise

HERE = Path(__file__).resolve().parent
EXPECTED = HERE / "expected_outputs.json"

BASE = """
variable "secret" {
  type      = string
  default   = "s3cr3t"
  sensitive = true
}

resource "terraform_data" "lb" {
  input = "web"
}

output "lb_name" {
  value = terraform_data.lb.output
}

output "name" {
  value = "web"
}

output "count" {
  value = 2
}

output "ports" {
  value = [80, 443]
}

output "tags" {
  value = { env = "prod", team = "net" }
}

output "secret" {
  value     = var.secret
  sensitive = true
}

output "a_very_long_output_name" {
  value = true
}
"""

# every kind of change at once: the resource's input changes (its output becomes unknown)
UPDATED = """
variable "secret" {
  type      = string
  default   = "0ther"
  sensitive = true
}

resource "terraform_data" "lb" {
  input = "api"
}

output "lb_name" {
  value = terraform_data.lb.output
}

output "name" {
  value = "api"
}

output "count" {
  value = 3
}

output "ports" {
  value = [80, 443, 8080]
}

output "tags" {
  value = { env = "prod", team = "edge", owner = "ops" }
}

output "secret" {
  value     = var.secret
  sensitive = true
}

output "lb_id" {
  value = terraform_data.lb.id
}

output "a_very_long_output_name" {
  value = true
}
"""

# the resource stays; only output values change, one is added and one removed
ONLY_OUTPUTS = """
variable "secret" {
  type      = string
  default   = "s3cr3t"
  sensitive = true
}

resource "terraform_data" "lb" {
  input = "web"
}

output "lb_name" {
  value = terraform_data.lb.output
}

output "name" {
  value = "web-2"
}

output "ports" {
  value = [443]
}

output "tags" {
  value = { env = "prod", team = "net" }
}

output "secret" {
  value     = var.secret
  sensitive = true
}

output "added" {
  value = "new"
}

output "a_very_long_output_name" {
  value = true
}
"""

LISTS_BEFORE = """
resource "terraform_data" "keep" {
  input = "k"
}

output "middle" {
  value = ["a", "b", "c", "d", "e", "f", "g", "h"]
}

output "head" {
  value = ["a", "b", "c", "d"]
}

output "tail" {
  value = ["a", "b", "c", "d"]
}

output "objs" {
  value = [{ name = "a", port = 80 }, { name = "b", port = 443 }]
}

output "emptied" {
  value = ["x", "y"]
}

output "filled" {
  value = []
}

output "nested" {
  value = [[1, 2], [3, 4]]
}
"""

LISTS_AFTER = """
resource "terraform_data" "keep" {
  input = "k"
}

output "middle" {
  value = ["a", "b", "c", "X", "e", "f", "g", "h"]
}

output "head" {
  value = ["z", "a", "b", "c", "d"]
}

output "tail" {
  value = ["a", "b", "c"]
}

output "objs" {
  value = [{ name = "a", port = 8080 }, { name = "b", port = 443 }, { name = "c", port = 22 }]
}

output "emptied" {
  value = []
}

output "filled" {
  value = ["new"]
}

output "nested" {
  value = [[1, 2], [3, 5]]
}
"""

MAPS_BEFORE = """
resource "terraform_data" "keep" {
  input = "k"
}

output "flat" {
  value = { a = 1, b = 2, c = 3, d = 4 }
}

output "deep" {
  value = { lb = { name = "web", spec = "small" }, listeners = { http = 80, https = 443 } }
}

output "retyped" {
  value = { port = 80 }
}

output "to_string" {
  value = { k = "v" }
}

output "with_list" {
  value = { zones = ["a", "b"], name = "x" }
}
"""

MAPS_AFTER = """
resource "terraform_data" "keep" {
  input = "k"
}

output "flat" {
  value = { a = 1, b = 20, d = 4, e = 5 }
}

output "deep" {
  value = { lb = { name = "web", spec = "large" }, listeners = { http = 80, https = 443 } }
}

output "retyped" {
  value = { port = "80" }
}

output "to_string" {
  value = "k=v"
}

output "with_list" {
  value = { zones = ["a", "b", "c"], name = "x" }
}
"""

SENSITIVE_BEFORE = """
resource "terraform_data" "keep" {
  input = "k"
}

output "password" {
  value     = "one"
  sensitive = true
}

output "unchanged" {
  value     = "same"
  sensitive = true
}

output "leaving" {
  value     = "bye"
  sensitive = true
}

output "becomes_sensitive" {
  value = "plain"
}
"""

SENSITIVE_AFTER = """
resource "terraform_data" "keep" {
  input = "k"
}

output "password" {
  value     = "two"
  sensitive = true
}

output "unchanged" {
  value     = "same"
  sensitive = true
}

output "arriving" {
  value     = { user = "admin" }
  sensitive = true
}

output "becomes_sensitive" {
  value     = "plain"
  sensitive = true
}
"""

UNKNOWN_BEFORE = """
resource "terraform_data" "lb" {
  input = "v1"
}

output "plain" {
  value = terraform_data.lb.output
}

output "inside" {
  value = { name = terraform_data.lb.output, port = 80 }
}

output "listed" {
  value = ["x", terraform_data.lb.output]
}
"""

UNKNOWN_AFTER = """
resource "terraform_data" "lb" {
  input = "v2"
}

resource "terraform_data" "fresh" {
  input = "f"
}

output "plain" {
  value = terraform_data.lb.output
}

output "inside" {
  value = { name = terraform_data.lb.output, port = 80 }
}

output "listed" {
  value = ["x", terraform_data.lb.output]
}

output "fresh_id" {
  value = terraform_data.fresh.id
}
"""

# strings holding JSON or several lines, numbers, mixed and nested lists, quoted keys, a reordering
EDGES_BEFORE = """
output "multi" {
  value = "line1\\nline2\\nline3\\n"
}

output "js" {
  value = jsonencode({ a = 1, b = [1, 2], c = "x" })
}

output "js_to_plain" {
  value = jsonencode({ a = 1 })
}

output "numbers" {
  value = [1.5, 100000000, -3, 0.001]
}

output "mixed_list" {
  value = ["a", { k = 1 }, ["x"]]
}

output "bools" {
  value = { t = true, f = false }
}

output "quoted-key" {
  value = { "with space" = 1, "ok_key" = 2 }
}

output "unicode" {
  value = "héllo\\ttab"
}

output "reorder" {
  value = ["a", "b", "c"]
}

output "emptyobj_to_obj" {
  value = {}
}
"""

EDGES_AFTER = """
output "multi" {
  value = "line1\\nlineX\\nline3\\nline4\\n"
}

output "js" {
  value = jsonencode({ a = 2, b = [1, 2, 3], c = "x" })
}

output "js_to_plain" {
  value = "plain"
}

output "numbers" {
  value = [1.5, 100000001, -3, 0.002]
}

output "mixed_list" {
  value = ["a", { k = 2 }, ["y"]]
}

output "bools" {
  value = { t = false, f = false }
}

output "quoted-key" {
  value = { "with space" = 3, "ok_key" = 2 }
}

output "unicode" {
  value = "héllo\\ttab2"
}

output "reorder" {
  value = ["c", "a", "b"]
}

output "emptyobj_to_obj" {
  value = { a = 1 }
}
"""

NO_OUTPUT_CHANGES = BASE.replace('input = "web"', 'input = "web"\n}\n\nresource "terraform_data" "extra" {\n  '
                                 'input = "more"')

APPLY = ["apply", "-auto-approve", "-no-color", "-input=false"]
PLAN = ["plan", "-no-color", "-input=false"]

# name -> [(configuration, command)]: every step before the last is applied first
CASES: dict[str, list[tuple[str, list[str]]]] = {
    "create": [(BASE, PLAN)],
    "update": [(BASE, APPLY), (UPDATED, PLAN)],
    "only_outputs": [(BASE, APPLY), (ONLY_OUTPUTS, PLAN)],
    "delete": [(BASE, APPLY), (BASE.split('output "name"')[0], PLAN)],
    "no_output_changes": [(BASE, APPLY), (NO_OUTPUT_CHANGES, PLAN)],
    "destroy_plan": [(BASE, APPLY), (BASE, [*PLAN, "-destroy"])],
    "lists": [(LISTS_BEFORE, APPLY), (LISTS_AFTER, PLAN)],
    "maps": [(MAPS_BEFORE, APPLY), (MAPS_AFTER, PLAN)],
    "sensitive": [(SENSITIVE_BEFORE, APPLY), (SENSITIVE_AFTER, PLAN)],
    "unknown": [(UNKNOWN_BEFORE, APPLY), (UNKNOWN_AFTER, PLAN)],
    "edges": [(EDGES_BEFORE, APPLY), (EDGES_AFTER, PLAN)],
    "apply_update": [(BASE, APPLY), (UPDATED, APPLY)],
    "apply_only_outputs": [(BASE, APPLY), (ONLY_OUTPUTS, APPLY)],
    "destroy": [(BASE, APPLY), (BASE, ["destroy", "-auto-approve", "-no-color", "-input=false"])],
}


def terraform_env(home: Path) -> dict[str, str]:
    """No CLI configuration, no checkpoint call, automation mode (no "next steps" hints)."""
    rc = home / "rc"
    rc.write_text("")
    env = dict(os.environ, TF_CLI_CONFIG_FILE=str(rc), TF_IN_AUTOMATION="1", CHECKPOINT_DISABLE="1")
    for name in [k for k in env if k.startswith("TF_CLI_ARGS")]:
        del env[name]
    return env


def run_case(steps: list[tuple[str, list[str]]], command: list[str], env: dict[str, str], work: Path) -> dict:
    """Run the steps in ``work``; the last one's exit code and normalised stdout."""
    proc = None
    for i, (config, args) in enumerate(steps):
        (work / "main.tf").write_text(config.lstrip())
        proc = subprocess.run([*command, *args], cwd=work, env=env, capture_output=True, text=True, timeout=300)
        if i < len(steps) - 1 and proc.returncode != 0:
            raise RuntimeError(f"{command[0]} {' '.join(args)} failed in {work}:\n{proc.stdout}{proc.stderr}")
    assert proc is not None
    return {"exit": proc.returncode, "stdout": normalise(proc.stdout)}


def terraform_transcripts() -> dict[str, dict]:
    out: dict[str, dict] = {}
    with tempfile.TemporaryDirectory() as tmp:
        env = terraform_env(Path(tmp))
        for name, steps in CASES.items():
            work = Path(tmp, name)
            work.mkdir()
            (work / "main.tf").write_text(steps[0][0].lstrip())
            subprocess.run(["terraform", "init", "-input=false"], cwd=work, env=env, capture_output=True, check=True)
            out[name] = run_case(steps, ["terraform"], env, work)
            shutil.rmtree(work)
    return out


if __name__ == "__main__":
    EXPECTED.write_text(json.dumps(terraform_transcripts(), indent=1) + "\n")
    print(f"wrote {EXPECTED}")
