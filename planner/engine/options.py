"""The plan-shaping options of one run: saved in a plan file, re-used when applying it."""

from __future__ import annotations

from dataclasses import dataclass

from planner.addresses import ModuleAddress, ResourceAddress, parse_target


@dataclass
class PlanOptions:
    """-target, -exclude, -replace, -refresh-only, -destroy and -refresh of one run."""

    targets: list[ResourceAddress | ModuleAddress]
    excludes: list[ResourceAddress | ModuleAddress]
    replace: list[ResourceAddress]
    refresh_only: bool = False
    destroy: bool = False
    refresh: bool = True

    @property
    def partial(self) -> bool:
        return bool(self.targets or self.excludes)

    def plan_kwargs(self) -> dict:
        """Keyword arguments for ``planner.engine.pipeline.make_plan``."""
        return {"targets": self.targets, "excludes": self.excludes, "replace": self.replace,
                "refresh_only": self.refresh_only}

    def to_json(self) -> dict:
        return {"targets": [str(a) for a in self.targets], "excludes": [str(a) for a in self.excludes],
                "replace": [str(a) for a in self.replace], "refresh_only": self.refresh_only,
                "destroy": self.destroy, "refresh": self.refresh}

    @classmethod
    def from_json(cls, doc: dict) -> PlanOptions:
        return cls([parse_target(a) for a in doc.get("targets", [])],
                   [parse_target(a) for a in doc.get("excludes", [])],
                   [ResourceAddress.parse(a) for a in doc.get("replace", [])],
                   bool(doc.get("refresh_only")), bool(doc.get("destroy")), bool(doc.get("refresh", True)))
