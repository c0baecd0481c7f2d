"""A handler whose module cannot be imported, as after a bad deploy."""

import binsync_no_such_module  # noqa: F401


def lambda_handler(event, context):  # pragma: no cover - never reached
    return event
