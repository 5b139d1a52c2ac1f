"""Commands load only what they use: `clbplan version` or `fmt` once took a second before doing
anything, because the entry point imported every command and with them the evaluator, the engine,
networkx and the SDK."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import click
import pytest

from planner.cli.main import COMMANDS, cli

# What only the commands that evaluate, plan or reach a cloud need.
HEAVY = ("planner.config.evaluation", "planner.engine.pipeline", "planner.apply.executor", "networkx",
         "alibabacloud_tea_openapi", "planner.emulator.core")

PROBE = """
import json, sys
from click.testing import CliRunner
from planner.cli.main import cli
heavy = set(json.loads(sys.argv[1]))
result = CliRunner().invoke(cli, sys.argv[2:], catch_exceptions=False)
print(json.dumps({"exit": result.exit_code, "output": result.output,
                  "loaded": sorted(m for m in sys.modules if m in heavy)}))
"""


def _run_fresh(tmp_path: Path, *args: str) -> dict:
    """The command in a new interpreter, as a user's shell starts it: what it printed and what it loaded."""
    done = subprocess.run([sys.executable, "-c", PROBE, json.dumps(HEAVY), *args], cwd=tmp_path, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("args", [("version",), ("fmt", "-check"), ("workspace", "show"), ("state", "list")])
def test_commands_that_never_evaluate_load_no_engine(tmp_path: Path, args: tuple[str, ...]) -> None:
    (tmp_path / "main.tf").write_text('resource "alicloud_vpc" "main" {\n  cidr_block = "10.0.0.0/8"\n}\n')
    found = _run_fresh(tmp_path, *args)
    assert found["loaded"] == [], f"clbplan {' '.join(args)} loaded {found['loaded']}"
    if args == ("version",):
        assert found["exit"] == 0 and found["output"].startswith("clbplan v")
    if args == ("workspace", "show"):
        assert found["output"] == "default\n"


def test_plan_still_loads_what_it_needs(tmp_path: Path) -> None:
    """The probe can see a heavy module: the test above would pass for the wrong reason otherwise."""
    found = _run_fresh(tmp_path, "validate")
    assert "planner.config.evaluation" in found["loaded"]


def test_every_listed_command_is_the_one_its_module_defines() -> None:
    """Help lists each command by the table's name; running a name reaches a command of that name."""
    ctx = click.Context(cli)
    assert cli.list_commands(ctx) == sorted(COMMANDS)
    for name in COMMANDS:
        command = cli.get_command(ctx, name)
        assert command is not None and command.name == name
    assert cli.get_command(ctx, "no-such-command") is None
    help_text = cli.get_help(ctx)
    for name in COMMANDS:
        assert f"  {name} " in help_text


# What only some runs of the commands that plan need: the status line drawn at a terminal (rich), the
# Markdown view of a saved plan (deepdiff), the tls_* resources (cryptography).
OPTIONAL = ("rich.console", "deepdiff", "cryptography.x509")


def _loaded_by_plan(tmp_path: Path, main_tf: str) -> dict:
    (tmp_path / "main.tf").write_text(main_tf)
    done = subprocess.run([sys.executable, "-c", PROBE, json.dumps(OPTIONAL), "plan", "-no-color"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_a_plan_loads_neither_the_terminal_nor_the_markdown_nor_the_tls_libraries(tmp_path: Path) -> None:
    found = _loaded_by_plan(tmp_path, 'resource "alicloud_vpc" "main" {\n  cidr_block = "10.0.0.0/8"\n}\n')
    assert found["exit"] == 0 and "alicloud_vpc.main will be created" in found["output"]
    assert found["loaded"] == []


def test_a_plan_with_a_tls_key_still_loads_what_the_key_needs(tmp_path: Path) -> None:
    found = _loaded_by_plan(tmp_path, 'resource "tls_private_key" "k" {\n  algorithm = "ED25519"\n}\n')
    assert found["exit"] == 0 and "tls_private_key.k will be created" in found["output"], found["output"]
    assert found["loaded"] == ["cryptography.x509"]
