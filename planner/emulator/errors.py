"""The emulated cloud's errors: the real API's code, message and HTTP status.

The emulator imports nothing from the rest of ``planner``; the provider side converts these
into its own ``ApiError`` at the transport seam.
"""

from __future__ import annotations


class CloudError(Exception):
    """An API error as the real gateway returns it."""

    code: str = "InternalError"
    message: str = "The request processing has failed due to some unknown error."
    http_status: int = 500

    def __init__(self, code: str | None = None, message: str | None = None,
                 http_status: int | None = None, *, headers: dict[str, str] | None = None):
        if code is not None:
            self.code = code
        if message is not None:
            self.message = message
        if http_status is not None:
            self.http_status = http_status
        self.headers: dict[str, str] = dict(headers or {})
        self.request_id: str = ""
        super().__init__(f"{self.code}: {self.message}")


class ResponseLost(Exception):
    """Fault injection: the call committed, but its response never reached the caller.

    In-process this surfaces as this exception; over HTTP the server drops the connection.
    """
