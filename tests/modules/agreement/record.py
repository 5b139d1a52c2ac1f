"""Record Terraform's answers for the agreement cases (needs the ``terraform`` binary; offline).

    python tests/modules/agreement/record.py            # every case
    python tests/modules/agreement/record.py moved_blocks

Writes ``<case>/expected.json``: per step, the planned (address, actions, previous_address) rows and
the output values after apply, with the Terraform version that gave them. Review the diff before
committing: these files are what clbplan is held to.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))

from tests.support.agreement import CASES_DIR, TERRAFORM, case_names, run_terraform, terraform_version  # noqa: E402


def main(argv: list[str]) -> int:
    if TERRAFORM is None:
        print("terraform is not installed: nothing recorded", file=sys.stderr)
        return 1
    version = terraform_version()
    for case in argv or case_names():
        doc = {"terraform_version": version, **run_terraform(case)}
        path = CASES_DIR / case / "expected.json"
        path.write_text(json.dumps(doc, indent=1, sort_keys=True) + "\n")
        print(f"recorded {path.relative_to(CASES_DIR.parent.parent.parent)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
