"""Cross-check of two independent implementations of docs/ledger.md: the emulator's generator
(ledger events rendered into API rows) and the normalisers (API rows back into legs).

Every API record the emulator renders for a generated `small` account is normalised as the sync
would (rows round-tripped through JSON with parse_float=Decimal, batched per request partition,
with the request's context). Then, per record: the same native key, the same legs, detail records
without legs, non-completed records skipped; and per (asset, wallet): the normalised legs plus the
statement-only events equal the ledger's balances (conservation against ground truth).

Zero-amount legs are ignored in the per-record comparison: the emulator writes a zero fee leg
for fee-free fiat deposits while dropping zero fees elsewhere (trades, P2P); the normalisers never
write zero fee legs. A zero leg moves no balance, so conservation is unaffected.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from decimal import Decimal
from typing import Any

import pytest
from binsync.model import Transaction
from binsync.normalise import legs_sum, normalise

generator = pytest.importorskip("binsync_local.emulator.generator")

NOW_MS = 1_795_000_000_000  # fixed, so the generated account is deterministic


def _nonzero(legs) -> Counter:
    return Counter((asset, Decimal(amount), wallet, role) for asset, amount, wallet, role in legs
                   if Decimal(amount) != 0)


def normalise_account(account: Any) -> tuple[dict[str, Transaction], list[str]]:
    """All transactions (by id) and every disagreement with the emulator's records."""
    uid = str(account.uid)
    problems: list[str] = []
    found: dict[str, Transaction] = {}
    for name, records in account.records().items():
        batches: dict[tuple, list] = defaultdict(list)
        for record in records:
            batches[record.part].append(record)
        for batch in batches.values():
            rows = [json.loads(json.dumps(r.raw, default=str), parse_float=Decimal) for r in batch]
            result = normalise(name, rows, uid=uid, context=account.request_context(batch[0]))
            problems += [f"rejected {name} {batch[i].native_key}: {field}: {why}"
                         for i, field, why in result.rejected]
            skipped = dict(result.skipped)
            by_key = {tx.source.native_id: tx for tx in result.transactions}
            for index, record in enumerate(batch):
                tx = by_key.get(record.native_key)
                if not record.completed:
                    if index not in skipped:
                        problems.append(f"not skipped {name} {record.native_key}")
                    continue
                if tx is None:
                    if index in skipped:
                        problems.append(f"skipped {name} {record.native_key}: {skipped[index]}")
                    elif not any(i == index for i, _, _ in result.rejected):
                        problems.append(f"native key differs {name} {record.native_key}")
                    continue
                if _nonzero(record.legs) != _nonzero(
                        (leg.asset, leg.amount, leg.wallet, leg.role) for leg in tx.legs):
                    problems.append(f"legs differ {name} {record.native_key}: ledger {record.legs} "
                                    f"normalised {[leg.to_dict() for leg in tx.legs]}")
                if record.detail != ("detail_of" in tx.meta) or (record.detail and tx.legs):
                    problems.append(f"detail differs {name} {record.native_key}")
                found[tx.id] = tx
    return found, problems


@pytest.mark.parametrize("seed", [1, 4, 5])
def test_normalising_every_emulated_record_reproduces_the_ledger(seed):
    account = generator.generate_account("small", seed, now_ms=NOW_MS)
    found, problems = normalise_account(account)
    assert problems == []
    # every endpoint of the ledger that the emulator renders was exercised
    assert len({tx.source.ref for tx in found.values()}) >= 35

    # conservation: API legs + statement-only events == the ledger's balances, per (asset, wallet)
    totals = defaultdict(Decimal, legs_sum(found.values()))
    for event in account.events:
        if not any(r.legs and not r.detail for r in event.api):
            for asset, amount, wallet, _role in event.legs:
                totals[(asset, wallet)] += amount
    truth = account.truth().balances(include_external=True)
    assert {k: v for k, v in totals.items() if v != 0} == truth


def test_kinds_match_the_ledger_events():
    """Where one record carries an event's legs, its kind is the event's kind. (A futures fill is
    a `trade` event whose legs come from income rows: COMMISSION is `fee` per docs/ledger.md.)"""
    account = generator.generate_account("small", 3, now_ms=NOW_MS)
    found, _ = normalise_account(account)
    by_key = {tx.source.native_id: tx for tx in found.values()}
    compared = 0
    for event in account.events:
        ledger = [r for r in event.api if r.legs and not r.detail]
        if len(ledger) != 1 or ledger[0].endpoint.endswith(".income"):
            continue
        assert by_key[ledger[0].native_key].kind == event.kind, ledger[0].native_key
        compared += 1
    assert compared > 200


def test_noise_records_are_all_skipped_and_retries_add_nothing():
    account = generator.generate_account("small", 2, now_ms=NOW_MS)
    first, problems = normalise_account(account)
    again, _ = normalise_account(account)
    assert problems == [] and first.keys() == again.keys()
    assert any(not r.completed for r in account.noise)
    noise_ids = {r.native_key for r in account.noise}
    assert not noise_ids & {tx.source.native_id for tx in first.values()}
