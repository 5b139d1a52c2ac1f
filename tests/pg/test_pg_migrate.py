"""init -migrate-state (local <-> pg), state pull / push, and terraform_remote_state from pg."""

from __future__ import annotations

import json
from pathlib import Path

from tests.pg.helpers import PG_BACKEND, clbplan, rows

TF = '''
resource "terraform_data" "lb" {
  input = { name = "lb-${terraform.workspace}" }
}
output "name" { value = terraform_data.lb.output.name }
'''


def _local_dir(tmp_path: Path) -> Path:
    work = tmp_path / "cfg"
    work.mkdir()
    (work / "main.tf").write_text(TF)
    return work


def test_migrate_local_to_pg_and_back(tmp_path: Path, pg_url: str) -> None:
    work = _local_dir(tmp_path)
    assert clbplan(work, pg_url, "init").returncode == 0
    assert clbplan(work, pg_url, "apply", "-auto-approve").returncode == 0
    assert clbplan(work, pg_url, "workspace", "new", "blue").returncode == 0
    assert clbplan(work, pg_url, "apply", "-auto-approve").returncode == 0
    local_default = json.loads((work / "clbplan.tfstate").read_text())
    # the configuration now names pg: every command refuses to run on the empty new backend unnoticed
    (work / "backend.tf").write_text(PG_BACKEND)
    r = clbplan(work, pg_url, "init")
    assert r.returncode == 1 and "Backend configuration changed" in r.stdout + r.stderr, r.stdout + r.stderr
    assert "-migrate-state" in r.stdout + r.stderr
    r = clbplan(work, pg_url, "init", "-migrate-state")
    assert r.returncode == 0, r.stdout + r.stderr
    assert 'workspace "default"' in r.stdout and 'workspace "blue"' in r.stdout
    docs = rows(pg_url)
    assert docs["default"]["lineage"] == local_default["lineage"]
    assert docs["default"]["serial"] == local_default["serial"]
    assert docs["blue"]["outputs"]["name"]["value"] == "lb-blue"
    r = clbplan(work, pg_url, "plan", "-detailed-exitcode")
    assert r.returncode == 0, r.stdout + r.stderr  # blue selected: nothing to do
    r = clbplan(work, pg_url, "plan", "-detailed-exitcode", TF_WORKSPACE="default")
    assert r.returncode == 0, r.stdout + r.stderr
    # and back to local, after a change made in pg
    (work / "main.tf").write_text(TF.replace("lb-", "lbx-"))
    assert clbplan(work, pg_url, "apply", "-auto-approve").returncode == 0
    serial = rows(pg_url)["blue"]["serial"]
    (work / "backend.tf").unlink()
    r = clbplan(work, pg_url, "init", "-migrate-state")
    assert r.returncode == 0, r.stdout + r.stderr
    blue = json.loads((work / "terraform.tfstate.d" / "blue" / "terraform.tfstate").read_text())
    assert blue["serial"] == serial and blue["outputs"]["name"]["value"] == "lbx-blue"
    r = clbplan(work, pg_url, "plan", "-detailed-exitcode")
    assert r.returncode == 0, r.stdout + r.stderr


def test_migration_carries_an_interrupted_applys_journal(tmp_path: Path, pg_url: str) -> None:
    from planner.addresses import ResourceAddress
    from planner.state.backend import LocalBackend
    from planner.state.pg import PgBackend, PgSettings

    work = _local_dir(tmp_path)
    assert clbplan(work, pg_url, "apply", "-auto-approve").returncode == 0
    local = LocalBackend(work / "clbplan.tfstate")
    st = local.read()
    with local.journal(st.lineage) as j:
        j.intent("clbplan-tok-1", ResourceAddress("terraform_data", "lb"), "update", {"op": "x"})
    (work / "backend.tf").write_text(PG_BACKEND)
    r = clbplan(work, pg_url, "init", "-migrate-state")
    assert r.returncode == 0 and "1 unfinished operation" in r.stdout, r.stdout + r.stderr
    pg = PgBackend(PgSettings(conn_str=pg_url))
    pending = pg.journal(st.lineage).pending()
    assert [p.token for p in pending] == ["clbplan-tok-1"]
    pg.close()


def test_pull_and_push_refuse_older_serials_and_other_lineages(tmp_path: Path, pg_url: str) -> None:
    work = _local_dir(tmp_path)
    (work / "backend.tf").write_text(PG_BACKEND)
    assert clbplan(work, pg_url, "apply", "-auto-approve").returncode == 0
    r = clbplan(work, pg_url, "state", "pull")
    assert r.returncode == 0
    pulled = json.loads(r.stdout)
    assert pulled == rows(pg_url)["default"] | {"clbplan_version": pulled["clbplan_version"]}
    old = tmp_path / "old.tfstate"
    old.write_text(r.stdout)
    (work / "main.tf").write_text(TF.replace("lb-", "lb2-"))
    assert clbplan(work, pg_url, "apply", "-auto-approve").returncode == 0
    r = clbplan(work, pg_url, "state", "push", str(old))
    assert r.returncode == 1 and "over newer state with serial" in r.stdout + r.stderr
    other = dict(pulled, lineage="00000000-0000-4000-8000-000000000000", serial=99)
    (tmp_path / "other.tfstate").write_text(json.dumps(other))
    r = clbplan(work, pg_url, "state", "push", str(tmp_path / "other.tfstate"))
    assert r.returncode == 1 and "unrelated state with lineage" in r.stdout + r.stderr
    assert rows(pg_url)["default"]["outputs"]["name"]["value"] == "lb2-default"  # untouched
    r = clbplan(work, pg_url, "state", "push", "-force", str(old))
    assert r.returncode == 0, r.stdout + r.stderr
    assert rows(pg_url)["default"]["serial"] == pulled["serial"]
    assert rows(pg_url)["default"]["outputs"]["name"]["value"] == "lb-default"


def test_terraform_remote_state_reads_a_pg_workspace(tmp_path: Path, pg_url: str) -> None:
    net = tmp_path / "network"
    net.mkdir()
    (net / "main.tf").write_text('output "vpc_id" { value = "vpc-${terraform.workspace}" }\n')
    (net / "backend.tf").write_text(PG_BACKEND)
    assert clbplan(net, pg_url, "apply", "-auto-approve", TF_WORKSPACE="prod").returncode == 0
    app = tmp_path / "app"
    app.mkdir()
    (app / "main.tf").write_text(
        'data "terraform_remote_state" "net" {\n  backend   = "pg"\n  workspace = "prod"\n'
        f'  config = {{\n    conn_str = "{pg_url}"\n  }}\n}}\n'
        'output "vpc" { value = data.terraform_remote_state.net.outputs.vpc_id }\n')
    r = clbplan(app, "", "apply", "-auto-approve")
    assert r.returncode == 0, r.stdout + r.stderr
    r = clbplan(app, "", "output", "-raw", "vpc")
    assert r.stdout.strip() == "vpc-prod", r.stdout + r.stderr
    (app / "main.tf").write_text((app / "main.tf").read_text().replace('"prod"', '"nosuch"'))
    r = clbplan(app, "", "plan")
    assert r.returncode == 1 and "Unable to find remote state" in r.stdout + r.stderr
    assert pg_url.split(":")[2].split("@")[0] not in r.stdout + r.stderr  # the password is never printed
