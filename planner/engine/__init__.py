"""The run: lock, state, recover, plan, verify, apply, checkpoint.

One home for plan, apply, destroy and saved-plan apply (``planner.engine.run``); the CLI keeps
only the process edge (flags, rendering, exit codes). ``pipeline`` holds the steps a run is
made of; ``verify`` runs a plan on a shadow copy of the cloud before it is shown.
"""
