"""Travel-rule deposit records (spec §5.3.1): the travel-rule view of some crypto deposits the
generator already made (a detail record attached to the deposit's event; the ledger is unchanged)."""

from __future__ import annotations

import random
from typing import TYPE_CHECKING

from ..account import ApiRecord
from .common import Ids

if TYPE_CHECKING:
    from ..generator import Gen

SHARE = 0.3  # deposits that went through the travel-rule flow


def generate(g: Gen, prices: dict[str, float], rng: random.Random, volumes: dict[str, int]) -> None:
    ids = Ids(rng)
    for ev in list(g.events):
        deposit = next((r for r in ev.api if r.endpoint == "wallet.deposits" and r.completed), None)
        if deposit is None or rng.random() >= SHARE:
            continue
        raw = deposit.raw
        tr_id = ids.next("tr_id", 123_000_000, 5_000)
        row = {
            "trId": tr_id,
            "tranId": ids.next("tr_tran", 17_644_000_000_000, 10**6),
            "amount": raw["amount"],
            "coin": raw["coin"],
            "network": raw["network"],
            "depositStatus": 1,
            "travelRuleStatus": 0,
            "travelRuleStatusV2": "COMPLETED",
            "address": raw["address"],
            "addressTag": raw["addressTag"],
            "txId": raw["txId"],
            "insertTime": raw["insertTime"],
            "completeTime": raw["completeTime"],
            "transferType": raw["transferType"],
            "confirmTimes": raw["confirmTimes"],
            "requireQuestionnaire": False,
            "questionnaire": '{"question1":"answer1"}',
        }
        ev.api.append(
            ApiRecord(
                "wallet.travel_rule_deposits",
                f"travel_rule_deposit:{tr_id}",
                row,
                deposit.time_ms,
                detail=True,
            )
        )
