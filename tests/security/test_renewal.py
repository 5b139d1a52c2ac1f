"""Threat (issue 11, "routine changes are unplannable"): renewing what a listener uses is refused,
or planned in an order the cloud rejects halfway through an apply.

The orders themselves are golden scenarios (tests/scenarios, checked by test_scenarios.py):
``certificate_renewed_listener_repointed`` (server certificate), ``ca_certificate_renewed_listener_repointed``
(CA certificate), ``tls_certificate_renewed`` and ``domain_extension_certificate_renewed``, ``acl_swapped_old_deleted``
(a listener moved to another ACL) and ``acl_replaced_listener_repointed`` (the same ACL replaced by a
force-new change): each plans create the new object, re-point the listener, delete the old one.

What is left here: renewing an ACL without a new name cannot be done in any order (names are unique
in a region, so create-before-destroy hits AclNameExist; destroy-first hits AclBindedWithVip while
the listener uses it). The plan must say so before anything is applied, naming the cloud's rule.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.support.cli import invoke_in

SCENARIO = Path(__file__).resolve().parents[1] / "scenarios" / "acl_replaced_listener_repointed"


def test_an_acl_renewed_under_the_same_name_is_refused_before_anything_is_applied(tmp_path: Path) -> None:
    shutil.copy(SCENARIO / "before" / "main.tf", tmp_path / "main.tf")
    assert invoke_in(tmp_path, "apply", "-auto-approve").exit_code == 0
    state = (tmp_path / "clbplan.tfstate").read_bytes()
    after = (SCENARIO / "after" / "main.tf").read_text().replace('"scn-office-2026"', '"scn-office"')
    (tmp_path / "main.tf").write_text(after)
    r = invoke_in(tmp_path, "apply", "-auto-approve", "-no-color")
    out = r.output
    assert r.exit_code == 1, out
    assert "This is a bug" not in out and "Traceback" not in out, out
    assert 'step "create alicloud_slb_acl.office" would be refused by the cloud' in out, out
    assert "AclNameExist" in out and "nothing was applied" in out, out
    assert (tmp_path / "clbplan.tfstate").read_bytes() == state
