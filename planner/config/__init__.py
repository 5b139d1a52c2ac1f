"""planner.config: load Terraform-style HCL and evaluate it into a ``Configuration``.

Public API (others call exactly these):
``load_module(directory) -> Module``, ``evaluate(module, ...) -> Configuration``,
``load_configuration(directory, ...) -> Configuration`` and the ``Resolver`` type.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from planner.config.evaluation import Resolver, evaluate
from planner.config.loader import Module, load_module
from planner.config.model import Configuration


def load_configuration(directory: str | Path, *, var_args: Sequence[str] = (), var_files: Sequence[str] = (),
                       env: Mapping[str, str] | None = None, resolver: Resolver | None = None) -> Configuration:
    """Parse and evaluate ``directory`` in one call; raises DiagnosticsError with every problem."""
    return evaluate(load_module(directory), var_args=var_args, var_files=var_files, env=env, resolver=resolver)


__all__ = ["Configuration", "Module", "Resolver", "evaluate", "load_configuration", "load_module"]
