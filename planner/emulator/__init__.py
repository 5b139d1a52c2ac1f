"""The emulated cloud: CLB (Slb 2014-05-15) plus the VPC/ECS objects its rules need.

Public API: ``Emulator`` (``call``, ``dump``, ``from_dump``, ``copy``, ``reset``, ``close``,
``actions``) and ``default_emulator_path``. Imports nothing from the rest of ``planner``.
"""

from planner.emulator.core import Emulator, default_emulator_path
from planner.emulator.errors import CloudError, ResponseLost

__all__ = ["CloudError", "Emulator", "ResponseLost", "default_emulator_path"]
