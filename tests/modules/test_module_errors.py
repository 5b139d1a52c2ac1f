"""Bad module input: one located error each, exit status 1, nothing written."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.modules import run

CHILD = 'variable "n" {\n  type = number\n}\n\noutput "twice" {\n  value = var.n * 2\n}\n'

CASES = [
    ("cycle", {"main.tf": 'module "a" {\n  source = "./m"\n}\n',
               "m/main.tf": 'module "again" {\n  source = "../"\n}\n'},
     "Module cycle", "m/main.tf:2:3", "(root) -> module.a -> module.a.module.again"),
    ("missing-folder", {"main.tf": 'module "a" {\n  source = "./nowhere"\n}\n'},
     "Unreadable module directory", "main.tf:2:3", "nowhere, which does not exist"),
    ("missing-required-variable", {"main.tf": 'module "a" {\n  source = "./m"\n}\n', "m/main.tf": CHILD},
     "Missing required argument", "main.tf:1:1", 'The argument "n" is required'),
    ("unknown-output", {"main.tf": 'module "a" {\n  source = "./m"\n  n      = 1\n}\n\n'
                                   'output "o" {\n  value = module.a.thrice\n}\n', "m/main.tf": CHILD},
     "Unsupported attribute", "main.tf:7:11", 'does not have an attribute named "thrice"'),
    ("registry-without-init", {"main.tf": 'module "slb" {\n  source  = "alibaba/slb/alicloud"\n'
                                          '  version = "2.1.0"\n}\n'},
     "Module not installed", "main.tf:2:3", 'Module call "slb" (source "alibaba/slb/alicloud", '),
    ("git-without-init", {"main.tf": 'module "x" {\n  source = "git::https://example.com/x.git?ref=v1"\n}\n'},
     "Module not installed", "main.tf:2:3", "clbplan init"),
    ("undeclared-module", {"main.tf": 'output "o" {\n  value = module.nope.x\n}\n'},
     "Reference to undeclared module", "main.tf:2:11", 'No module call named "nope"'),
    ("argument-not-a-variable", {"main.tf": 'module "a" {\n  source = "./m"\n  n      = 1\n  m      = 2\n}\n',
                                 "m/main.tf": CHILD},
     "Unsupported argument", "main.tf:4:3", 'An argument named "m" is not expected here'),
    ("wrong-type-for-module-variable", {"main.tf": 'module "a" {\n  source = "./m"\n  n      = "many"\n}\n',
                                        "m/main.tf": CHILD},
     "Invalid value for input variable", "main.tf:3:3", "var.n"),
]


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        p = root / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
@pytest.mark.parametrize("command", [["plan"], ["apply", "-auto-approve"], ["validate"]])
def test_bad_module_input_is_one_located_error(case, command, tmp_path, monkeypatch) -> None:
    _name, files, summary, where, detail = case
    write(tmp_path, files)
    result = run(command, tmp_path, monkeypatch)
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    lines = [ln for ln in result.output.splitlines() if f"error: {summary}" in ln]
    assert len(lines) == 1, result.output
    assert where in lines[0], result.output
    assert detail in result.output
    assert not (tmp_path / "clbplan.tfstate").exists()
    assert not (tmp_path / ".terraform").exists()  # plan/apply never install anything


def test_registry_module_installed_from_another_source_asks_for_init(tmp_path, monkeypatch) -> None:
    write(tmp_path, {"main.tf": 'module "slb" {\n  source = "alibaba/slb/alicloud"\n}\n',
                     ".terraform/modules/slb/main.tf": "",
                     ".terraform/modules/modules.json":
                         '{"Modules":[{"Key":"","Source":"","Dir":"."},{"Key":"slb","Source":'
                         '"registry.terraform.io/other/slb/alicloud","Version":"1.0.0","Dir":".terraform/modules/slb"}]}'})
    result = run(["plan"], tmp_path, monkeypatch)
    assert result.exit_code == 1
    assert "main.tf:2:3: error: Module source has changed" in result.output
    assert "clbplan init" in result.output


def test_corrupt_module_manifest_is_named(tmp_path, monkeypatch) -> None:
    write(tmp_path, {"main.tf": 'module "slb" {\n  source = "alibaba/slb/alicloud"\n}\n',
                     ".terraform/modules/modules.json": '{"Modules": [}'})
    result = run(["plan"], tmp_path, monkeypatch)
    assert result.exit_code == 1
    assert "modules.json" in result.output and "Failed to read module manifest" in result.output
