"""The ``time`` provider: timestamps fixed at create, rotation, offsets, and a real wait.

``time_sleep`` waits ``create_duration`` after create and ``destroy_duration`` before delete, as the
real one does, so a listener that depends on it starts only after the wait. Plan verification
(``dry_run``) never waits.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from planner.providers.base import CallContext
from planner.providers.local import LocalHandler, register_local
from planner.providers.local.clock import (
    add_months,
    date_parts,
    format_rfc3339,
    parse_duration,
    parse_rfc3339,
)


@register_local("time_sleep")
class TimeSleep(LocalHandler):
    def _wait(self, duration: str | None) -> None:
        if duration and not self.env.dry_run:
            seconds = parse_duration(duration)
            if seconds > 0:
                self.env.sleep(seconds)

    def create(self, planned: dict, ctx: CallContext) -> dict:
        self._wait(planned.get("create_duration"))
        return {**planned, "id": format_rfc3339(self.env.now())}

    def delete(self, prior: dict, ctx: CallContext) -> None:
        self._wait(prior.get("destroy_duration"))


def _base(self: LocalHandler, given: str | None) -> datetime:
    return parse_rfc3339(given) if given else self.env.now()


@register_local("time_static")
class TimeStatic(LocalHandler):
    def create(self, planned: dict, ctx: CallContext) -> dict:
        t = _base(self, planned.get("rfc3339"))
        stamp = format_rfc3339(t)
        return {**planned, "rfc3339": stamp, "id": stamp, **date_parts(t)}

    def import_(self, id: str, ctx: CallContext) -> dict:
        t = parse_rfc3339(id)
        return {"id": format_rfc3339(t), "rfc3339": format_rfc3339(t), "triggers": None, **date_parts(t)}


def rotation_time(attrs: dict, base: datetime) -> datetime:
    """When a time_rotating expires: ``rotation_rfc3339`` if given, else base + the rotation units."""
    months = int(attrs.get("rotation_months") or 0) + 12 * int(attrs.get("rotation_years") or 0)
    minutes = int(attrs.get("rotation_minutes") or 0) + 60 * int(attrs.get("rotation_hours") or 0) \
        + 1440 * int(attrs.get("rotation_days") or 0)
    if not months and not minutes and attrs.get("rotation_rfc3339"):
        return parse_rfc3339(attrs["rotation_rfc3339"])
    return add_months(base, months) + timedelta(minutes=minutes)


@register_local("time_rotating")
class TimeRotating(LocalHandler):
    def _values(self, planned: dict) -> dict:
        t = _base(self, planned.get("rfc3339"))
        given = {k: v for k, v in planned.items() if k != "rotation_rfc3339" or not _has_units(planned)}
        return {**planned, "rfc3339": format_rfc3339(t), "id": format_rfc3339(t),
                "rotation_rfc3339": format_rfc3339(rotation_time(given, t)), **date_parts(t)}

    def create(self, planned: dict, ctx: CallContext) -> dict:
        return self._values(planned)

    def update(self, prior: dict, planned: dict, ctx: CallContext) -> dict:
        return {**self._values({**planned, "rfc3339": prior.get("rfc3339")}), "id": prior["id"]}

    def read(self, prior: dict) -> dict | None:
        """Once the rotation time has passed the resource leaves state, so the next plan creates it
        again (that is the rotation)."""
        end = prior.get("rotation_rfc3339")
        if end and self.env.now() >= parse_rfc3339(end):
            return None
        return prior


def _has_units(attrs: dict) -> bool:
    return any(attrs.get(f"rotation_{u}") for u in ("minutes", "hours", "days", "months", "years"))


@register_local("time_offset")
class TimeOffset(LocalHandler):
    def _values(self, planned: dict, base: datetime) -> dict:
        months = int(planned.get("offset_months") or 0) + 12 * int(planned.get("offset_years") or 0)
        seconds = int(planned.get("offset_seconds") or 0) + 60 * int(planned.get("offset_minutes") or 0) \
            + 3600 * int(planned.get("offset_hours") or 0) + 86400 * int(planned.get("offset_days") or 0)
        t = add_months(base, months) + timedelta(seconds=seconds)
        stamp = format_rfc3339(base)
        return {**planned, "base_rfc3339": stamp, "id": stamp, "rfc3339": format_rfc3339(t), **date_parts(t)}

    def create(self, planned: dict, ctx: CallContext) -> dict:
        return self._values(planned, _base(self, planned.get("base_rfc3339")))

    def update(self, prior: dict, planned: dict, ctx: CallContext) -> dict:
        return self._values(planned, parse_rfc3339(prior["base_rfc3339"]))
