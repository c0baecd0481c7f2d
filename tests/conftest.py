"""Suite-wide test setup: a fake AWS identity, no network beyond loopback, the embedded cloud.

Fixtures:
- `cloud`: a fresh LocalCloud (template.yaml on moto, real handlers, 8 loopback egress IPs,
  Retry sleeps skipped) for one test; about 0.5 s once moto is imported.
- `cloud_factory(**kwargs)`: the same with other settings (egress_ips, parameters, ...); every
  cloud it made is stopped after the test. Only one cloud can run at a time in a process.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest

# Set at import, before any test module is collected: modules such as binsync.storage.models
# read the region when they are imported, and no test may ever see real credentials.
TEST_ENV = {
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SECURITY_TOKEN": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "POWERTOOLS_SERVICE_NAME": "binsync",
    "POWERTOOLS_METRICS_NAMESPACE": "binsync",
    "POWERTOOLS_TRACE_DISABLED": "true",
}
for _key in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ENDPOINT_URL"):
    os.environ.pop(_key, None)
os.environ.update(TEST_ENV)

# Only loopback may be reached: the emulator and served clouds bind 127.0.0.0/8 addresses
# (clients bind 127.0.0.2... as their source; pytest-socket only guards the destination).
LOOPBACK_HOSTS = "127.0.0.0/8,::1,localhost"


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    if not config.getoption("--allow-hosts", default=None):
        config.option.allow_hosts = LOOPBACK_HOSTS


@pytest.fixture(scope="session", autouse=True)
def aws_test_environment() -> Iterator[None]:
    """Keeps the fake identity for the whole session, even if a test changed it."""
    with pytest.MonkeyPatch.context() as mp:
        for key, value in TEST_ENV.items():
            mp.setenv(key, value)
        yield


@pytest.fixture
def cloud_factory() -> Iterator[Callable[..., Any]]:
    from binsync_local.cloud import LocalCloud

    started: list[LocalCloud] = []

    def make(**kwargs: Any) -> LocalCloud:
        kwargs.setdefault("fast_retries", True)
        for previous in started:  # moto is process-wide: one cloud at a time
            previous.stop()
        started.append(LocalCloud(**kwargs).start())
        return started[-1]

    yield make
    for made in reversed(started):
        made.stop()


@pytest.fixture
def cloud(cloud_factory: Callable[..., Any]) -> Any:
    return cloud_factory(egress_ips=8)
