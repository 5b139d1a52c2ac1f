"""Every action the emulator implements is driven by at least one wire test (both paths).

The rule tests run each call in-process and through the SDK over HTTP; this guard makes a newly
added emulator action without such a test fail here, naming it, instead of going unnoticed.
"""

from __future__ import annotations

import ast
from pathlib import Path

from planner.emulator import Emulator

HERE = Path(__file__).parent
DRIVING_FILES = ("test_rules.py", "test_rules_acl_cert_tags.py", "test_faults_wire.py", "test_catalogue_wire.py",
                 "test_clb_extensions_wire.py", "test_around_wire.py")


def _string_literals(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            found.add(node.value)
    return found


def test_every_emulator_action_has_a_wire_test():
    named: set[str] = set()
    for name in DRIVING_FILES:
        named |= _string_literals(HERE / name)
    # World.listener builds CreateLoadBalancer{TCP,UDP,HTTP,HTTPS}Listener from the protocol.
    named |= {f"CreateLoadBalancer{p}Listener" for p in ("TCP", "UDP", "HTTP", "HTTPS")}
    missing = sorted(f"{product}.{action}" for product, action in Emulator.actions() if action not in named)
    assert not missing, f"emulator actions with no wire test: {', '.join(missing)}"
