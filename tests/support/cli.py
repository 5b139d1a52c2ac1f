"""Run the clbplan CLI in-process from a working directory, as a user's shell would."""

from __future__ import annotations

import os
from pathlib import Path

from click.testing import CliRunner, Result

from planner.cli.main import cli


def invoke_in(work: Path, *args: str) -> Result:
    """Commands read the configuration and state of the current directory, so chdir for the call."""
    old = os.getcwd()
    os.chdir(work)
    try:
        return CliRunner().invoke(cli, list(args), catch_exceptions=False)
    finally:
        os.chdir(old)
