"""planner.config: load Terraform-style HCL and evaluate it into a ``Configuration``.

Public API (others call exactly these):
``load_module(directory) -> Module``, ``evaluate(module, ...) -> Configuration``,
``load_configuration(directory, ...) -> Configuration`` and the ``Resolver`` type.

The names are resolved on first use (PEP 562): importing any part of the package (``fmt``'s
formatter, ``init``'s module installer, the value types) ran this file, and with it the evaluator,
its functions, the schemas and networkx: some 0.6 s at the start of every command.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from planner.config.evaluation import Resolver, evaluate
    from planner.config.loader import Module, load_module
    from planner.config.model import Configuration

_LAZY = {
    "Resolver": "planner.config.evaluation",
    "evaluate": "planner.config.evaluation",
    "Module": "planner.config.loader",
    "load_module": "planner.config.loader",
    "Configuration": "planner.config.model",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # once: later lookups are plain module attributes
    return value


def load_configuration(directory: str | Path, *, var_args: Sequence[str] = (), var_files: Sequence[str] = (),
                       env: Mapping[str, str] | None = None, resolver: Resolver | None = None) -> Configuration:
    """Parse and evaluate ``directory`` in one call; raises DiagnosticsError with every problem."""
    from planner.config.evaluation import evaluate
    from planner.config.loader import load_module

    return evaluate(load_module(directory), var_args=var_args, var_files=var_files, env=env, resolver=resolver)


__all__ = ["Configuration", "Module", "Resolver", "evaluate", "load_configuration", "load_module"]
