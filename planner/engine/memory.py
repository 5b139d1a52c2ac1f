"""Give the memory of a finished step back before the next one starts.

Plan verification builds a second cloud and a second state as large as the apply's (at 10,000 load
balancers, hundreds of MB) and drops them when it returns. Dropped is not returned: Python's
allocator and the C heap keep the freed blocks, and the cyclic garbage among them (futures, frames of
the shadow walk) waits for a collection the frozen heap makes rare. The apply walk and the state
write that follow then grow on top of it, and the process's peak is the sum.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import gc


@functools.lru_cache(maxsize=1)
def _malloc_trim():  # -> the C library's malloc_trim, or None (not glibc)
    name = ctypes.util.find_library("c")
    if not name:
        return None
    try:
        return ctypes.CDLL(name).malloc_trim
    except (OSError, AttributeError):
        return None


# below this many operations a step's leftovers are a few MB, and a full collection in a long-lived
# process (the test suite, the convergence campaign) costs more than they are worth
WORTH_IT = 1000


def give_back(operations: int) -> None:
    """After a step of ``operations`` operations: collect its cyclic garbage (under the pipeline's
    frozen heap only the objects made since the freeze are looked at) and return the C heap's free
    pages to the system."""
    if operations < WORTH_IT:
        return
    gc.collect()
    trim = _malloc_trim()
    if trim is not None:
        trim(0)
