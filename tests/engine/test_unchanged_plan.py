"""A plain ``clbplan plan`` with the inputs of an earlier empty plan shows that plan again without
evaluating (issue 17, ``planner.engine.unchanged_plan``).

What a user must not be able to tell apart, except by the time it takes: the text, the warnings and the
exit code are those of a full plan. Whatever changed (the cloud, a variable, a file a function reads,
the configuration, the record itself) makes the plan evaluate again, and ``-out``/``-json`` always do.
The log (TF_LOG=INFO) says which way a run went.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from planner.addresses import ResourceAddress
from planner.config.evaluation import evaluate
from planner.config.expr import fileset_now
from planner.config.inputs import EvaluationInputs, files_changed
from planner.config.loader import load_module
from planner.engine.background_refresh import _shares
from planner.engine.unchanged_plan import memo_path
from planner.state.model import ResourceState, State

from .stack import clbplan_cmd, cli_env, run_cli, write_stack
from .test_background_refresh import _drift

REUSED = "the configuration is not evaluated again"
LOG_LINE = re.compile(r"^\S+ \[(INFO|DEBUG)\] .*\n?", re.M)


def _plan(workdir: Path, *args: str, reuse: bool = True, **env_extra: str) -> subprocess.CompletedProcess:
    env = cli_env()
    env.update(TF_LOG="INFO", CLBPLAN_REUSE_UNCHANGED="1" if reuse else "0", **env_extra)
    return subprocess.run(clbplan_cmd("plan", "-no-color", "-detailed-exitcode", *args), cwd=str(workdir),
                          capture_output=True, text=True, timeout=180, env=env)


def _shown(done: subprocess.CompletedProcess) -> tuple[int, str, str]:
    """What the user reads: exit code, stdout, and stderr without the log lines."""
    return done.returncode, done.stdout, LOG_LINE.sub("", done.stderr)


@pytest.fixture(scope="module")
def applied(tmp_path_factory: pytest.TempPathFactory) -> Path:
    workdir = write_stack(tmp_path_factory.mktemp("memo") / "w", lbs=2, instances=2, rules=1)
    (workdir / "tag.txt").write_text("blue\n")
    with (workdir / "main.tf").open("a") as f:
        f.write('\nvariable "secret" {\n  type      = string\n  default   = "none"\n  sensitive = true\n}\n'
                '\noutput "tag" {\n  value = trimspace(file("tag.txt"))\n}\n')
    done = run_cli(workdir, "apply", "-auto-approve", "-no-color")
    assert done.returncode == 0, done.stderr
    return workdir


@pytest.fixture()
def workdir(applied: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "w"
    shutil.copytree(applied, copy)
    return copy


def test_the_second_plan_is_the_first_one_shown_again(workdir: Path) -> None:
    first = _plan(workdir)
    second = _plan(workdir)
    full = _plan(workdir, reuse=False)
    assert first.returncode == 0, first.stderr
    assert REUSED not in first.stderr and REUSED not in full.stderr
    assert REUSED in second.stderr
    assert "No changes." in second.stdout
    assert _shown(first) == _shown(second) == _shown(full)
    # the refresh still ran, every object read once, in one child per core
    assert re.search(r"refresh: read in \d child process\(es\) at once: \d+ calls", second.stderr)


def test_a_drifted_cloud_is_planned_in_full(workdir: Path) -> None:
    assert _plan(workdir).returncode == 0
    _drift(workdir)
    drifted = _plan(workdir)
    full = _plan(workdir, reuse=False)
    assert REUSED not in drifted.stderr
    assert "the cloud differs from the state" in drifted.stderr
    assert drifted.returncode == 2, drifted.stderr
    assert "renamed-by-hand" in drifted.stdout
    assert _shown(drifted) == _shown(full)


def test_a_changed_file_variable_or_configuration_is_evaluated(workdir: Path) -> None:
    assert _plan(workdir).returncode == 0
    assert REUSED in _plan(workdir).stderr
    # a file the configuration reads through file()
    (workdir / "tag.txt").write_text("green\n")
    changed = _plan(workdir)
    assert REUSED not in changed.stderr
    assert "tag.txt changed since the last plan" in changed.stderr
    assert changed.returncode == 2
    assert re.search(r'~ tag\s+= "blue" -> "green"', changed.stdout), changed.stdout
    (workdir / "tag.txt").write_text("blue\n")
    assert REUSED not in _plan(workdir).stderr  # a plan with changes dropped the record: made again
    assert REUSED in _plan(workdir).stderr
    # a variable (its value is part of the digest, even unused and secret)
    assert REUSED not in _plan(workdir, "-var", "secret=other").stderr
    assert REUSED not in _plan(workdir, TF_VAR_secret="from-env").stderr
    # the configuration's text, even where it changes no value
    with (workdir / "main.tf").open("a") as f:
        f.write("\n# a comment\n")
    edited = _plan(workdir)
    assert REUSED not in edited.stderr and edited.returncode == 0
    assert REUSED in _plan(workdir).stderr


def test_saved_and_machine_readable_plans_are_always_evaluated(workdir: Path) -> None:
    assert _plan(workdir).returncode == 0
    saved = _plan(workdir, "-out", "p.plan")
    assert saved.returncode == 0 and REUSED not in saved.stderr
    show = run_cli(workdir, "show", "-json", "p.plan")
    assert show.returncode == 0 and '"resource_changes"' in show.stdout and '"no-op"' in show.stdout
    streamed = _plan(workdir, "-json")
    assert streamed.returncode == 0 and REUSED not in streamed.stderr


def test_the_record_is_private_sealed_and_holds_no_secret(workdir: Path) -> None:
    secret = "s3cr3t-never-on-disk"
    assert _plan(workdir, TF_VAR_secret=secret).returncode == 0
    record = memo_path(workdir)
    assert oct(record.stat().st_mode & 0o777) == "0o600"
    assert oct(record.parent.stat().st_mode & 0o777) == "0o700"
    assert secret.encode() not in record.read_bytes()
    assert REUSED in _plan(workdir, TF_VAR_secret=secret).stderr
    # a record someone else wrote (or a flipped bit) does not verify: the plan evaluates and records anew
    blob = bytearray(record.read_bytes())
    blob[-1] ^= 1
    record.write_bytes(bytes(blob))
    forged = _plan(workdir, TF_VAR_secret=secret)
    assert forged.returncode == 0 and REUSED not in forged.stderr
    assert REUSED in _plan(workdir, TF_VAR_secret=secret).stderr


def test_the_evaluation_records_what_it_read_besides_its_files(tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # as the CLI runs: relative paths are the working directory's
    (tmp_path / "a.txt").write_text("one")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "x.json").write_text("{}")
    (tmp_path / "main.tf").write_text(
        'locals {\n  a = file("a.txt")\n  b = fileexists("missing.txt")\n  c = fileset(".", "sub/*.json")\n}\n'
        'output "all" {\n  value = [local.a, local.b, local.c]\n}\n')
    inputs = EvaluationInputs()
    evaluate(load_module(tmp_path), env={}, inputs=inputs)
    assert inputs.repeatable
    kinds = sorted(f[0] for f in inputs.files)
    assert kinds == ["exists", "fileset", "read"]
    assert files_changed(inputs, fileset_now) is None
    (tmp_path / "sub" / "y.json").write_text("{}")
    assert "fileset" in (files_changed(inputs, fileset_now) or "")
    (tmp_path / "sub" / "y.json").unlink()
    (tmp_path / "missing.txt").write_text("now here")
    assert "appeared or went" in (files_changed(inputs, fileset_now) or "")
    (tmp_path / "missing.txt").unlink()
    (tmp_path / "a.txt").write_text("two")
    assert "a.txt changed" in (files_changed(inputs, fileset_now) or "")


def test_a_function_that_answers_differently_each_run_is_never_reused(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text('output "when" {\n  value = plantimestamp()\n}\n')
    inputs = EvaluationInputs()
    evaluate(load_module(tmp_path), env={}, inputs=inputs)
    assert not inputs.repeatable


def test_the_refresh_is_shared_out_by_load_balancer() -> None:
    """Each load balancer's objects are read by one child (its listing pages stay full); the load
    balancers themselves, listed per region, are read whole by one child."""
    resources = {}
    for lb in range(6):
        for kind, attrs in (("alicloud_slb_load_balancer", {}),
                            ("alicloud_slb_listener", {"load_balancer_id": f"lb-{lb}"}),
                            ("alicloud_slb_server_group", {"load_balancer_id": f"lb-{lb}"})):
            addr = ResourceAddress(kind, "x", f"k{lb}")
            resources[addr] = ResourceState(addr, f"{kind}-{lb}", attrs, "alicloud", [], set())
    state = State(resources=resources)
    shares = _shares(state, 2)
    assert sorted(a for s in shares for a in s.resources) == sorted(resources)
    lb_parts = {rs.attributes["load_balancer_id"]: i for i, s in enumerate(shares) for rs in s.resources.values()
                if rs.type != "alicloud_slb_load_balancer"}
    for i, share in enumerate(shares):
        for rs in share.resources.values():
            if rs.type != "alicloud_slb_load_balancer":
                assert lb_parts[rs.attributes["load_balancer_id"]] == i
    assert sorted(len(s.resources) for s in shares) == [6, 12]
    whole = [i for i, s in enumerate(shares) if any(rs.type == "alicloud_slb_load_balancer" for rs in s.resources.values())]
    assert len(whole) == 1
    assert sum(1 for rs in shares[whole[0]].resources.values() if rs.type == "alicloud_slb_load_balancer") == 6


def test_a_data_source_read_with_a_secret_is_not_remembered(workdir: Path) -> None:
    """A data source's arguments are kept as written, to read it again; a secret among them is never
    written down: such an evaluation is not remembered."""
    main = workdir / "main.tf"
    text = main.read_text()
    assert 'available_resource_creation = "VSwitch"' in text
    main.write_text(text.replace('available_resource_creation = "VSwitch"',
                                 "available_resource_creation = var.zone_kind", 1)
                    + '\nvariable "zone_kind" {\n  type      = string\n  default   = "VSwitch"\n'
                      "  sensitive = true\n}\n")
    first = _plan(workdir)
    assert first.returncode == 0, first.stdout + first.stderr
    assert not memo_path(workdir).exists()
    assert REUSED not in _plan(workdir).stderr
