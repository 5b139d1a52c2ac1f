"""Fixtures of the module tests (helpers live in tests/support/modules.py)."""

from tests.support.modules import copy_fixture  # noqa: F401 - a pytest fixture
