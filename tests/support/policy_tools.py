"""The policy engines Terraform users point at a plan (checkov, terraform-compliance), installed
into a virtual environment of their own.

Why not the `test` extra: checkov depends on `bc-python-hcl2`, which installs a top-level `hcl2`
module over python-hcl2, clbplan's own parser, so both cannot live in clbplan's environment. The
environment is built once per machine (about a minute and a half) and reused while the pinned
versions stay the same; `CLBPLAN_POLICY_VENV` names a ready one instead.
"""

from __future__ import annotations

import os
import subprocess
import sys
import venv
from pathlib import Path

from tests.support.build_cache import build_once

PINNED = ("checkov==3.3.30", "terraform-compliance==1.16.0")


class PolicyToolsUnavailable(RuntimeError):
    """The environment could not be built (no package index, say): the message says why."""


def _home_name() -> str:
    tag = "-".join(p.replace("==", "") for p in PINNED)
    return f"policy-tools-{tag}-py{sys.version_info[0]}{sys.version_info[1]}"


def _has_tools(home: Path) -> bool:
    return all((home / "bin" / tool).is_file() for tool in ("checkov", "terraform-compliance"))


def _build(home: Path) -> None:
    venv.EnvBuilder(with_pip=True, clear=True).create(home)
    done = subprocess.run(
        [str(home / "bin" / "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check", *PINNED],
        capture_output=True,
        text=True,
        timeout=1200,
    )
    if done.returncode != 0:
        raise PolicyToolsUnavailable(f"pip install {' '.join(PINNED)} failed:\n{done.stderr[-2000:]}")


def policy_tools_bin() -> Path:
    """The `bin` folder holding `checkov` and `terraform-compliance`, building it if needed."""
    given = os.environ.get("CLBPLAN_POLICY_VENV")
    if given:
        if _has_tools(Path(given)):
            return Path(given) / "bin"
        raise PolicyToolsUnavailable(f"CLBPLAN_POLICY_VENV={given} has no checkov and terraform-compliance")
    home = build_once(_home_name(), _build, stamp="\n".join(PINNED))  # parallel workers build it once
    if not _has_tools(home):
        raise PolicyToolsUnavailable(f"{home} is marked complete but has no checkov and terraform-compliance")
    return home / "bin"


def tool_env() -> dict[str, str]:
    """Checkov asks a Prisma Cloud endpoint for guideline links on every run; a test is offline."""
    env = dict(os.environ)
    env.update({"BC_SKIP_MAPPING": "TRUE", "CHECKOV_RUN_SCA_PACKAGE_SCAN_V2": "false", "NO_COLOR": "1"})
    env.pop("PYTHONPATH", None)
    return env
