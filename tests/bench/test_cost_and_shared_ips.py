"""bench/cost.py's request-unit rules and pricing, and the shared-address table (no sync here)."""

from __future__ import annotations

import pytest

from bench import cost, prices, shared_ips


def test_write_units_follow_item_size_and_the_indexes_an_item_carries():
    table = "binsync-transactions"
    small = {"user_id": {"S": "u"}, "sk": {"S": "t#1"}, "tx_id": {"S": "x"}}  # table + by_id
    assert cost.dynamodb_units("PutItem", {"TableName": table, "Item": small}, {}) == (2.0, 0.0)
    big = {**small, "raw": {"S": "x" * 3000}, "account_key": {"S": "u#1"}}  # 3 KB, table + 2 GSIs
    # the table 3, by_id (KEYS_ONLY in template.yaml: the keys alone) 1, by_account (ALL) 3
    assert cost.dynamodb_units("PutItem", {"TableName": table, "Item": big}, {})[0] == 7.0
    slot = {"user_id": {"S": "u"}, "connection_id": {"S": "c"}, "resync_slot": {"N": "7"},
            "status": {"S": "active"}, "body": {"S": "x" * 1900}}  # by_resync_slot: INCLUDE
    assert cost.dynamodb_units("PutItem", {"TableName": "binsync-connections", "Item": slot}, {})[0] == 3.0
    batch = {"RequestItems": {"binsync-tasks": [{"PutRequest": {"Item": {"run_id": {"S": "r"}}}},
                                                {"DeleteRequest": {"Key": {"run_id": {"S": "r"}}}}]}}
    assert cost.dynamodb_units("BatchWriteItem", batch, {}) == (2.0, 0.0)


def test_read_units_are_per_4_kb_returned_and_halved_when_eventually_consistent():
    items = [{"k": {"S": "x" * 2000}}] * 4  # 8 KB
    assert cost.dynamodb_units("Query", {"TableName": "t"}, {"Items": items}) == (0.0, 1.0)
    strong = {"TableName": "t", "ConsistentRead": True}
    assert cost.dynamodb_units("Query", strong, {"Items": items}) == (0.0, 2.0)


def test_price_applies_the_list_prices():
    records = {"lambda_gb_s": 1000.0, "lambda_invocations": 1_000_000, "state_transitions": 1000,
               "wru": 1_000_000, "rru": 1_000_000, "log_bytes": 1e9,
               "aws_calls": {"secretsmanager.GetSecretValue": 10_000, "s3.PutObject": 1000,
                             "s3.GetObject": 1000}}
    usd = cost.price(records)
    assert usd["lambda"] == pytest.approx(1000 * prices.LAMBDA_ARM_GB_S + 0.20)
    assert usd["stepfunctions"] == pytest.approx(0.025)
    assert usd["dynamodb"] == pytest.approx(0.625 + 0.125)
    assert usd["secretsmanager"] == pytest.approx(0.05) and usd["logs"] == pytest.approx(0.50)
    assert usd["s3"] == pytest.approx(0.005 + 0.0004)


def test_tables_render():
    section = {"time_scale": 10, "scenarios": {"32x1": {
        "status": "succeeded", "ratio": 1.15, "duration_s": 68.9, "history_in_s": 61.2, "t_min_s": 60.0,
        "binding": "uid", "requests": 3471, "http_429": 16, "http_418": 0}}}
    assert ("| 32x1 | succeeded | 68.9 s | 61.2 s | 60.0 s (uid) | 1.15 | 3,471 | 16 | 0 |"
            in shared_ips.render(section))
    bill = {"profile": "small", "price_list": prices.PRICE_LIST_DATE,
            "full_sync": {"usd": dict.fromkeys(("lambda", "stepfunctions", "dynamodb", "secretsmanager",
                                                "s3", "logs", "total"), 0.01)},
            "connection_year": {"weekly_resyncs_usd": 0.04, "secret_usd": 4.8, "total_usd": 4.84}}
    assert any("$4.8400" in line for line in cost.render(bill))


def test_a_merged_heavy_full_sync_renders_with_its_own_run():
    from bench import report

    entry = {"status": "succeeded", "duration_s": 160.0, "history_in_s": 150.0, "t_min_s": 150.0,
             "ratio": 1.07, "history_in_ratio": 1.0, "bound": {"binding": "uid", "window_floor_s": 135.0},
             "binance_minutes": 8.0, "t_min_binance_minutes": 7.5, "requests": 5100, "weight": 5_000_000,
             "http_429": 0, "http_418": 0,
             "run": {"started_at": "2026-12-02T16:09:03Z", "load_avg": 20.4, "time_scale": 4,
                     "resync": {"requests": 250, "weight": 200_000, "weight_fraction": 0.04}}}
    text = report.render({"full_sync_heavy": {"32": entry}})
    assert "1b. full sync of heavy (run started 2026-12-02T16:09:03Z, load avg 20.4, N = 4)" in text
    assert "  32       160.0     150.0    150.0   1.07" in text
    assert "4.00% of the heavy full sync's weight" in text


def test_narrowed_queries_pay_for_the_whole_items_read_and_batch_gets_per_item():
    meter = cost.Meter()
    item = {"user_id": {"S": "u"}, "sk": {"S": "t#1"}, "body": {"S": "x" * 3000}}
    for n in range(8):  # 8 items of ~3 KB written: the mean stored size
        meter.record("dynamodb", "PutItem", {"TableName": "binsync-transactions",
                                             "Item": {**item, "sk": {"S": f"t#{n}"}}}, {})
    projected = {"TableName": "binsync-transactions", "ProjectionExpression": "sk"}
    meter.record("dynamodb", "Query", projected, {"Items": [{"sk": {"S": "t#1"}}], "ScannedCount": 8})
    # ~24 KB read although 1 short item came back: 6 units of 4 KB, halved (eventually consistent)
    assert meter.between(0, 1e12)["by_table"]["transactions"]["rru"] == 3.0
    batch = {"RequestItems": {"binsync-transactions": {"Keys": [{}] * 3, "ConsistentRead": True}}}
    small = {"sk": {"S": "a"}}
    assert cost.dynamodb_units("BatchGetItem", batch, {"Responses": {
        "binsync-transactions": [small, small]}}) == (0.0, 3.0)  # 2 found + 1 absent, 1 unit each
