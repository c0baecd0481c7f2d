"""End to end on `small` for the issue-14 products: a full sync through the real cloud (API,
state machine, handlers) against the emulator stores every record each new endpoint can return,
once, with two seeds other than 42, and every wallet the new products move is conserved.

The sync is restricted (SYNC_ONLY_ENDPOINTS) to the new endpoints and `loans.income`, the ledger
the loan histories are detail of. The mining lists (planned per mining account of the connection)
are checked in tests/sync/test_sync_margin_futures_emulator.py.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from binsync.model import Transaction
from binsync.normalise import legs_sum
from binsync.storage.models import TransactionModel, account_key
from binsync_local.cli.sync_cmd import ProgressBar, allow_base_url, follow_run, register_key
from binsync_local.emulator.generator import generate_account
from binsync_local.emulator.products import SYNCED_ENDPOINTS
from binsync_local.emulator.server import EmulatorServer

USER = "user-products"
NEW = SYNCED_ENDPOINTS
CHECKED = (*NEW, "loans.income")


@pytest.mark.parametrize("seed", [7, 13])
def test_full_sync_stores_every_new_product_record_once(cloud, monkeypatch, seed):
    account = generate_account("small", seed)
    monkeypatch.setenv("SYNC_ONLY_ENDPOINTS", ",".join(CHECKED))
    server = EmulatorServer(account, time_scale=60).start()
    try:
        allow_base_url(server.base_url)
        creds = server.credentials
        body = register_key(cloud, base_url=server.base_url, api_key=creds["api_key"],
                            api_secret=creds["api_secret"], key_type="hmac", mode="full", user=USER)
        run = follow_run(cloud, body["connection_id"], body["current_run"]["run_id"], timeout=300,
                         progress=ProgressBar(False))
    finally:
        server.stop()
    assert run.status == "succeeded" and run.tasks_done == run.tasks_total
    # what no endpoint returns is named on the run: the dual-investment settlement (statement only)
    gaps = run.coverage["dual_investment"]["statement_only"]
    assert [g["endpoint"] for g in gaps] == ["dual_investment.positions"]

    truth = account.truth()
    expected = truth.api_ids()
    items = list(TransactionModel.by_account.query(account_key(USER, str(account.uid))))
    stored: dict[str, list[str]] = {}
    for item in items:
        stored.setdefault(item.source_ref, []).append(item.tx_id)
    for name in CHECKED:
        ids = stored.get(name, [])
        assert expected.get(name), f"{name}: the emulator generated nothing to check"
        assert len(ids) == len(set(ids)), f"{name}: duplicates"
        missing, extra = expected[name] - set(ids), set(ids) - expected[name]
        assert not missing and not extra, f"{name}: {len(missing)} missing, {len(extra)} extra"
    assert set(stored) <= set(CHECKED)

    # Conservation: per (asset, wallet), the stored legs equal the ledger legs of these records.
    want: dict[tuple[str, str], Decimal] = {}
    for name in CHECKED:
        for rec in truth.api_records(name):
            for asset, amount, wallet, _role in (rec.legs if rec.completed else ()):
                want[(asset, wallet)] = want.get((asset, wallet), Decimal(0)) + amount
    got = legs_sum(Transaction.from_dict(item.body) for item in items)
    assert {k: v for k, v in got.items() if v} == {k: v for k, v in want.items() if v}
    assert any(w == "loan" for _, w in got) and any(w == "margin_cross" for _, w in got)
    # dual investment: the subscriptions moved spot -> earn; the settlements (statement-only events
    # of the truth) are not in any stored record, so the earn balance they close stays a named gap
    settlements = [e for e in account.events if e.note.startswith("dual investment settlement")]
    assert settlements and all(not e.api and e.rows for e in settlements)
