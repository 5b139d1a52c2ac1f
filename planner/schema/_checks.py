"""Helpers shared by the per-resource instance checks (cross-attribute rules in one resource)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from planner.diagnostics import Diagnostic, SourcePos
from planner.values import UNKNOWN

if TYPE_CHECKING:
    from planner.config.model import ResourceInstance


def known(v: Any) -> bool:
    return v is not None and v is not UNKNOWN


def pos_for(inst: ResourceInstance, path: tuple) -> SourcePos:
    """Where ``path`` was written; a block name alone points at its first block."""
    if path and path not in inst.positions and path + (0,) in inst.positions:
        return inst.positions[path + (0,)]
    return inst.pos_of(*path)


def err(inst: ResourceInstance, path: tuple, summary: str, hint: str) -> Diagnostic:
    return Diagnostic(f"{inst.address}: {summary}", pos_for(inst, path), "", hint, "error")


def warn(inst: ResourceInstance, path: tuple, summary: str, hint: str) -> Diagnostic:
    return Diagnostic(f"{inst.address}: {summary}", pos_for(inst, path), "", hint, "warning")


def set_by_user(inst: ResourceInstance, attrs: dict, name: str, default: Any) -> bool:
    """True when ``name`` holds a known value that differs from the schema default.

    Defaults are filled before instance checks run, so "differs from the default" is how we
    tell a deliberate setting from a filled-in one without relying on positions.
    """
    v = attrs.get(name)
    if v is UNKNOWN:
        # written as a reference: certainly set when there is no default to compare with
        return default is None
    if v is None:
        return False
    if isinstance(v, list) and not v:
        return False
    return v != default


def blocks_of(attrs: dict, name: str) -> list[tuple[int, dict]]:
    """(index, block) for each known nested block; an unknown dynamic block yields nothing."""
    v = attrs.get(name)
    if not isinstance(v, list):
        return []
    return [(i, b) for i, b in enumerate(v) if isinstance(b, dict)]
