"""The ``random`` provider and ``null_resource``: values made once at create and kept in state.

Random values come from ``secrets`` (the real providers use crypto/rand). Where the real provider
is deterministic (``seed`` on ``random_integer`` and ``random_shuffle``) so is this one: the same
seed gives the same result on every run and machine. Every argument forces replacement (see
``planner.schema.utility``), so ``update`` only records the planned values.
"""

from __future__ import annotations

import base64
import random
import secrets
import string
import uuid

from planner.providers.base import CallContext, ProviderError
from planner.providers.local import LocalHandler, register_local

LOWER = string.ascii_lowercase
UPPER = string.ascii_uppercase
NUMERIC = string.digits
SPECIAL = "!@#$%&*()-_=+[]{}<>:?"  # the random provider's default special characters

_SYSTEM = secrets.SystemRandom()


def _rng(seed: object) -> random.Random:
    """A seeded generator (stable across runs) or the system's."""
    if seed is None or seed == "":
        return _SYSTEM
    return random.Random(f"clbplan-random:{seed}")


@register_local("random_id")
class RandomId(LocalHandler):
    def create(self, planned: dict, ctx: CallContext) -> dict:
        raw = secrets.token_bytes(int(planned["byte_length"]))
        prefix = planned.get("prefix") or ""
        b64_url = base64.urlsafe_b64encode(raw).decode().rstrip("=")
        return {**planned, "id": b64_url, "b64_url": prefix + b64_url,
                "b64_std": prefix + base64.b64encode(raw).decode(), "hex": prefix + raw.hex(),
                "dec": prefix + str(int.from_bytes(raw, "big"))}

    def import_(self, id: str, ctx: CallContext) -> dict:
        prefix, _, b64 = id.rpartition(",")
        raw = base64.urlsafe_b64decode(b64 + "=" * (-len(b64) % 4))
        return {"id": b64, "byte_length": len(raw), "prefix": prefix or None, "keepers": None,
                "b64_url": prefix + b64, "b64_std": prefix + base64.b64encode(raw).decode(),
                "hex": prefix + raw.hex(), "dec": prefix + str(int.from_bytes(raw, "big"))}


@register_local("random_integer")
class RandomInteger(LocalHandler):
    def create(self, planned: dict, ctx: CallContext) -> dict:
        lo, hi = int(planned["min"]), int(planned["max"])
        if lo > hi:
            raise ProviderError(f"random_integer: min ({lo}) must be smaller than or equal to max ({hi})")
        n = _rng(planned.get("seed")).randint(lo, hi)
        return {**planned, "result": n, "id": str(n)}

    def import_(self, id: str, ctx: CallContext) -> dict:
        parts = id.split(",")
        if len(parts) not in (3, 4):
            raise ProviderError(f'random_integer import id must be "result,min,max" or "result,min,max,seed", got {id!r}')
        n, lo, hi = (int(p) for p in parts[:3])
        return {"id": str(n), "result": n, "min": lo, "max": hi,
                "seed": parts[3] if len(parts) == 4 else None, "keepers": None}


def generate_string(p: dict) -> str:
    """random_string/random_password: at least ``min_*`` of each class, the rest from every allowed
    class, shuffled."""
    length = int(p["length"])
    special = p.get("override_special") if p.get("override_special") is not None else SPECIAL
    numeric = p.get("numeric", True) is not False and p.get("number", True) is not False
    classes = [(LOWER, p.get("lower", True) is not False, int(p.get("min_lower") or 0)),
               (UPPER, p.get("upper", True) is not False, int(p.get("min_upper") or 0)),
               (NUMERIC, numeric, int(p.get("min_numeric") or 0)),
               (special, p.get("special", True) is not False, int(p.get("min_special") or 0))]
    need = sum(n for _, _, n in classes)
    if need > length:
        raise ProviderError(f"length ({length}) is smaller than the sum of the min_* arguments ({need})")
    chars: list[str] = []
    allowed = ""
    for alphabet, on, minimum in classes:
        if minimum and alphabet:
            chars += [secrets.choice(alphabet) for _ in range(minimum)]
        if on:
            allowed += alphabet
    if not allowed and len(chars) < length:
        raise ProviderError("no characters allowed: enable at least one of lower, upper, numeric, special")
    chars += [secrets.choice(allowed) for _ in range(length - len(chars))]
    _SYSTEM.shuffle(chars)
    return "".join(chars)


