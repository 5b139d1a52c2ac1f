"""The review picture (issue 16, item 10): what a reviewer reads in a plan comment.

The header names the folder, workspace, backend and commit the plan was made from and the command
that applies it; nested blocks are diffed path by path (deepdiff) instead of printed whole twice;
the operation graph is drawn top to bottom as a Mermaid picture with a legend, and Mermaid's own
parser accepts every picture the goldens hold.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.scenarios.scenario_runner import normalise
from tests.support.build_cache import build_once, write_atomically
from tests.support.review import GOLDEN, run, scenario_work

CONFIG = '''
provider "alicloud" {
  region = "cn-hangzhou"
}

resource "alicloud_vpc" "main" {
  vpc_name   = "picture-vpc"
  cidr_block = "10.0.0.0/8"
}

resource "alicloud_vswitch" "main" {
  vpc_id       = alicloud_vpc.main.id
  cidr_block   = "10.0.0.0/20"
  zone_id      = "cn-hangzhou-h"
  vswitch_name = "picture-vsw"
}

resource "alicloud_security_group" "main" {
  security_group_name = "picture-sg"
  vpc_id              = alicloud_vpc.main.id
}

resource "alicloud_instance" "x" {
  count           = 4
  instance_name   = "picture-${count.index}"
  image_id        = "ubuntu_22_04_x64_20G_alibase_20240508.vhd"
  instance_type   = "ecs.g6.large"
  vswitch_id      = alicloud_vswitch.main.id
  security_groups = [alicloud_security_group.main.id]
}

resource "alicloud_slb_load_balancer" "lb" {
  load_balancer_name = "picture-lb"
  address_type       = "intranet"
  vswitch_id         = alicloud_vswitch.main.id
  load_balancer_spec = "slb.s2.small"
}

resource "alicloud_slb_server_group" "g" {
  load_balancer_id = alicloud_slb_load_balancer.lb.id
  name             = "picture-g"
  servers {
    server_ids = alicloud_instance.x[*].id
    port       = 80
    weight     = 100
  }
}
'''


def _git(work: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(work), *args], check=True, capture_output=True, text=True,
                          env={**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
                               "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}).stdout.strip()


def _markdown(work: Path, plan_file: Path) -> str:
    planned = run("-chdir=" + str(work), "plan", "-out=" + str(plan_file))
    assert planned.exit_code == 0, planned.output
    shown = run("show", "-markdown", plan_file)
    assert shown.exit_code == 0, shown.output
    return shown.output


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_header_names_folder_workspace_backend_commit_and_the_apply_command(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    work = repo / "infra" / "prod"
    work.mkdir(parents=True)
    (work / "main.tf").write_text(CONFIG)
    _git(repo, "init", "-q")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "infra")
    head = _git(repo, "rev-parse", "HEAD")

    md = _markdown(work, tmp_path / "pr.plan")
    assert md.splitlines()[2] == (f"Folder `infra/prod` · workspace `default` · backend `local` (`clbplan.tfstate`)"
                                  f" · commit `{head[:12]}`")
    assert f"Apply exactly this plan: `clbplan apply {tmp_path / 'pr.plan'}`" in md

    # an edit not yet committed makes the commit a claim the reviewer must not trust
    (work / "main.tf").write_text(CONFIG.replace("picture-lb", "picture-lb2"))
    md = _markdown(work, tmp_path / "pr2.plan")
    assert f"commit `{head[:12]}` **with uncommitted changes to the configuration**" in md.splitlines()[2]


def test_header_names_the_selected_workspace(tmp_path: Path) -> None:
    work = tmp_path / "ws"
    work.mkdir()
    (work / "main.tf").write_text(CONFIG)
    assert run("-chdir=" + str(work), "workspace", "new", "staging").exit_code == 0
    md = _markdown(work, tmp_path / "p.plan")
    header = md.splitlines()[2]
    assert header.startswith("Folder `ws` · workspace `staging` · backend `local`"), header
    assert "staging" in header.split("backend", 1)[1]  # the workspace's own state file


def _diff_block(md: str) -> str:
    return "\n".join(re.findall(r"```diff\n(.*?)```", md, re.S))


def test_a_reweighted_server_is_one_path_not_the_block_twice(tmp_path: Path) -> None:
    work = scenario_work(tmp_path, "weight_set_to_zero")
    diff = normalise(_diff_block(_markdown(work, tmp_path / "p.plan")))
    assert diff.splitlines() == ['- servers[server_ids=["i-<1>"], type="ecs"].weight = 100',
                                 '+ servers[server_ids=["i-<1>"], type="ecs"].weight = 0']


def test_set_elements_changed_added_and_kept_read_apart(tmp_path: Path) -> None:
    work = scenario_work(tmp_path, "default_group_weights")
    diff = re.sub(r"i-<\d+>", "i-N", normalise(_diff_block(_markdown(work, tmp_path / "p.plan")))).splitlines()
    assert sorted(diff) == sorted([
        '- backend_servers[server_id="i-N", type="ecs"].weight = 100',
        '+ backend_servers[server_id="i-N", type="ecs"].weight = 50',
        '- backend_servers[server_id="i-N", type="ecs"].weight = 100',
        '+ backend_servers[server_id="i-N", type="ecs"].weight = 0',
        '+ backend_servers[server_id="i-N", type="ecs"] = { server_id = "i-N", type = "ecs", weight = 100 }',
    ]), diff


def _mermaid_blocks(md: str) -> list[str]:
    return re.findall(r"```mermaid\n(.*?)```", md, re.S)


def test_operation_graph_is_drawn_top_to_bottom_with_a_legend(tmp_path: Path) -> None:
    work = tmp_path / "g"
    work.mkdir()
    (work / "main.tf").write_text(CONFIG)
    (picture,) = _mermaid_blocks(_markdown(work, tmp_path / "p.plan"))
    lines = picture.splitlines()
    assert lines[0] == "flowchart TD"
    assert any(re.fullmatch(r'  op\d+\["\d+\. create<br/>alicloud_instance\.x\[0\]"\]:::create', ln) for ln in lines)
    # the four instances are waited for together: one group node, drawn once, in the legend too
    assert sum('{{"all 4 writes of alicloud_instance.x"}}:::group' in ln for ln in lines) == 1
    assert '    legend_group{{"waited for together"}}:::group' in lines
    assert '    legend_update["update in place"]:::update' not in lines  # no update in this plan
    # edge labels name steps by number: the boxes already show the addresses
    assert any(re.search(r'-->\|"#\d+ references #\d+"\|', ln) for ln in lines), picture


def _install_mermaid(home: Path) -> None:
    done = subprocess.run(["npm", "install", "--silent", "--no-audit", "--no-fund", "--prefix", str(home),
                           "mermaid@11", "jsdom@26"], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]


def _mermaid_checker() -> Path | None:
    if shutil.which("node") is None or shutil.which("npm") is None:
        return None
    home = build_once("mermaid-11", _install_mermaid, stamp="mermaid@11 jsdom@26")
    # beside node_modules, so that node resolves its imports; named by content, so that an edited
    # checker is a new file and a worker never runs another's half-written one
    script = home / f"check-{hashlib.sha256(MERMAID_CHECK.encode()).hexdigest()[:12]}.mjs"
    if not script.is_file():
        write_atomically(script, MERMAID_CHECK)
    return script


MERMAID_CHECK = '''
import { JSDOM } from "jsdom";
import fs from "fs";
const dom = new JSDOM("<!DOCTYPE html><body></body>");
globalThis.window = dom.window; globalThis.document = dom.window.document;
const mermaid = (await import("mermaid")).default;
mermaid.initialize({ startOnLoad: false });
const out = [];
for (const block of JSON.parse(fs.readFileSync(process.argv[2], "utf8"))) {
  try { out.push((await mermaid.parse(block)).diagramType); } catch (e) { out.push("error: " + String(e)); }
}
console.log(JSON.stringify(out));
'''


def test_mermaid_accepts_every_picture(tmp_path: Path) -> None:
    script = _mermaid_checker()
    if script is None:
        pytest.skip("node and npm are not installed: Mermaid's parser cannot run here")
    work = tmp_path / "g"
    work.mkdir()
    (work / "main.tf").write_text(CONFIG)
    blocks = _mermaid_blocks(_markdown(work, tmp_path / "p.plan"))
    for golden in sorted(GOLDEN.glob("*.md")):
        blocks += _mermaid_blocks(golden.read_text())
    blocks.append("flowchart TD\n  a -->|\"un\"closed\"| b\n")  # the checker must be able to say no
    listed = tmp_path / "blocks.json"
    listed.write_text(json.dumps(blocks))
    done = subprocess.run(["node", str(script), str(listed)], capture_output=True, text=True, timeout=300,
                          cwd=script.parent)
    assert done.returncode == 0, done.stderr[-2000:]
    verdicts = json.loads(done.stdout.strip().splitlines()[-1])
    assert len(verdicts) == len(blocks) >= 5
    assert verdicts[:-1] == ["flowchart-v2"] * (len(blocks) - 1), verdicts
    assert verdicts[-1].startswith("error:")
