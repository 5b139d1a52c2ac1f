"""Errors at the transport seam, the same whether the cloud is in-process or over HTTP."""

from __future__ import annotations


class ApiError(Exception):
    """The cloud refused a call: its code, message, HTTP status and request id.

    ``retry_after`` is in seconds (converted from the millisecond ``x-acs-retry-after`` header).
    """

    def __init__(self, code: str, message: str, http_status: int = 400, request_id: str = "",
                 retry_after: float | None = None):
        self.code = code
        self.message = message
        self.http_status = http_status
        self.request_id = request_id
        self.retry_after = retry_after
        super().__init__(f"{code}: {message} (HTTP {http_status}, RequestId {request_id or '-'})")


class TransportError(Exception):
    """The call may or may not have reached the cloud (connection lost, timeout).

    Callers must reconcile (re-issue with the same ClientToken, or read back) rather than assume.
    """
