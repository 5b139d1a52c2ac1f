"""planner.apply: the executor that walks a plan's operation graph against the provider."""

from planner.apply.executor import ApplyEvent, ApplyResult, Executor, RecoveryError, client_token, recover
from planner.providers.retry import RetryPolicy

__all__ = ["ApplyEvent", "ApplyResult", "Executor", "RecoveryError", "RetryPolicy", "client_token", "recover"]
