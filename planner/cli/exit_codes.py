"""The process's exit statuses, in a module of their own so the command's entry point can name them
without importing what the commands need (``planner.cli.common`` pulls in the whole engine)."""

from __future__ import annotations

# 2 is "changes present" for plan -detailed-exitcode, so usage errors are 1, not click's 2.
EXIT_OK, EXIT_ERROR, EXIT_CHANGES, EXIT_INTERRUPTED = 0, 1, 2, 130
