"""Record Terraform's ``configuration`` section for tests/review/tf_configuration/config.

``python -m tests.review.tf_configuration.record`` (needs the terraform binary; terraform_data only,
so no provider download) writes expected.json: what ``terraform show -json PLAN`` prints under
``configuration``, the part checkov and policy engines read for connections between resources.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
CONFIG = HERE / "config"
EXPECTED = HERE / "expected.json"


def terraform_configuration() -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp, "config")
        shutil.copytree(CONFIG, work)
        rc = Path(tmp, "rc")
        rc.write_text("")
        env = dict(os.environ, TF_CLI_CONFIG_FILE=str(rc), TF_IN_AUTOMATION="1")
        for args in (["init", "-input=false"], ["plan", "-input=false", "-out=tfplan"]):
            subprocess.run(["terraform", *args], cwd=work, env=env, check=True, capture_output=True)
        shown = subprocess.run(["terraform", "show", "-json", "tfplan"], cwd=work, env=env, check=True,
                               capture_output=True, text=True).stdout
        return json.loads(shown)["configuration"]


if __name__ == "__main__":
    EXPECTED.write_text(json.dumps(terraform_configuration(), indent=1) + "\n")
    print(f"wrote {EXPECTED}")
