"""Errors of the sync workflow.

The Step Functions Retry/Catch rules match on the exception class *name* (the Lambda runtime
reports `type(exc).__name__`), so these names are part of the ASL contract.
"""

from __future__ import annotations

# Binance client errors the state machine treats as fatal for the connection: the execution
# fails with this error name and on_sync_failed disables the connection with the reason.
AUTH_ERRORS: tuple[str, ...] = ("CredentialsInvalid", "PermissionMissing")
# Retryable: the state machine retries the task with backoff, the checkpoint is kept.
# ExportPending: Binance is still building an asynchronous export (sync/exports.py); its own
# Retry rule waits minutes to hours (Binance's "avgCostTimestampOfLast30d" sample: ~2 hours).
RETRYABLE_ERRORS: tuple[str, ...] = ("RateLimited", "IpBanned", "TransientError", "ClockSkew",
                                     "ExportPending")


class SyncAlreadyRunning(Exception):
    """A sync of this connection is already planning or running (HTTP 409)."""

    status_code = 409

    def __init__(self, connection_id: str, run_id: str):
        super().__init__(f"a sync of connection {connection_id} is already running (run {run_id})")
        self.connection_id = connection_id
        self.run_id = run_id


class ConnectionNotSyncable(Exception):
    """The connection does not exist or is disabled (HTTP 404 / 409)."""

    def __init__(self, connection_id: str, reason: str, status_code: int = 409):
        super().__init__(f"connection {connection_id} cannot be synced: {reason}")
        self.connection_id = connection_id
        self.reason = reason
        self.status_code = status_code


class SyncIncomplete(Exception):
    """Some tasks did not complete after their retries: the run is failed and can be re-run."""


class ConnectionGone(Exception):
    """The connection was deleted (or is being deleted) while its sync ran: the worker stops
    and writes nothing more (issue 17)."""
