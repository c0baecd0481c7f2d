"""A card buy in a real statement and its card payment record (`fiat.payments`) are one event.

Real exports write a `Buy Crypto` in three shapes (tests/statement/data/real/): the fiat debited
on Spot, then the crypto (a 2025+ export, EUR -100 / USDC +98.12 / EUR -1.80 over 3 s); the card
charge credited on Spot and spent with the crypto (everytrade's CZK fixture); the crypto alone
(rotki's fixture). The API record says the fiat left a card (`external`). Whichever is stored
first, the other is recognised: one event, the crypto received once, the fiat paid once.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from binsync.model import Transaction
from binsync.normalise import normalise
from binsync.statement.merge import reconcile_api_transactions

from .test_upload import CONN, USER, _create_upload, _ensure_connection, _items, _report

D = Decimal
REAL = Path(__file__).parent / "data" / "real"
# Binance's documented fiat payments example (shared/spec/binance-api.md §5, the sample of
# tests/normalise/normalise_samples.py), completed, with each buy's own currency, amounts and time.
DOC_PAYMENT = json.loads(
    '{"orderNo":"353fca443f06466db0c4dc89f94f027a","sourceAmount":"20.0","fiatCurrency":"EUR",'
    '"obtainAmount":"4.462","cryptoCurrency":"LUNA","totalFee":"0.2","price":"4.437472","status":"Failed",'
    '"paymentMethod":"Credit Card","createTime":1624529919000,"updateTime":1624529919000}')

# (corpus file, its uid, the card payment of its buy, expected stored legs {(asset, wallet): sum})
CASES = {
    "fiat_on_spot": ("Binance-Transaction-History-202609011815(UTC+5)-part1-of1.csv", "222333444",
                     {"sourceAmount": "101.80", "fiatCurrency": "EUR", "obtainAmount": "98.12",
                      "cryptoCurrency": "USDC", "totalFee": "1.80", "createTime": "2025-11-04 13:30:10"},
                     {("USDC", "spot"): D("98.12"), ("EUR", "spot"): D("-101.80")}),
    "charge_credited_then_spent": ("everytrade_buy_crypto_czk.csv", "155380140",
                                   {"sourceAmount": "1471.50", "fiatCurrency": "CZK",
                                    "obtainAmount": "0.02339931", "cryptoCurrency": "ETH", "totalFee": "0",
                                    "createTime": "2022-01-21 05:27:49"},
                                   {("ETH", "spot"): D("0.02339931"), ("CZK", "external"): D("-1471.50")}),
    "crypto_only": ("rotki_binance_history.csv", "1",
                    {"sourceAmount": "450.00", "fiatCurrency": "EUR", "obtainAmount": "479.6780028",
                     "cryptoCurrency": "BUSD", "totalFee": "4.50", "createTime": "2023-06-12 12:06:41"},
                    {("BUSD", "spot"): D("479.6780028"), ("EUR", "external"): D("-450.00")}),
}


def _buy_rows(file_name: str) -> bytes:
    """The file's header and its `Buy Crypto` rows, verbatim (the rest of the file is other events)."""
    lines = (REAL / file_name).read_bytes().decode("utf-8-sig").splitlines()
    return ("\n".join([lines[0], *(ln for ln in lines[1:] if "Buy Crypto" in ln)]) + "\n").encode()


def _api_buy(uid: str, fields: dict[str, str]) -> Transaction:
    when = datetime.strptime(fields["createTime"], "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
    row = {**DOC_PAYMENT, **fields, "status": "Completed", "createTime": int(when.timestamp()) * 1000 + 421,
           "updateTime": int(when.timestamp()) * 1000 + 5421}
    result = normalise("fiat.payments", [row], uid=uid, context={"transactionType": "0"})
    assert not result.rejected and not result.skipped
    return result.transactions[0]


def _write_api(tx: Transaction, uid: str) -> None:
    from binsync.storage.writer import write_transactions

    write_transactions([tx], user_id=USER, connection_id=CONN)
    reconcile_api_transactions(USER, uid, [tx])  # what the sync does after each page


def _state() -> tuple[list[tuple[str, str]], dict[tuple[str, str], Decimal]]:
    items = _items()
    sums: dict[tuple[str, str], Decimal] = {}
    for item in items:
        body = item.body if isinstance(item.body, dict) else json.loads(item.body)
        for leg in body["legs"]:
            key = (leg["asset"], leg["wallet"])
            sums[key] = sums.get(key, D(0)) + D(leg["amount"])
    return sorted((i.source_kind, i.kind) for i in items), {k: v for k, v in sums.items() if v}


@pytest.mark.parametrize("api_first", [True, False], ids=["api_first", "statement_first"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_a_real_card_buy_and_its_card_payment_record_are_stored_once(cloud: Any, case: str,
                                                                     api_first: bool) -> None:
    file_name, uid, payment, expected = CASES[case]
    _ensure_connection(uid)
    api = _api_buy(uid, payment)
    if api_first:
        _write_api(api, uid)
    cloud.put_upload(_create_upload("u-1", file_name, uid=uid), _buy_rows(file_name))
    status, report = _report("u-1")
    assert status == "done", report
    if not api_first:
        _write_api(api, uid)
    shape, sums = _state()
    assert shape == [("api", "card_buy")]  # one event: no statement twin, no stray fiat deposit
    assert sums == expected  # crypto received once, the fiat paid once, from where Binance shows it
    (item,) = _items()
    assert item.merged_from and item.tx_id == api.id
    assert sorted(item.wallets) == sorted({w for _, w in expected})

    # A resync rewrites the record from its raw row: what the statement proved is kept.
    from binsync.storage.writer import write_transactions

    again = write_transactions([api], user_id=USER, connection_id=CONN)
    assert again.updated == 0 and again.unchanged == 1
    assert _state() == (shape, expected)


def test_erasing_the_statement_gives_the_card_buy_back_its_api_wallets(cloud: Any) -> None:
    from binsync.transactions.erasure import erase_statement_transactions

    file_name, uid, payment, expected = CASES["fiat_on_spot"]
    _ensure_connection(uid)
    api = _api_buy(uid, payment)
    _write_api(api, uid)
    cloud.put_upload(_create_upload("u-1", file_name, uid=uid), _buy_rows(file_name))
    assert _state() == ([("api", "card_buy")], expected)
    erase_statement_transactions(USER, uid)
    api_only = {("USDC", "spot"): D("98.12"), ("EUR", "external"): D("-101.80")}
    assert _state() == ([("api", "card_buy")], api_only)
    (item,) = _items()
    assert not item.merged_from and sorted(item.wallets) == ["external", "spot"]
