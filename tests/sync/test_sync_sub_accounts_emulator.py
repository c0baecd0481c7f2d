"""Sub-account transfers of a master account (spot, universal and futures histories), end to end
on `small` (issue 14, spec §5.13).

The emulator, the real API handler, state machine and handlers. The sub-accounts come from
`sub-account/list` at plan time (no user input); every transfer the API returns is stored once,
the master's side with its legs and a transfer between two sub-accounts with none. A key of an
account that is not a master plans nothing and the run names no gap for it.
"""

from __future__ import annotations

import json

import pytest
from binsync.storage.models import TaskModel, TransactionModel, account_key
from binsync_local.cli.sync_cmd import ProgressBar, allow_base_url, follow_run
from binsync_local.emulator.generator import generate_account
from binsync_local.emulator.server import EmulatorServer

USER = "user-subs"
NAMES = ("sub_account.spot_transfers", "sub_account.universal_transfers", "sub_account.futures_transfers")


def _sync(cloud, account, monkeypatch):
    monkeypatch.setenv("SYNC_ONLY_ENDPOINTS", ",".join(NAMES))
    server = EmulatorServer(account, time_scale=60).start()
    try:
        allow_base_url(server.base_url)
        creds = server.credentials
        status, _, body = cloud.api_request("POST", "/connections", user=USER, body={
            "api_key": creds["api_key"], "api_secret": creds["api_secret"], "base_url": server.base_url,
            "sync_mode": "full"})
        assert status == 201, body
        run = follow_run(cloud, body["connection_id"], body["current_run"]["run_id"], timeout=300,
                         progress=ProgressBar(False))
    finally:
        server.stop()
    assert run.status == "succeeded", run.error
    return run


def _stored(account) -> dict[str, list]:
    out: dict[str, list] = {}
    for item in TransactionModel.by_account.query(account_key(USER, str(account.uid))):
        body = item.body if isinstance(item.body, dict) else json.loads(item.body)
        out.setdefault(item.source_ref, []).append((item.tx_id, body))
    return out


@pytest.mark.parametrize("seed", [7, 13])
def test_a_masters_sub_account_transfers_are_stored_once_from_the_discovered_list(cloud, monkeypatch, seed):
    account = generate_account("small", seed)
    assert account.sub_accounts, "the account is no master: the test proves nothing"
    run = _sync(cloud, account, monkeypatch)

    expected, stored = account.truth().api_ids(), _stored(account)
    for name in NAMES:
        ids = [tx_id for tx_id, _ in stored.get(name, [])]
        assert expected.get(name), f"the account has no {name} records: the test proves nothing"
        assert len(ids) == len(set(ids)) and set(ids) == expected[name], name
    # The variants name exactly the sub-accounts sub-account/list gave, in both directions, and
    # for the futures history each sub-account with each futures type.
    emails = {s["email"] for s in account.sub_accounts}
    tasks = list(TaskModel.query(run.run_id))
    asked = {tuple(sorted((t.params or {}).items())) for t in tasks}
    assert asked == {((p, e),) for e in emails for p in ("fromEmail", "toEmail")} | {
        (("email", e), ("futuresType", f)) for e in emails for f in ("1", "2")}
    assert run.coverage["sub_account"]["scopes"]["sub_accounts"]["walked"] == len(emails)
    # Conservation on the master's side: the stored legs sum to the emulator's ledger legs.
    want: dict[tuple[str, str], float] = {}
    for ev in account.events:
        if any(r.endpoint in NAMES for r in ev.api):
            for asset, amount, wallet, _ in ev.legs:
                want[(asset, wallet)] = want.get((asset, wallet), 0) + amount
    got: dict[tuple[str, str], float] = {}
    for name in NAMES:
        for _, body in stored[name]:
            for leg in body["legs"]:
                key = (leg["asset"], leg["wallet"])
                got[key] = got.get(key, 0) + type(next(iter(want.values())))(leg["amount"])
    assert {k: v for k, v in got.items() if v} == {k: v for k, v in want.items() if v}


def test_a_non_master_key_plans_nothing_and_names_no_gap(cloud, monkeypatch):
    account = generate_account("small", 7)
    account.sub_accounts = []
    account.events = [e for e in account.events if not any(r.endpoint in NAMES for r in e.api)]
    account._index = None
    run = _sync(cloud, account, monkeypatch)
    assert not list(TaskModel.query(run.run_id))
    coverage = run.coverage["sub_account"]
    assert coverage["scopes"]["sub_accounts"] == {"rule": "not_a_master_account", "walked": 0}
    assert not coverage.get("not_planned")
