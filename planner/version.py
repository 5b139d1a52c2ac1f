"""The versions clbplan reports: its own, the Terraform language it implements, the provider it mirrors.

One place, so ``clbplan version``, ``required_version`` checks, the JSON plan's
``terraform_version`` and the registry client's ``X-Terraform-Version`` all say the same thing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path

from planner import __version__

PACKAGE_ROOT = Path(__file__).parent

# clbplan's own release.
CLBPLAN_VERSION: str = __version__

# The Terraform release whose configuration language, file formats (state v4, modules.json,
# JSON plan) and CLI conventions clbplan implements and is checked against (`terraform` 1.11.4 is
# the oracle the tests compare with). `terraform { required_version = ... }` is checked against it.
TERRAFORM_LANGUAGE_VERSION: str = "1.11.4"

# The official alicloud provider whose resource schemas (arguments, defaults, ForceNew, computed
# attributes) planner/schema mirrors: the source snapshot named in shared/reference/clb-api.md,
# commit 81c43b6727a0 (2026-08-21), whose newest release is 1.289.0.
ALICLOUD_PROVIDER_SOURCE: str = "registry.terraform.io/aliyun/alicloud"
ALICLOUD_PROVIDER_VERSION: str = "1.289.0"
ALICLOUD_PROVIDER_COMMIT: str = "81c43b6727a0"


def sources_digest(paths: Iterable[Path]) -> str:
    """SHA-256 of the version and of these source files of the package (names and bytes): what a cache
    made by this code depends on besides its data, since a checkout can change without a new version."""
    h = hashlib.sha256(__version__.encode())
    for path in sorted(paths):
        try:
            h.update(str(path.relative_to(PACKAGE_ROOT)).encode() + b"\0" + path.read_bytes())
        except OSError:
            h.update(str(path).encode() + b"\0?")
    return h.hexdigest()
