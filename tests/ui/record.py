"""Record what Terraform prints while applying step1.tf, then step2.tf, then destroying, in human
mode and with ``-json``, into expected.json (ids and timestamps normalised).

``python -m tests.ui.record`` (needs the terraform binary; terraform_data only, no provider).
The same sequence is replayed against clbplan by test_progress.py and test_json_ui.py.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
EXPECTED = HERE / "expected.json"
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
TIMESTAMP = re.compile(r'"@timestamp":"[^"]+"')

# (name, config file, arguments); each sequence runs in one directory, in order
HUMAN = [
    ("apply1", "step1.tf", ["apply", "-auto-approve", "-no-color", "-input=false"]),
    ("apply2", "step2.tf", ["apply", "-auto-approve", "-no-color", "-input=false"]),
    ("destroy", "step2.tf", ["destroy", "-auto-approve", "-no-color", "-input=false"]),
]
JSON = [
    ("plan1", "step1.tf", ["plan", "-json", "-input=false"]),
    ("apply1", "step1.tf", ["apply", "-json", "-auto-approve"]),
    ("plan2", "step2.tf", ["plan", "-json"]),
    ("apply_unapproved", "step2.tf", ["apply", "-json"]),
    ("apply2", "step2.tf", ["apply", "-json", "-auto-approve"]),
    ("plan_nochange", "step2.tf", ["plan", "-json"]),
    ("destroy", "step2.tf", ["destroy", "-json", "-auto-approve"]),
    ("plan_broken", "broken.tf", ["plan", "-json"]),
    ("validate_ok", "step2.tf", ["validate", "-json"]),
    ("validate_broken", "broken.tf", ["validate", "-json"]),
]


def normalise(text: str) -> str:
    """Ids and timestamps differ run to run: replace them with placeholders."""
    return TIMESTAMP.sub('"@timestamp":"<ts>"', UUID.sub("<id>", text))


def replay(sequence: list[tuple[str, str, list[str]]], command: list[str], env: dict[str, str],
           work: Path) -> dict[str, dict]:
    """Run ``command + args`` for each step in ``work`` (main.tf replaced by the step's file)."""
    out: dict[str, dict] = {}
    for name, config, args in sequence:
        shutil.copy(HERE / config, work / "main.tf")
        proc = subprocess.run([*command, *args], cwd=work, env=env, capture_output=True, text=True,
                              timeout=300)
        out[name] = {"exit": proc.returncode, "stdout": normalise(proc.stdout)}
    return out


def terraform(sequence: list[tuple[str, str, list[str]]]) -> dict[str, dict]:
    with tempfile.TemporaryDirectory() as tmp:
        rc = Path(tmp, "rc")
        rc.write_text("")
        work = Path(tmp, "work")
        work.mkdir()
        env = dict(os.environ, TF_CLI_CONFIG_FILE=str(rc), TF_IN_AUTOMATION="1")
        env.pop("TF_CLI_ARGS", None)
        shutil.copy(HERE / "step1.tf", work / "main.tf")
        subprocess.run(["terraform", "init", "-input=false"], cwd=work, env=env, capture_output=True, check=True)
        version = subprocess.run(["terraform", "version"], cwd=work, env=env, capture_output=True,
                                 text=True).stdout.splitlines()[0]
        result = replay(sequence, ["terraform"], env, work)
        result["_version"] = {"exit": 0, "stdout": version}
        return result


if __name__ == "__main__":
    EXPECTED.write_text(json.dumps({"human": terraform(HUMAN), "json": terraform(JSON)}, indent=1) + "\n")
    print(f"wrote {EXPECTED}")
