from decimal import Decimal

from binsync.model import Leg, Source, Transaction, format_decimal, transaction_id


def test_transaction_id_is_deterministic_and_scoped_by_account():
    a = transaction_id("1001", "api", "spot_trade:BTCUSDT:28457")
    assert a == transaction_id("1001", "api", "spot_trade:BTCUSDT:28457")
    assert a != transaction_id("1002", "api", "spot_trade:BTCUSDT:28457")
    assert a != transaction_id("1001", "statement", "spot_trade:BTCUSDT:28457")


def test_decimal_strings_never_scientific():
    assert format_decimal(Decimal("-3.605E-05")) == "-0.00003605"
    assert format_decimal(Decimal("4723846.89208129000")) == "4723846.89208129"
    assert format_decimal(Decimal("0E-8")) == "0"


def test_round_trip_keeps_decimals_and_big_ids():
    tx = Transaction(
        id="x", account="354937868", time_ms=1499865549590, kind="convert",
        legs=(Leg("USDT", Decimal("-20"), "spot", "out"), Leg("BNB", Decimal("0.06154036"), "spot", "in")),
        source=Source("api", "convert.trade_flow", "convert:940708407462087200",
                      {"orderId": 940708407462087200}),
    )
    back = Transaction.from_dict(tx.to_dict())
    assert back == tx
    assert back.legs[1].amount == Decimal("0.06154036")
    assert back.source.raw["orderId"] == 940708407462087200
