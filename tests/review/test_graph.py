"""``clbplan graph``: resource graph and operation graph in DOT, Graphviz formats, clear errors."""

from __future__ import annotations

from tests.support.review import run, scenario_work


def test_resource_graph_points_from_dependent_to_dependency(tmp_path):
    work = scenario_work(tmp_path, "create_full_stack", apply_before=False)
    r = run("graph", work)
    assert r.exit_code == 0, r.output
    assert r.output.startswith("digraph {")
    assert '"alicloud_slb_listener.http" -> "alicloud_slb_server_group.app"' in r.output
    assert '"alicloud_vswitch.main" -> "alicloud_vpc.main"' in r.output


def test_plan_graph_labels_every_edge_with_its_reason(tmp_path):
    work = scenario_work(tmp_path, "vserver_group_deleted_listener_repointed")
    r = run("graph", work, "-type=plan")
    assert r.exit_code == 0, r.output
    assert '"alicloud_slb_server_group.b:create" [label = "1. create alicloud_slb_server_group.b"' in r.output
    edge = ('"alicloud_slb_listener.http:update" -> "alicloud_slb_server_group.a:delete" '
            '[label = "alicloud_slb_listener.http is re-pointed off alicloud_slb_server_group.a before it is '
            'deleted (recorded dependency)"]')
    assert edge in r.output
    edges = [line for line in r.output.splitlines() if "->" in line]
    assert edges and all("[label = " in line for line in edges)


def test_svg_without_graphviz_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setattr("planner.cli.graph_cmd.shutil.which", lambda name: None)
    work = scenario_work(tmp_path, "create_full_stack", apply_before=False)
    r = run("graph", work, "-format=svg")
    assert r.exit_code == 1
    assert "Graphviz is not installed" in r.output and "-format=dot" in r.output
    assert "Traceback" not in r.output


def test_png_through_a_graphviz_dot(tmp_path, monkeypatch):
    # a stand-in `dot` that proves the DOT text is piped to it and its output written out
    fake = tmp_path / "bin" / "dot"
    fake.parent.mkdir()
    fake.write_text("#!/bin/sh\necho \"rendered as $1\"\ncat >/dev/null\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{fake.parent}:/usr/bin:/bin")
    work = scenario_work(tmp_path, "create_full_stack", apply_before=False)
    out = tmp_path / "graph.png"
    r = run("graph", work, "-format=png", "-out", out)
    assert r.exit_code == 0, r.output
    assert out.read_text() == "rendered as -Tpng\n"
