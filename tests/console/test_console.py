"""`clbplan console` as `terraform console`: values rendered as Terraform renders them (recorded from
Terraform 1.11, re-checked live where installed), resources read from the state, piped-input rules
(last result printed, first error exits 1, `exit` stops) and an interactive session at a terminal."""

from __future__ import annotations

import json
import os
import pty
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from planner.cli.main import cli
from tests.console.record import EXPECTED, expressions
from tests.support.terminal import readable
from tests.support.timing import TIMING

ROOT = Path(__file__).resolve().parents[2]
RECORDED = json.loads(EXPECTED.read_text())

CONFIG = """
variable "name" {
  default = "web"
}
variable "token" {
  default   = "hunter2"
  sensitive = true
}
locals {
  ports = [80, 443]
}
resource "terraform_data" "lb" {
  input = { name = var.name, ports = local.ports }
}
output "lb_id" {
  value = terraform_data.lb.id
}
"""


def console(cwd: Path, text: str, *args: str):
    old = os.getcwd()
    os.chdir(cwd)
    try:
        return CliRunner().invoke(cli, ["console", *args], input=text, catch_exceptions=False)
    finally:
        os.chdir(old)


def test_every_recorded_expression_renders_as_terraform(tmp_path):
    assert len(RECORDED) >= 20 and set(RECORDED) == set(expressions())
    for expr, want in RECORDED.items():
        r = console(tmp_path, expr + "\n")
        assert (r.exit_code, r.stdout) == (0, want), expr


@pytest.mark.skipif(shutil.which("terraform") is None, reason="the terraform binary is not on this machine")
def test_live_terraform_renders_the_same(tmp_path):
    from tests.console.record import terraform_console

    for expr in expressions()[:8]:
        assert console(tmp_path, expr + "\n").stdout == terraform_console(expr), expr


@pytest.fixture
def applied(tmp_path):
    (tmp_path / "main.tf").write_text(CONFIG)
    before = console(tmp_path, "terraform_data.lb.input.name\n")
    assert before.stdout == '"web"\n' or before.stdout == "(known after apply)\n"
    old = os.getcwd()
    os.chdir(tmp_path)
    try:
        r = CliRunner().invoke(cli, ["apply", "-auto-approve", "-input=false"], catch_exceptions=False)
    finally:
        os.chdir(old)
    assert r.exit_code == 0, r.output
    return tmp_path


def test_resources_not_applied_are_known_after_apply(tmp_path):
    (tmp_path / "main.tf").write_text(CONFIG)
    r = console(tmp_path, "terraform_data.lb.input\n")
    assert (r.exit_code, r.stdout) == (0, "(known after apply)\n")
    r = console(tmp_path, "var.name\n")
    assert r.stdout == '"web"\n'


def test_resources_read_from_the_state(applied):
    from planner.state.backend import LocalBackend

    state = LocalBackend(applied / "clbplan.tfstate").read()
    lb_id = next(rs.id for addr, rs in state.resources.items() if addr.name == "lb")
    assert lb_id
    r = console(applied, "terraform_data.lb.id\n")
    assert r.stdout == f'"{lb_id}"\n'
    r = console(applied, "terraform_data.lb.output\n")
    assert r.stdout == '{\n  "name" = "web"\n  "ports" = [\n    80,\n    443,\n  ]\n}\n'
    r = console(applied, '"${terraform_data.lb.output.name}-${length(local.ports)}"\n')
    assert r.stdout == '"web-2"\n'


def test_sensitive_values_are_not_shown(tmp_path):
    (tmp_path / "main.tf").write_text(CONFIG)
    r = console(tmp_path, "var.token\n")
    assert r.stdout == "(sensitive value)\n"
    assert "hunter2" not in r.output


def test_piped_input_prints_the_last_result_and_stops_at_exit(tmp_path):
    assert console(tmp_path, "1 + 1\n2 + 2\n").stdout == "4\n"
    assert console(tmp_path, "1 + 1\nexit\n5\n").stdout == ""


def test_piped_error_exits_1_naming_the_problem(tmp_path):
    (tmp_path / "main.tf").write_text(CONFIG)
    r = console(tmp_path, "1 + 1\nvar.nosuch\n3\n")
    assert r.exit_code == 1
    assert "Reference to undeclared input variable" in r.stderr
    assert 'variable "nosuch" {}' in r.stderr
    assert r.stdout == ""
    r = console(tmp_path, "upper(1, 2)\n")
    assert r.exit_code == 1 and "Too many function arguments" in r.stderr
    assert "Traceback" not in r.output


def test_var_flag_and_chdir(tmp_path):
    (tmp_path / "main.tf").write_text(CONFIG)
    env = dict(os.environ, PYTHONPATH=str(ROOT), TF_CLI_ARGS_console="-var=name=api")
    proc = subprocess.run([sys.executable, "-m", "planner.cli.main", f"-chdir={tmp_path}", "console"],
                          input='"${var.name}!"\n', capture_output=True, text=True, env=env, cwd=ROOT)
    assert (proc.returncode, proc.stdout) == (0, '"api!"\n'), proc.stderr


def _read_until(fd: int, marker: bytes, timeout: float = 120) -> bytes:
    """What the terminal shows until ``marker`` (returns as soon as it is there). The bound is only for
    a console that never answers: on a loaded machine the interpreter alone took 6 s to start."""
    out = b""
    end = time.monotonic() + timeout
    while marker not in out and time.monotonic() < end:
        if readable(fd, 0.2):
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                break
            if not chunk:
                break
            out += chunk
    return out


@TIMING
def test_interactive_session_at_a_terminal(tmp_path):
    (tmp_path / "main.tf").write_text(CONFIG)
    leader, follower = pty.openpty()
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen([sys.executable, "-m", "planner.cli.main", "console"], cwd=tmp_path, env=env,
                            stdin=follower, stdout=follower, stderr=follower)
    os.close(follower)
    try:
        assert b"> " in _read_until(leader, b"> ")
        os.write(leader, b"var.name\n")
        assert b'"web"' in _read_until(leader, b'"web"')
        os.write(leader, b"var.nosuch\n")  # an error does not end the session
        assert b"undeclared input variable" in _read_until(leader, b"undeclared input variable")
        os.write(leader, b"[\n")  # an open bracket reads on
        os.write(leader, b"1, 2]\n")
        assert b"2," in _read_until(leader, b"2,")
        os.write(leader, b"exit\n")
        assert proc.wait(timeout=120) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(leader)
