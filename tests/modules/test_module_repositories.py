"""Module repositories in the shape of terraform-alicloud-slb: a root module calling sub-modules
(listener, ACL, rule) and example folders calling the root with ``source = "../.."``.

Each example validates, applies on the embedded emulator and then plans empty, as a user of a
published module would run it; state and outputs carry module addresses.
"""

from __future__ import annotations

from planner.state.backend import LocalBackend
from tests.support.modules import run


def test_complete_example_applies_and_converges(copy_fixture, monkeypatch) -> None:
    repo = copy_fixture("slb-repo")
    example = repo / "examples" / "complete"
    result = run(["validate"], example, monkeypatch)
    assert result.exit_code == 0, result.output
    result = run(["apply", "-auto-approve"], example, monkeypatch)
    assert result.exit_code == 0, result.output
    assert "Apply complete! Resources: 14 added, 0 changed, 0 destroyed." in result.output
    result = run(["plan", "-detailed-exitcode"], example, monkeypatch)
    assert result.exit_code == 0, result.output
    assert "No changes." in result.output

    listed = run(["state", "list"], example, monkeypatch).output.split()
    assert 'module.slb.module.listener["http-80"].alicloud_slb_listener.this' in listed
    assert "module.slb.alicloud_slb_load_balancer.this[0]" in listed
    assert 'module.slb.module.acl[0].alicloud_slb_acl_entry_attachment.this["10.0.0.0/8"]' in listed
    assert 'module.slb.module.rule["api"].alicloud_slb_rule.this' in listed

    read = LocalBackend(example / "clbplan.tfstate").read()
    state = {"outputs": read.outputs}
    by_addr = {str(a): rs.to_json() for a, rs in read.resources.items()}
    listener = by_addr['module.slb.module.listener["http-80"].alicloud_slb_listener.this']
    lb = by_addr["module.slb.alicloud_slb_load_balancer.this[0]"]
    acl = by_addr["module.slb.module.acl[0].alicloud_slb_acl.this"]
    assert listener["module"] == 'module.slb.module.listener["http-80"]'
    # ids known only after apply reached the listener through two module boundaries
    assert listener["attributes"]["load_balancer_id"] == lb["id"]
    assert listener["attributes"]["acl_id"] == acl["id"]
    assert listener["attributes"]["acl_status"] == "on"
    entry = by_addr['module.slb.module.acl[0].alicloud_slb_acl_entry_attachment.this["10.0.0.0/8"]']
    assert entry["attributes"]["comment"] == "from ../../modules/slb-acl"  # path.module, relative to the root
    outputs = state["outputs"]
    assert outputs["slb_id"]["value"] == lb["id"]
    assert outputs["listener_ids"]["value"]["http-80"] == listener["id"]
    assert set(outputs["rule_ids"]["value"]) == {"api", "static"}
    # a rule's module depends_on the listener module: the rule is recorded as depending on it
    rule = by_addr['module.slb.module.rule["api"].alicloud_slb_rule.this']
    assert 'module.slb.module.listener["http-80"].alicloud_slb_listener.this' in rule["dependencies"]


def test_listener_module_called_with_count(copy_fixture, monkeypatch) -> None:
    example = copy_fixture("slb-repo") / "examples" / "listener-only"
    result = run(["apply", "-auto-approve"], example, monkeypatch)
    assert result.exit_code == 0, result.output
    assert "ports = [\n  9000,\n  9001,\n]" in result.output  # Terraform prints lists one item per line
    listed = run(["state", "list"], example, monkeypatch).output.split()
    assert "module.http[0].alicloud_slb_listener.this" in listed
    assert "module.http[1].alicloud_slb_listener.this" in listed
    assert run(["plan", "-detailed-exitcode"], example, monkeypatch).exit_code == 0


def test_root_module_of_the_repository_validates(copy_fixture, monkeypatch) -> None:
    repo = copy_fixture("slb-repo")
    result = run(["validate", "-var", "name=x", "-var", "vswitch_id=vsw-1"], repo, monkeypatch)
    assert result.exit_code == 0, result.output


def test_variable_validation_inside_a_module_is_located(copy_fixture, monkeypatch) -> None:
    example = copy_fixture("slb-repo") / "examples" / "complete"
    main = example / "main.tf"
    main.write_text(main.read_text().replace('protocol = "tcp"', 'protocol = "sctp"'))
    result = run(["plan"], example, monkeypatch)
    assert result.exit_code == 1, result.output
    assert "protocol must be one of http, https, tcp, udp." in result.output
    # reported where the caller gave the value (as Terraform does), naming the rule that refused it
    assert "slb-repo/main.tf:44:3: error: Invalid value for variable" in result.output
    assert "modules/slb-listener/variables.tf:18,3" in result.output
    assert not (example / "clbplan.tfstate").exists()


def test_registry_modules_installed_by_init_plan_and_apply_offline(copy_fixture, monkeypatch) -> None:
    """``.terraform/modules`` as ``terraform init`` leaves it: a registry module calling another registry
    module and a local sub-module of its own; plan and apply read them in place, nothing is fetched."""
    import socket

    def no_network(*_a, **_k):
        raise AssertionError("plan/apply tried to open a network connection")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    root = copy_fixture("registry-config")
    result = run(["apply", "-auto-approve"], root, monkeypatch)
    assert result.exit_code == 0, result.output
    assert "Apply complete! Resources: 7 added, 0 changed, 0 destroyed." in result.output
    listed = run(["state", "list"], root, monkeypatch).output.split()
    assert "module.slb.module.acl.alicloud_slb_acl.this" in listed  # registry inside registry
    assert 'module.slb.module.listener["8080"].alicloud_slb_listener.this' in listed  # local inside registry
    assert "module.vpc.alicloud_vswitch.this[0]" in listed
    assert run(["plan", "-detailed-exitcode"], root, monkeypatch).exit_code == 0
