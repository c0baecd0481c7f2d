"""bench/logbytes.py: the counter counts what a handler's logger writes, at INFO, and prints nothing."""

from __future__ import annotations

import logging

from bench import logbytes


def test_counter_counts_the_bytes_a_handler_logs_at_info(capsys):
    logger = logging.getLogger("binsync-test-svc")
    handler = logging.StreamHandler()
    logger.addHandler(handler)
    logger.setLevel(logging.WARNING)
    try:
        with logbytes.counting_logs(service="binsync-test-svc") as counter:
            logging.getLogger("binsync-test-svc.child").info("héllo")
            print("x" * 9)
        assert counter.between(0, 1e12) == len("héllo\n".encode()) + 10
        assert logger.level == logging.WARNING and handler.stream is not counter
    finally:
        logger.removeHandler(handler)
    assert "héllo" not in capsys.readouterr().err


def test_platform_lines_have_their_aws_size():
    assert 250 < logbytes.platform_bytes(0.123, 512) < 330