@register_local("random_string")
class RandomString(LocalHandler):
    def create(self, planned: dict, ctx: CallContext) -> dict:
        result = generate_string(planned)
        return {**planned, "result": result, "id": result}

    def import_(self, id: str, ctx: CallContext) -> dict:
        return {"id": id, "result": id, "length": len(id), "special": True, "upper": True, "lower": True,
                "numeric": True, "number": True, "min_upper": 0, "min_lower": 0, "min_numeric": 0,
                "min_special": 0, "keepers": None}


def bcrypt_hash(secret: str) -> str:
    """random_password's ``bcrypt_hash`` (cost 10, the provider's default cost)."""
    import bcrypt

    return bcrypt.hashpw(secret.encode()[:72], bcrypt.gensalt(10)).decode()


@register_local("random_password")
class RandomPassword(RandomString):
    def create(self, planned: dict, ctx: CallContext) -> dict:
        result = generate_string(planned)
        return {**planned, "result": result, "bcrypt_hash": bcrypt_hash(result), "id": "none"}

    def import_(self, id: str, ctx: CallContext) -> dict:
        return {**super().import_(id, ctx), "id": "none", "bcrypt_hash": bcrypt_hash(id)}


ADVERBS = ("briefly", "calmly", "deeply", "eagerly", "evenly", "fairly", "firmly", "freely", "gently",
           "gladly", "greatly", "happily", "highly", "kindly", "largely", "lightly", "loudly", "merely",
           "mostly", "neatly", "nicely", "openly", "partly", "quickly", "quietly", "rarely", "really",
           "safely", "sharply", "slowly", "smoothly", "solely", "strongly", "surely", "swiftly",
           "truly", "vastly", "warmly", "wholly", "wildly")
ADJECTIVES = ("able", "amazed", "bold", "brave", "bright", "calm", "clever", "cosmic", "crisp", "daring",
              "eager", "epic", "fair", "fancy", "fast", "fine", "fond", "fresh", "gentle", "golden",
              "grand", "happy", "honest", "humble", "keen", "kind", "lively", "loyal", "lucky", "merry",
              "modest", "noble", "polite", "proud", "quick", "quiet", "rapid", "smart", "steady",
              "sunny", "swift", "tidy", "vivid", "warm", "wise", "witty")
NAMES = ("alpaca", "badger", "beagle", "bison", "bobcat", "camel", "cheetah", "cobra", "condor",
         "coyote", "crane", "dingo", "dolphin", "eagle", "falcon", "ferret", "finch", "gazelle", "gecko",
         "heron", "ibis", "jackal", "koala", "lemur", "lynx", "macaw", "marten", "mole", "moose",
         "narwhal", "ocelot", "otter", "panda", "pelican", "puffin", "quail", "raven", "salmon", "seal",
         "sloth", "swan", "tapir", "tiger", "toucan", "walrus", "whale", "wombat", "yak", "zebra")


@register_local("random_pet")
class RandomPet(LocalHandler):
    def create(self, planned: dict, ctx: CallContext) -> dict:
        n = int(planned.get("length") or 2)
        words = [secrets.choice(ADVERBS) for _ in range(max(n - 2, 0))]
        if n >= 2:
            words.append(secrets.choice(ADJECTIVES))
        words.append(secrets.choice(NAMES))
        if planned.get("prefix"):
            words.insert(0, planned["prefix"])
        return {**planned, "id": (planned.get("separator") or "-").join(words)}


@register_local("random_shuffle")
class RandomShuffle(LocalHandler):
    def create(self, planned: dict, ctx: CallContext) -> dict:
        items = list(planned.get("input") or [])
        rng = _rng(planned.get("seed"))
        count = int(planned.get("result_count") or 0) or len(items)
        out: list = []
        # like the provider: permutation after permutation until result_count is reached
        while items and len(out) < count:
            batch = list(items)
            rng.shuffle(batch)
            out += batch[:count - len(out)]
        items = out
        return {**planned, "result": items, "id": "-"}


@register_local("random_uuid")
class RandomUuid(LocalHandler):
    def create(self, planned: dict, ctx: CallContext) -> dict:
        u = str(uuid.uuid4())
        return {**planned, "result": u, "id": u}

    def import_(self, id: str, ctx: CallContext) -> dict:
        try:
            u = str(uuid.UUID(id))
        except ValueError:
            raise ProviderError(f"random_uuid import id must be a UUID, got {id!r}") from None
        return {"id": u, "result": u, "keepers": None}


@register_local("null_resource")
class NullResource(LocalHandler):
    def create(self, planned: dict, ctx: CallContext) -> dict:
        return {**planned, "id": str(secrets.randbelow(2**63))}
