"""parse_statement publishes a metric on every event, so Powertools never warns "No application
metrics to publish" (issue 18: harmless-looking warnings throughout the suite)."""

from __future__ import annotations

import warnings
from typing import Any


def test_an_ignored_object_still_publishes_a_metric(cloud: Any) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        cloud.put_upload("uploads/only-two", b"User_ID,UTC_Time\n")
    assert not [w for w in caught if "No application metrics" in str(w.message)]
