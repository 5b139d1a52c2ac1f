"""Record ``terraform output`` (``-json`` and human) for outputs whose values have declared or function-given types
(a ``list(string)`` variable, ``tolist``, ``toset``, ``tomap``, ``keys``, an ``object({...})`` with an
optional attribute, ...) into terraform_output_types.json.

``python -m tests.console.record_output_types`` (needs the terraform binary; no provider).
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
EXPECTED = HERE / "terraform_output_types.json"

CONFIG = """
variable "ls" {
  type    = list(string)
  default = ["a", "b"]
}
variable "mn" {
  type    = map(number)
  default = { x = 1, y = 2 }
}
variable "ss" {
  type    = set(string)
  default = ["b", "a"]
}
variable "obj" {
  type = object({ name = string, port = number, tags = map(string) })
  default = { name = "web", port = 80, tags = { env = "prod" } }
}
variable "optobj" {
  type    = object({ name = string, size = optional(number) })
  default = { name = "x" }
}
variable "anyv" {
  type    = any
  default = ["a", 1]
}
variable "tup" {
  type    = tuple([string, number])
  default = ["a", 1]
}
variable "lo" {
  type    = list(object({ p = number }))
  default = [{ p = 1 }]
}
variable "emptyl" {
  type    = list(string)
  default = []
}
output "var_list" { value = var.ls }
output "var_map" { value = var.mn }
output "var_set" { value = var.ss }
output "var_obj" { value = var.obj }
output "var_optobj" { value = var.optobj }
output "var_any" { value = var.anyv }
output "var_tuple" { value = var.tup }
output "var_list_obj" { value = var.lo }
output "var_empty_list" { value = var.emptyl }
output "tolist" { value = tolist(["a", "b"]) }
output "tolist_mixed" { value = tolist(["a", 1]) }
output "toset" { value = toset(["b", "a", "b"]) }
output "tomap" { value = tomap({ a = 1, b = 2 }) }
output "tomap_mixed" { value = tomap({ a = 1, b = "x" }) }
output "list_index" { value = var.ls[0] }
output "for_list" { value = [for s in var.ls : upper(s)] }
output "for_map" { value = { for k, v in var.mn : k => v * 2 } }
output "concat" { value = concat(var.ls, ["c"]) }
output "merge" { value = merge(var.mn, { z = 3 }) }
output "keys" { value = keys(var.mn) }
output "values" { value = values(var.mn) }
output "length" { value = length(var.ls) }
output "split" { value = split(",", "a,b") }
output "jsondecode" { value = jsondecode("[1,2]") }
output "lookup_obj" { value = var.obj.tags }
output "cond" { value = true ? var.ls : ["z"] }
output "setunion" { value = setunion(var.ss, ["c"]) }
output "sort" { value = sort(["b", "a"]) }
output "range" { value = range(3) }
output "distinct" { value = distinct(["a", "a"]) }
output "flatten" { value = flatten([["a"], ["b"]]) }
output "zipmap" { value = zipmap(["a"], [1]) }
output "tolist_empty" { value = tolist([]) }
output "nullv" { value = null }
"""


CHANGED = CONFIG.replace('default = ["a", "b"]', 'default = ["a", "b", "c"]', 1)
COMMANDS = ("-json", "-no-color", "-no-color var_obj", "-no-color var_optobj")


def terraform_outputs(config: str = CONFIG) -> dict[str, str]:
    """Apply ``config`` in a scratch directory; what ``terraform output ARGS`` prints for each of
    COMMANDS."""
    with tempfile.TemporaryDirectory() as tmp:
        rc = Path(tmp, "rc")
        rc.write_text("")
        env = dict(os.environ, TF_CLI_CONFIG_FILE=str(rc), TF_IN_AUTOMATION="1", CHECKPOINT_DISABLE="1")
        env = {k: v for k, v in env.items() if not k.startswith("TF_CLI_ARGS")}
        Path(tmp, "main.tf").write_text(config.lstrip())
        for args in (["init", "-input=false"], ["apply", "-auto-approve", "-input=false"]):
            subprocess.run(["terraform", *args], cwd=tmp, env=env, capture_output=True, check=True)
        out = {args: subprocess.run(["terraform", "output", *args.split()], cwd=tmp, env=env, capture_output=True,
                                    text=True, check=True).stdout for args in COMMANDS}
        # then a plan changing var.ls: the JSON plan's planned outputs carry the same types
        Path(tmp, "main.tf").write_text(CHANGED.lstrip())
        subprocess.run(["terraform", "plan", "-input=false", "-out=p.plan"], cwd=tmp, env=env, capture_output=True,
                       check=True)
        shown = subprocess.run(["terraform", "show", "-json", "p.plan"], cwd=tmp, env=env, capture_output=True,
                               text=True, check=True).stdout
        out["show -json: planned_values.outputs"] = json.dumps(json.loads(shown)["planned_values"]["outputs"])
        return out


if __name__ == "__main__":
    EXPECTED.write_text(json.dumps(terraform_outputs(), indent=1) + "\n")
    print(f"wrote {EXPECTED}")
