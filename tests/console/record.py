"""Record ``terraform console``'s rendering of each expression in expressions.txt into expected.json.

``python -m tests.console.record`` (needs the terraform binary; an empty configuration, no provider).
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
EXPRESSIONS = HERE / "expressions.txt"
EXPECTED = HERE / "expected.json"


def expressions() -> list[str]:
    return [line for line in EXPRESSIONS.read_text().splitlines() if line.strip()]


def terraform_console(expr: str) -> str:
    with tempfile.TemporaryDirectory() as tmp:
        rc = Path(tmp, "rc")
        rc.write_text("")
        env = dict(os.environ, TF_CLI_CONFIG_FILE=str(rc))
        proc = subprocess.run(["terraform", "console", "-no-color"], input=expr + "\n", cwd=tmp, env=env,
                              capture_output=True, text=True, check=True)
        return proc.stdout


if __name__ == "__main__":
    EXPECTED.write_text(json.dumps({e: terraform_console(e) for e in expressions()}, indent=1,
                                   ensure_ascii=False) + "\n")
    print(f"wrote {EXPECTED}")
