"""Every wallet reconciled (issue 15 item 2), end to end on `small`, against the ground truth.

A full sync with the API only leaves differences; each must be the exact sum of what the API
could not give, and name its true cause and a period holding every missing event. After the
statement is uploaded the way a user downloads it (one file per year, overlapping edges),
every asset of every checked wallet balances.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

import pytest
from binsync.binance.catalogue import ENDPOINTS
from binsync.storage.models import TransactionModel, account_key
from binsync.sync.reconcile_wallets import merge_periods, uncovered
from binsync_local.cli.demo_cmd import upload_statements
from binsync_local.cli.sync_cmd import ProgressBar, allow_base_url, follow_run
from binsync_local.emulator.generator import generate_account
from binsync_local.emulator.server import EmulatorServer

USER = "user-reconcile"


def true_cause(account, truth, ev, stored_ids: set[str]) -> str:
    """Why the API did not give this event's legs, from the generator's records."""
    from binsync.model import transaction_id

    with_legs = [r for r in ev.api if r.legs and not r.detail]
    if not with_legs:
        return "statement_period"
    if any(r.symbol in account.removed_symbols for r in with_legs):
        return "delisted_market"
    if not any(truth.reachable(r) for r in with_legs):
        return "beyond_retention"
    uid = str(account.uid)
    if not any(transaction_id(uid, "api", r.native_key) in stored_ids for r in with_legs):
        return "not_read"
    return "stored"


@pytest.fixture(scope="module")
def account():
    return generate_account("small", 7)


def _sync(cloud, server) -> tuple[str, object]:
    creds = server.credentials
    status, _, body = cloud.api_request("POST", "/connections", user=USER, body={
        "api_key": creds["api_key"], "api_secret": creds["api_secret"], "base_url": server.base_url,
        "sync_mode": "full"})
    assert status == 201, body
    run = follow_run(cloud, body["connection_id"], body["current_run"]["run_id"], timeout=600,
                     progress=ProgressBar(False))
    return body["connection_id"], run


def test_api_only_differences_are_attributed_then_the_statement_balances_every_wallet(cloud, account):
    server = EmulatorServer(account, time_scale=60).start()
    try:
        allow_base_url(server.base_url)
        connection_id, run = _sync(cloud, server)
        assert run.status == "succeeded", run.error
        rec = run.reconciliation
        assert "results" in rec, rec
        stored_ids = {i.tx_id for i in TransactionModel.by_account.query(account_key(USER, str(account.uid)))}
        truth = account.truth()
        # What the ledger holds that the stored transactions do not explain, and why.
        missing: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
        causes: dict[tuple[str, str], dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
        for ev in account.events:
            cause = true_cause(account, truth, ev, stored_ids)
            if cause == "stored":
                continue
            for asset, amount, wallet, _role in ev.legs:
                if wallet != "external":
                    missing[(wallet, asset)] += amount
                    causes[(wallet, asset)][cause].append(ev.time_ms)
        by_key = {(r["wallet"], r["asset"]): r for r in rec["results"]}
        checked = set(rec["wallets_checked"])
        assert checked >= {"spot", "funding", "earn", "margin_cross", "margin_isolated", "usdm", "coinm",
                           "options", "loan"}
        differences = 0
        for key, row in by_key.items():
            if row["status"] == "not_checked":
                assert key[0] not in checked
                continue
            expected = missing.get(key, Decimal(0))
            assert Decimal(row["difference"]) == expected, key  # exact, to the last unit
            if expected == 0:
                assert row["status"] == "balanced", key
                continue
            differences += 1
            named = defaultdict(list)
            for c in row["candidates"]:
                named[c["cause"]].append(c["period"])
            for cause, times in causes[key].items():
                assert cause in named, (key, cause, list(named))
                assert any(p["from_ms"] <= min(times) and max(times) <= p["to_ms"] for p in named[cause]), \
                    (key, cause)
        assert differences > 0  # the API alone cannot explain this account
        assert any(r["status"] == "difference" and r["cause"] == "beyond_retention" for r in rec["results"])
        status, _, body = cloud.api_request("GET", f"/connections/{connection_id}/syncs/{run.run_id}",
                                            user=USER)
        assert status == 200 and body["reconciliation"]["assets"] == rec["assets"]

        # The statement, every year since the account opened, overlapping files.
        uploaded = upload_statements(cloud, account, connection_id, USER)
        assert len(uploaded["files"]) >= 2 and all(f["status"] == "done" for f in uploaded["files"])
        after = uploaded["reconciliation"]
        not_balanced = [r for r in after["results"] if r["status"] != "balanced"]
        assert all(r["status"] == "not_checked" for r in not_balanced), not_balanced
        # Only wallets Binance reports no balance for stay unchecked, and they are named.
        assert {r["wallet"] for r in not_balanced} <= {"mining"}
        held = {(w, a) for (a, w) in truth.balances()} | {
            (w, a) for ev in account.events for a, _x, w, _r in ev.legs if w != "external"}
        assert held <= {(r["wallet"], r["asset"]) for r in after["results"]}
    finally:
        server.stop()


def test_statement_coverage_gaps_are_the_parts_no_file_covers():
    day = 86_400_000
    covered = merge_periods([(10 * day, 20 * day), (19 * day, 30 * day), (40 * day, 50 * day)])
    assert covered == [(10 * day, 30 * day), (40 * day, 50 * day)]
    assert uncovered(0, 60 * day, covered) == [(0, 10 * day - 1), (30 * day + 1, 40 * day - 1),
                                               (50 * day + 1, 60 * day)]
    assert uncovered(12 * day, 25 * day, covered) == []


def test_every_wallet_with_a_balance_endpoint_is_in_the_catalogue():
    wallets = {ep.balance.wallet for ep in ENDPOINTS.values() if ep.balance}
    assert wallets == {"spot", "funding", "earn", "margin_cross", "margin_isolated", "usdm", "coinm",
                       "options", "loan"}
    assert ENDPOINTS["wallet.funding_balances"].http_method == "POST"


def test_every_product_the_catalogue_syncs_names_the_wallets_it_moves():
    """A product missing here can never explain a wallet difference, and no statement can cover
    its periods (statement.upload.record_coverage): sub-account futures transfers stayed a gap
    after every yearly statement was uploaded."""
    from binsync.binance.catalogue import ENDPOINTS
    from binsync.sync.reconcile_wallets import PRODUCT_WALLETS

    products = {ep.product for ep in ENDPOINTS.values() if ep.history}
    assert sorted(products - set(PRODUCT_WALLETS)) == []
    assert {"usdm", "coinm"} <= set(PRODUCT_WALLETS["sub_account"])
