"""Value markers shared by the evaluator, the diff and the renderers."""

from __future__ import annotations

from typing import Any


class Unknown:
    """A value known only after apply (an id, an address the cloud assigns).

    A singleton: compare with ``is UNKNOWN`` or ``is_unknown``.
    """

    _instance: Unknown | None = None

    def __new__(cls) -> Unknown:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "(known after apply)"

    def __reduce__(self):
        return (Unknown, ())


UNKNOWN = Unknown()


def is_unknown(value: Any) -> bool:
    return value is UNKNOWN


# the scalar types a value holds: copied and compared as they are, without a call each
LEAF_TYPES = frozenset((str, int, float, bool, type(None)))


def contains_unknown(value: Any) -> bool:
    """True if ``value`` or anything nested in it is unknown."""
    if value is UNKNOWN:
        return True
    if isinstance(value, dict):
        items: Any = value.values()
    elif isinstance(value, (list, tuple, set, frozenset)):
        items = value
    else:
        return False
    leaves = LEAF_TYPES
    for v in items:  # called on every value the diff compares: plain leaves are skipped without a call
        if v is UNKNOWN:
            return True
        if type(v) not in leaves and contains_unknown(v):
            return True
    return False

# a data source reader's answer may carry, under this key, why its result lists are empty (the
# evaluator turns it into the message of an index into them)
LOOKUP_NOTE = "__lookup_note__"
