"""Travel-rule deposit history (`wallet.travel_rule_deposits`, spec §5.3.1 last bullet).

In travel-rule jurisdictions Binance also lists deposits under /sapi/v1/localentity/deposit/history
with the travel-rule questionnaire state. The balance movement is the crypto deposit that
`wallet.deposits` returns; this row is its travel-rule detail (no legs), keyed by `trId`, so the
deposit is never counted twice. Only credited deposits (depositStatus 1) are kept, like
`wallet.deposits`: a pending one is read again once final (catalogue settle_ms).
"""

from __future__ import annotations

from binsync.model import Transaction

from .base import Row, RowContext, Skip, dstr

CREDITED = 1


def travel_rule_deposits(row: Row, ctx: RowContext) -> Transaction | Skip:
    status = row.ident("depositStatus")
    if status != str(CREDITED):
        return Skip(f"depositStatus={status} (only 1, credited, is final)")
    coin, amount = row.text("coin"), row.dec("amount", nonneg=True)
    keys = ("tranId", "txId", "network", "travelRuleStatus", "travelRuleStatusV2", "requireQuestionnaire",
            "questionnaire")
    meta = {key: row.get(key) for key in keys}
    meta["amount"] = dstr(amount)
    return ctx.tx(f"travel_rule_deposit:{row.ident('trId')}", "deposit", [], row.first_ms("insertTime",
                  "completeTime"), meta=meta, detail_of="wallet.deposits",
                  description=f"Travel-rule record of a {dstr(amount)} {coin} deposit")


NORMALISERS = {"wallet.travel_rule_deposits": travel_rule_deposits}
