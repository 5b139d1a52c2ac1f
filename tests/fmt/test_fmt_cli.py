"""`clbplan fmt` as a CI script uses it: flags, exit codes, listing, diff, stdin, untouched bad files."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from planner.cli.main import cli

UGLY = 'locals {\n    a = 1\n    bbb = "x"\n}\n'
PRETTY = 'locals {\n  a   = 1\n  bbb = "x"\n}\n'


def run(args, cwd, stdin=None):
    old = os.getcwd()
    os.chdir(cwd)
    try:
        return CliRunner().invoke(cli, args, input=stdin, catch_exceptions=False)
    finally:
        os.chdir(old)


@pytest.fixture
def workdir(tmp_path):
    (tmp_path / "main.tf").write_text(UGLY)
    (tmp_path / "ok.tf").write_text(PRETTY)
    (tmp_path / "vars.tfvars").write_text('region="cn-hangzhou"\nn   = 1\n')
    (tmp_path / "notes.txt").write_text("a   =   1\n")
    (tmp_path / ".hidden.tf").write_text(UGLY)
    sub = tmp_path / "modules" / "lb"
    sub.mkdir(parents=True)
    (sub / "lb.tf").write_text(UGLY)
    return tmp_path


def test_check_lists_unformatted_files_and_exits_3_without_writing(workdir):
    r = run(["fmt", "-check"], workdir)
    assert r.exit_code == 3
    assert r.output.splitlines() == ["main.tf", "vars.tfvars"]
    assert (workdir / "main.tf").read_text() == UGLY


def test_check_exits_0_when_everything_is_formatted(workdir):
    assert run(["fmt"], workdir).exit_code == 0
    r = run(["fmt", "-check"], workdir)
    assert (r.exit_code, r.output) == (0, "")


def test_default_rewrites_and_lists_changed_files_only(workdir):
    r = run(["fmt"], workdir)
    assert r.exit_code == 0
    assert r.output.splitlines() == ["main.tf", "vars.tfvars"]
    assert (workdir / "main.tf").read_text() == PRETTY
    assert (workdir / "vars.tfvars").read_text() == 'region = "cn-hangzhou"\nn      = 1\n'
    assert (workdir / ".hidden.tf").read_text() == UGLY  # hidden files are skipped, as in Terraform
    assert (workdir / "notes.txt").read_text() == "a   =   1\n"
    assert (workdir / "modules/lb/lb.tf").read_text() == UGLY  # not recursive by default


def test_recursive_descends_into_subdirectories(workdir):
    r = run(["fmt", "-recursive", "-check", "-list=true"], workdir)
    assert r.exit_code == 3
    assert r.output.splitlines() == ["main.tf", os.path.join("modules", "lb", "lb.tf"), "vars.tfvars"]


def test_write_false_with_diff_shows_unified_diff_and_keeps_files(workdir):
    r = run(["fmt", "-write=false", "-list=false", "-diff", "main.tf"], workdir)
    assert r.exit_code == 0
    # exactly what terraform fmt -diff printed for this file (GNU diff -u with old/ and new/ labels)
    assert r.output == ('--- old/main.tf\n+++ new/main.tf\n@@ -1,4 +1,4 @@\n locals {\n-    a = 1\n'
                        '-    bbb = "x"\n+  a   = 1\n+  bbb = "x"\n }\n')
    assert (workdir / "main.tf").read_text() == UGLY


def test_check_list_false_prints_nothing_but_still_exits_3(workdir):
    r = run(["fmt", "-check", "-list=false"], workdir)
    assert (r.exit_code, r.output) == (3, "")


def test_stdin_to_stdout(workdir):
    r = run(["fmt", "-"], workdir, stdin=UGLY)
    assert (r.exit_code, r.output) == (0, PRETTY)
    r = run(["fmt", "-check", "-"], workdir, stdin=UGLY)
    assert (r.exit_code, r.output) == (3, "")


def test_syntax_error_exits_2_names_file_and_line_and_leaves_it(workdir):
    bad = 'locals {\n  a = "abc\n}\n'
    (workdir / "bad.tf").write_text(bad)
    r = run(["fmt"], workdir)
    assert r.exit_code == 2
    assert "bad.tf:2:" in r.output and "Invalid multi-line string" in r.output
    assert (workdir / "bad.tf").read_text() == bad
    assert (workdir / "main.tf").read_text() == PRETTY  # the other files are still formatted
    assert "Traceback" not in r.output


def test_missing_path_and_wrong_extension_exit_2(workdir):
    r = run(["fmt", "nowhere"], workdir)
    assert r.exit_code == 2 and "No file or directory at nowhere" in r.output
    r = run(["fmt", "notes.txt"], workdir)
    assert r.exit_code == 2 and "Only .tf, .tfvars" in r.output


def test_bad_flag_exits_1(workdir):
    r = run(["fmt", "-write=maybe"], workdir)
    assert r.exit_code == 1


def test_chdir_and_tf_cli_args_fmt_as_a_ci_script(workdir, tmp_path):
    env = dict(os.environ, TF_CLI_ARGS_fmt="-check", PYTHONPATH=str(Path(__file__).resolve().parents[2]))
    proc = subprocess.run([sys.executable, "-m", "planner.cli.main", f"-chdir={workdir}", "fmt"],
                          capture_output=True, text=True, env=env, cwd=tmp_path.parent)
    assert proc.returncode == 3, proc.stderr
    assert proc.stdout.splitlines() == ["main.tf", "vars.tfvars"]
    assert (workdir / "main.tf").read_text() == UGLY


def test_file_without_final_newline_is_written_without_one(tmp_path):
    (tmp_path / "a.tf").write_bytes(b"locals {\n    a = 1\n}")
    assert run(["fmt"], tmp_path).exit_code == 0
    assert (tmp_path / "a.tf").read_bytes() == b"locals {\n  a = 1\n}"
