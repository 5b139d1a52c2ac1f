"""planner.state: what clbplan believes the cloud holds, and how that belief is kept safe.

- ``model``: State / ResourceState (the JSON document; a shared contract).
- ``backend``: LocalBackend (flock lock + LockInfo, atomic 0600 writes, backup, serial rules),
  StateError / StateLockedError (DiagnosticsErrors: rendered by the CLI, exit 1), parse_duration.
- ``journal``: Journal (fsync'd intent/complete records, pending, replay_into, checkpoint),
  client_token / params_digest, journal_path.
- ``session``: open_state(backend, operation) -> StateSession: the lock, the state with a killed
  run's completions replayed, its pending calls, and ``checkpoint()``.
"""
