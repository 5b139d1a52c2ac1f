"""Run the same module configurations through Terraform and through clbplan, step by step.

A case is a folder under tests/modules/agreement/ with ``step1/``, ``step2/``... (each a whole
configuration: .tf files and module folders, made only of ``terraform_data`` so Terraform needs no
provider and no network). Each step is planned (from the state the previous step's apply left) and
applied; what is compared is, per step, the planned ``(address, actions, previous_address)`` list and
the output values after the apply. ``expected.json`` in the case folder holds Terraform's answers,
recorded by ``tests/modules/agreement/record.py``, so the comparison runs where terraform is absent.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path

CASES_DIR = Path(__file__).resolve().parents[1] / "modules" / "agreement"
TERRAFORM = shutil.which("terraform")


def case_names() -> list[str]:
    return sorted(d.name for d in CASES_DIR.iterdir() if (d / "step1").is_dir())


def steps(case: str) -> list[Path]:
    folder = CASES_DIR / case
    return sorted((d for d in folder.iterdir() if d.is_dir() and d.name.startswith("step")),
                  key=lambda d: int(d.name[4:]))


def stage(work: Path, step: Path) -> None:
    """Replace the configuration in ``work`` by ``step``'s (state and tool folders stay)."""
    for old in work.iterdir():
        if old.name.startswith(".") or old.suffix in (".tfstate", ".backup", ".plan") or old.name == "p":
            continue
        if old.is_dir():
            shutil.rmtree(old)
        elif old.suffix == ".tf":
            old.unlink()
    for item in step.iterdir():
        if item.is_dir():
            shutil.copytree(item, work / item.name)
        else:
            shutil.copy(item, work / item.name)


def changes_of(plan_doc: dict) -> list[list]:
    """``[address, actions, previous_address]`` rows of a JSON plan, sorted (the comparable part)."""
    return sorted([c["address"], c["change"]["actions"], c.get("previous_address")]
                  for c in plan_doc["resource_changes"])


def outputs_of(output_doc: dict) -> dict:
    """``{name: value}`` from ``output -json``."""
    return {k: v.get("value") for k, v in sorted(output_doc.items())}


# ------------------------------------------------------------------------------------------ Terraform
def _terraform(args: list[str], cwd: Path) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TF_")}
    env.update({"TF_IN_AUTOMATION": "1", "CHECKPOINT_DISABLE": "1", "TF_DATA_DIR": str(cwd / ".tfdata"),
                "TF_CLI_CONFIG_FILE": os.devnull})
    proc = subprocess.run([TERRAFORM or "terraform", *args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=300)
    if proc.returncode != 0:
        raise RuntimeError(f"terraform {' '.join(args)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return proc.stdout


def terraform_version() -> str:
    return json.loads(_terraform(["version", "-json"], Path(tempfile.gettempdir())))["terraform_version"]


def run_terraform(case: str) -> dict:
    """Terraform's answers for every step of ``case`` (offline: terraform_data needs no provider)."""
    out = []
    with tempfile.TemporaryDirectory(prefix=f"agree-tf-{case}-") as tmp:
        work = Path(tmp)
        for step in steps(case):
            stage(work, step)
            _terraform(["init", "-input=false", "-no-color"], work)
            _terraform(["plan", "-input=false", "-no-color", "-out=p"], work)
            plan = json.loads(_terraform(["show", "-json", "p"], work))
            _terraform(["apply", "-input=false", "-no-color", "-auto-approve", "p"], work)
            outputs = json.loads(_terraform(["output", "-json"], work))
            out.append({"step": step.name, "changes": changes_of(plan), "outputs": outputs_of(outputs)})
    return {"steps": out}


# ------------------------------------------------------------------------------------------ clbplan
def run_clbplan(case: str, work: Path, invoke: Callable[[list[str]], tuple[int, str]]) -> dict:
    """clbplan's answers for every step of ``case``; ``invoke(args)`` runs one command in ``work``
    and returns (exit code, stdout)."""
    out = []
    for step in steps(case):
        stage(work, step)
        # the JSON plan representation, as Terraform gives it: plan -out, then show -json
        code, text = invoke(["plan", "-input=false", "-no-color", "-out=.agreement.plan"])
        if code != 0:
            raise AssertionError(f"clbplan plan failed at {step.name}:\n{text}")
        code, text = invoke(["show", "-json", ".agreement.plan"])
        (work / ".agreement.plan").unlink(missing_ok=True)
        if code != 0:
            raise AssertionError(f"clbplan show -json failed at {step.name}:\n{text}")
        plan = json.loads(text)
        code, text = invoke(["apply", "-auto-approve", "-input=false", "-no-color"])
        if code != 0:
            raise AssertionError(f"clbplan apply failed at {step.name}:\n{text}")
        code, text = invoke(["output", "-json"])
        outputs = json.loads(text) if code == 0 and text.strip() else {}
        code, text = invoke(["plan", "-detailed-exitcode", "-no-color"])
        if code != 0:
            raise AssertionError(f"clbplan did not converge after applying {step.name}:\n{text}")
        out.append({"step": step.name, "changes": changes_of(plan), "outputs": outputs_of(outputs)})
    return {"steps": out}
