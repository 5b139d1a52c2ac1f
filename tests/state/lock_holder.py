"""Run as a separate process by the lock tests: take the state lock, say so, hold it until told.

usage: python lock_holder.py STATE_PATH OPERATION
Prints "LOCKED <lock id>" once held; releases when stdin closes (or is killed by the test).
"""

from __future__ import annotations

import sys
from pathlib import Path

from planner.state.backend import LocalBackend

if __name__ == "__main__":
    backend = LocalBackend(Path(sys.argv[1]))
    with backend.lock(sys.argv[2]) as info:
        print(f"LOCKED {info.id}", flush=True)
        sys.stdin.read()  # hold until the parent closes our stdin
    print("RELEASED", flush=True)
