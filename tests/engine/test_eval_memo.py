"""Each block's evaluated instances are remembered for the next plan with the same references (issue 17,
``planner.config.eval_memo``).

What a user must not be able to tell apart, except by the time it takes: the plan's text, exit code and
JSON are those of a plan that evaluates everything (``CLBPLAN_REMEMBER_BLOCKS=0``). A block whose
references changed (a variable, a map its ``each.value`` comes from, the state after an apply), or that
reads a file, is evaluated again; nothing secret is written down; a record that does not verify is not
read. The log (TF_LOG=INFO) says how many instances came from records.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from planner import process
from planner.config.eval_memo import NotRecordable, memo_dir, value_digest, writer_lock
from planner.config.types import Fraction, ListValue, MapValue, SetValue
from planner.values import UNKNOWN

from .stack import run_cli, write_stack
from .test_background_refresh import _drift
from .test_unchanged_plan import _plan as _plain_plan
from .test_unchanged_plan import _shown

REUSED = re.compile(r"evaluation: (\d+) instance\(s\) as the last plan evaluated them")
PASSWORD = "Bastion-S3cret-Pa55"
LITERAL = "Literal-P4ss-In-Config"  # not from a sensitive variable: the schema calls it secret

EXTRA_TF = f'''
variable "extra_bandwidth" {{
  type    = number
  default = 20
}}

variable "names" {{
  type    = map(string)
  default = {{ lb0 = "first", lb1 = "second" }}
}}

variable "root_password" {{
  type      = string
  default   = "{PASSWORD}"
  sensitive = true
}}

resource "alicloud_slb_listener" "extra" {{
  for_each         = var.names
  load_balancer_id = alicloud_slb_load_balancer.lb[each.key].id
  protocol         = "tcp"
  frontend_port    = 8443
  backend_port     = 8443
  bandwidth        = var.extra_bandwidth
  description      = each.value
}}

resource "alicloud_slb_acl" "home" {{
  name       = "home-${{basename(pathexpand("~"))}}"
  ip_version = "ipv4"
}}

resource "alicloud_slb_acl" "from_file" {{
  name       = trimspace(file("acl-name.txt"))
  ip_version = "ipv4"
}}

resource "alicloud_instance" "bastion" {{
  instance_name   = "engine-bastion"
  image_id        = "ubuntu_22_04_x64_20G_alibase_20240508.vhd"
  instance_type   = "ecs.g6.large"
  vswitch_id      = alicloud_vswitch.main.id
  security_groups = [alicloud_security_group.app.id]
  password        = var.root_password
}}

resource "alicloud_instance" "jump" {{
  instance_name   = "engine-jump"
  image_id        = "ubuntu_22_04_x64_20G_alibase_20240508.vhd"
  instance_type   = "ecs.g6.large"
  vswitch_id      = alicloud_vswitch.main.id
  security_groups = [alicloud_security_group.app.id]
  password        = "{LITERAL}"
}}
'''


def _plan(workdir: Path, *args: str, memo: bool = True, **env_extra: str) -> subprocess.CompletedProcess:
    # the remembered empty plan would skip the evaluation altogether: these plans always evaluate
    return _plain_plan(workdir, *args, reuse=False, CLBPLAN_REMEMBER_BLOCKS="1" if memo else "0", **env_extra)


def _reused(done: subprocess.CompletedProcess) -> int:
    found = REUSED.search(done.stderr)
    return int(found.group(1)) if found else 0


def _records(workdir: Path) -> list[Path]:
    """The record files, once the child writing them behind the last command has finished."""
    folder = memo_dir(workdir)
    assert process.wait_for(writer_lock(folder), timeout=60)
    return sorted(folder.glob("*.bin"))


def _same_as_full(workdir: Path, *args: str, **env_extra: str) -> subprocess.CompletedProcess:
    """Plan with the records, and check it against a plan without them; the plan with records."""
    with_memo = _plan(workdir, *args, **env_extra)
    full = _plan(workdir, *args, memo=False, **env_extra)
    assert _reused(full) == 0
    assert _shown(with_memo) == _shown(full)
    return with_memo


@pytest.fixture(scope="module")
def applied(tmp_path_factory: pytest.TempPathFactory) -> Path:
    workdir = write_stack(tmp_path_factory.mktemp("evalmemo") / "w", lbs=2, instances=2, rules=1)
    (workdir / "extra.tf").write_text(EXTRA_TF)
    (workdir / "acl-name.txt").write_text("from-file\n")
    done = run_cli(workdir, "apply", "-auto-approve", "-no-color")
    assert done.returncode == 0, done.stderr
    return workdir


@pytest.fixture()
def workdir(applied: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "w"
    shutil.copytree(applied, copy)
    shutil.rmtree(memo_dir(copy), ignore_errors=True)
    return copy


def test_a_plan_from_records_is_the_plan_without_them(workdir: Path) -> None:
    first = _plan(workdir)
    assert first.returncode == 0, first.stderr
    assert _reused(first) == 0  # nothing recorded yet: this one records
    second = _same_as_full(workdir)
    assert second.returncode == 0, second.stderr
    assert "No changes." in second.stdout
    # every load balancer's groups and listeners came from records (not the blocks that read a file or
    # hold a secret)
    assert _reused(second) >= 2 * 8
    # the saved plan's JSON too (every no-op change, planned values, configuration)
    shows = []
    for memo in (True, False):
        saved = _plan(workdir, "-out", f"p{memo}.plan", memo=memo)
        assert saved.returncode == 0, saved.stderr
        assert (_reused(saved) > 0) is memo
        show = run_cli(workdir, "show", "-json", f"p{memo}.plan")
        assert show.returncode == 0, show.stderr
        json.loads(show.stdout)
        # byte for byte, key order included, but for the time it was made
        shows.append(re.sub(r'"timestamp":\s*"[^"]*"', "", show.stdout))
    assert shows[0] == shows[1]


def test_no_ops_are_taken_as_planned_only_against_the_same_state(workdir: Path) -> None:
    assert _plan(workdir).returncode == 0
    again = _same_as_full(workdir)
    planned = re.search(r"(\d+) of them no-ops as planned then against the same state", again.stderr)
    assert planned and int(planned.group(1)) > 0, again.stderr
    # the cloud drifted: the plan is made again against what the refresh read, as without records
    _drift(workdir)
    drifted = _same_as_full(workdir)
    assert drifted.returncode == 2 and "renamed-by-hand" in drifted.stdout
    # the drift taken into the state: the same configuration, other prior objects than the records'
    accepted = run_cli(workdir, "apply", "-refresh-only", "-auto-approve", "-no-color")
    assert accepted.returncode == 0, accepted.stderr
    after = _same_as_full(workdir)
    assert after.returncode == 2, after.stdout
    assert re.search(r'~ load_balancer_name\s+= "renamed-by-hand" -> "engine-lb0"', after.stdout), after.stdout


def test_a_block_whose_references_changed_is_evaluated_again(workdir: Path) -> None:
    assert _plan(workdir).returncode == 0
    # a variable one block reads
    wider = _same_as_full(workdir, "-var", "extra_bandwidth=30")
    assert wider.returncode == 2, wider.stderr
    assert len(re.findall(r"~ bandwidth\s+= 20 -> 30", wider.stdout)) == 2, wider.stdout
    assert _reused(wider) > 0  # the other blocks did not change
    # a map whose values are each.value: only lb0's listener changes
    renamed = _same_as_full(workdir, "-var", 'names={lb0 = "renamed", lb1 = "second"}')
    assert renamed.returncode == 2
    assert re.search(r'~ description\s+= "first" -> "renamed"', renamed.stdout), renamed.stdout
    assert "1 to change" in renamed.stdout
    # and back: the records of the first plan answer again
    again = _same_as_full(workdir)
    assert again.returncode == 0 and _reused(again) > 0


def test_a_block_is_evaluated_against_the_state_an_apply_left(workdir: Path) -> None:
    assert _plan(workdir).returncode == 0
    done = run_cli(workdir, "apply", "-auto-approve", "-no-color", "-var", "extra_bandwidth=40")
    assert done.returncode == 0, done.stderr
    after = _same_as_full(workdir, "-var", "extra_bandwidth=40")
    assert after.returncode == 0, after.stdout
    before = _same_as_full(workdir)
    assert before.returncode == 2 and len(re.findall(r"~ bandwidth\s+= 40 -> 20", before.stdout)) == 2


def test_a_file_a_block_reads_is_read_again(workdir: Path) -> None:
    assert _plan(workdir).returncode == 0
    (workdir / "acl-name.txt").write_text("renamed-in-file\n")
    changed = _same_as_full(workdir)
    assert changed.returncode == 2, changed.stderr
    assert re.search(r'~ name\s+= "from-file" -> "renamed-in-file"', changed.stdout), changed.stdout


def test_a_function_that_reads_the_home_directory_answers_for_the_new_one(workdir: Path, tmp_path: Path) -> None:
    assert _plan(workdir).returncode == 0
    elsewhere = tmp_path / "another-home"
    elsewhere.mkdir()
    moved = _same_as_full(workdir, HOME=str(elsewhere))
    assert moved.returncode == 2, moved.stderr
    assert re.search(r'~ name\s+= "home-[^"]+" -> "home-another-home"', moved.stdout), moved.stdout


def test_no_secret_is_written_and_records_are_private(workdir: Path) -> None:
    assert _plan(workdir).returncode == 0
    assert _plan(workdir, "-var", f"root_password={PASSWORD}-2").returncode == 2
    folder = memo_dir(workdir)
    records = _records(workdir)
    assert records, "the plan recorded no block"
    assert folder.stat().st_mode & 0o777 == 0o700
    for record in records:
        assert record.stat().st_mode & 0o777 == 0o600
        assert PASSWORD.encode() not in record.read_bytes()
        assert LITERAL.encode() not in record.read_bytes()


def test_a_record_that_does_not_verify_is_not_read(workdir: Path) -> None:
    assert _plan(workdir).returncode == 0
    records = _records(workdir)
    assert records
    for record in records:  # a value changed inside each record, the tag left as it was
        data = bytearray(record.read_bytes())
        data[-5] ^= 0x01
        record.write_bytes(bytes(data))
    tampered = _same_as_full(workdir)
    assert tampered.returncode == 0
    assert _reused(tampered) == 0


def test_the_digest_tells_apart_what_evaluates_differently() -> None:
    digests = [value_digest(v) for v in (1, 1.0, True, "1", [1], (1,), {"a": 1}, SetValue([1]), ListValue([1]),
                                         MapValue({"a": 1}), SetValue([1], ("number",)))]
    assert len(set(digests)) == len(digests)
    assert value_digest({"a": [1, "x"]}) == value_digest({"a": [1, "x"]})
    from decimal import Decimal

    assert value_digest(Fraction(Decimal(2) / Decimal(3))) != value_digest(float(Decimal(2) / Decimal(3)))
    with pytest.raises(NotRecordable):
        value_digest({"id": UNKNOWN})


def test_a_second_call_that_answers_differently_each_time_is_still_seen() -> None:
    from planner.config.inputs import EvaluationInputs

    inputs = EvaluationInputs()
    inputs.unrepeatable()  # an earlier block called bcrypt: the run is not repeatable any more
    before = inputs.marks()
    inputs.unrepeatable()  # this block calls it too: it must not be recorded
    assert inputs.marks() != before and not inputs.repeatable


def test_an_edit_of_one_block_leaves_the_records_of_the_others(workdir: Path) -> None:
    assert _plan(workdir).returncode == 0
    whole = _reused(_same_as_full(workdir))
    extra = workdir / "extra.tf"
    text = extra.read_text()
    # one argument of one block changed on its line: that block's two instances are evaluated again
    extra.write_text(text.replace("backend_port     = 8443", "backend_port     = 8444"))
    edited = _same_as_full(workdir)
    assert edited.returncode == 2, edited.stderr
    assert len(re.findall(r"~ backend_port\s+= 8443 -> 8444", edited.stdout)) == 2, edited.stdout
    assert _reused(edited) == whole - 2
    # a line added at the top of the file moves every block in it: those are evaluated again (their
    # positions are recorded), the other files' are not
    extra.write_text("# moved down a line\n" + extra.read_text())
    moved = _same_as_full(workdir)
    assert moved.returncode == 2
    assert 0 < _reused(moved) < whole - 2


def test_an_edit_outside_resource_blocks_makes_every_record_a_miss(workdir: Path) -> None:
    assert _plan(workdir, "-out", "before.plan").returncode == 0
    # the variable a listener reads becomes sensitive: its value is the same, its marks are not
    extra = workdir / "extra.tf"
    extra.write_text(extra.read_text().replace('variable "extra_bandwidth" {\n',
                                               'variable "extra_bandwidth" {\n  sensitive = true\n'))
    shows = []
    for memo in (True, False):
        saved = _plan(workdir, "-out", f"p{memo}.plan", memo=memo)
        assert saved.returncode == 0, saved.stderr
        assert _reused(saved) == 0
        show = run_cli(workdir, "show", "-json", f"p{memo}.plan")
        assert show.returncode == 0, show.stderr
        shows.append(re.sub(r'"timestamp":\s*"[^"]*"', "", show.stdout))
    assert shows[0] == shows[1]
    assert '"bandwidth":true' in shows[0].replace(" ", "")  # marked in the plan's after_sensitive


def test_records_of_removed_blocks_and_half_written_ones_are_removed(workdir: Path) -> None:
    assert _plan(workdir).returncode == 0
    before = _records(workdir)
    dead = subprocess.Popen(["true"])  # a process that has ended: its pid names no writer now
    dead.wait()
    half = memo_dir(workdir) / f".tmp-{dead.pid}-{before[0].name}"
    half.write_bytes(b"half a record")
    extra = workdir / "extra.tf"
    text = extra.read_text()
    start = text.index('resource "alicloud_slb_listener" "extra"')
    extra.write_text(text[:start] + text[text.index("resource ", start + 1):])
    removed = _same_as_full(workdir)
    assert removed.returncode == 2, removed.stderr
    after = _records(workdir)
    assert len(after) == len(before) - 1  # the listener block's record went with it
    assert set(after) < set(before)
    assert not half.exists()
