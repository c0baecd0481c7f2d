"""Finish's pass over the stored history: every item counted once, sums exact, others' data apart."""

from __future__ import annotations

from decimal import Decimal, localcontext

from binsync.model import Leg, Source, Transaction, transaction_id
from binsync.storage import writer
from binsync.sync import reconcile
from binsync.sync.modes import BINANCE_LAUNCH_MS

NOW = 1_795_000_000_000


def _tx(n: int, time_ms: int, legs: tuple[Leg, ...], symbol: str | None = None) -> Transaction:
    ref = "spot.my_trades" if symbol else "wallet.deposits"
    native = f"trade:{symbol}:{n}" if symbol else f"deposit:{n}"
    return Transaction(id=transaction_id("42", "api", native), account="42", time_ms=time_ms,
                       kind="trade" if symbol else "deposit", legs=legs,
                       source=Source("api", ref, native), meta={"symbol": symbol} if symbol else {})


def test_every_item_is_counted_once_sums_are_exact_and_other_users_apart(cloud):
    times = [0, BINANCE_LAUNCH_MS, NOW - 1, NOW, NOW, NOW + 10**9]  # two at the same millisecond
    tiny, large = Decimal("0.000000000000000001"), Decimal("123456789012.5")  # 30 significant digits
    txs = [_tx(n, t, (Leg("BTC", tiny, "spot", "in"), Leg("BTC", large, "spot", "in"),
                      Leg("BTC", Decimal(7), "earn", "in")))
           for n, t in enumerate(times)]
    txs.append(_tx(99, NOW - 5, (Leg("BNB", Decimal(1), "spot", "in"),), symbol="BNBBTC"))
    writer.write_transactions(txs, user_id="u1")
    writer.write_transactions(txs[:3], user_id="u2")  # another user: never counted

    totals = reconcile.stored_totals("u1", "42")
    n = len(times)
    with localcontext() as ctx:
        ctx.prec = 80
        exact = (large + tiny) * n  # 31 significant digits: more than Decimal's default 28
    assert totals.balances == {"BTC": exact, "BNB": Decimal(1)}
    assert totals.trade_markets == {"BNBBTC"}
    assert reconcile.stored_totals("u1", "42", wallet="earn").balances == {"BTC": Decimal(7 * n)}
