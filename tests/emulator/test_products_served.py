"""The emulator serves the issue-14 endpoints with their documented rules (catalogue-driven):
maximum windows (-1127), required parameters (-1102), envelopes, page sizes and totals."""

from __future__ import annotations

import time

DAY = 86_400_000


def test_windows_required_params_and_envelopes(server, signed):
    now = int(time.time() * 1000)
    # 180-day maximum of the loan histories (spec §5.12): 180 days exactly is refused, less is served
    path = "/sapi/v2/loan/flexible/borrow/history"
    assert signed.get(path, startTime=now - 180 * DAY, endTime=now).json()["code"] == -1127
    body = signed.get(path, startTime=now - 180 * DAY + 1, endTime=now, limit=100, current=1).json()
    assert set(body) == {"rows", "total"}
    # cloud mining needs both times; SOL boost rewards need `type`; small liability needs current/size
    cloud = "/sapi/v1/asset/ledger-transfer/cloud-mining/queryByPage"
    assert signed.get(cloud).json()["code"] == -1102
    assert signed.get("/sapi/v1/sol-staking/sol/history/boostRewardsHistory").json()["code"] == -1102
    small = "/sapi/v1/margin/exchange-small-liability-history"
    assert signed.get(small, size=10).json()["code"] == -1102
    # mining extra bonus: the mining envelope, only for the account's mining user
    user = server.account.mining_user
    other = signed.get("/sapi/v1/mining/payment/other", algo="sha256", userName="nobody").json()
    assert other["code"] == -1
    bonus = signed.get("/sapi/v1/mining/payment/other", algo="sha256", userName=user, pageSize=200).json()
    assert bonus["code"] == 0 and len(bonus["data"]["otherProfits"]) == bonus["data"]["totalNum"] > 0


def test_current_size_pages_add_up_to_the_total(server, signed):
    now = int(time.time() * 1000)
    path, window = "/sapi/v1/soft-staking/history/rewardsRecord", (now - 89 * DAY, now)
    first = signed.get(path, startTime=window[0], endTime=window[1], size=5, current=1).json()
    rows = list(first["rows"])
    for page in range(2, first["total"] // 5 + 2):
        rows += signed.get(path, startTime=window[0], endTime=window[1], size=5, current=page).json()["rows"]
    assert first["total"] > 5 and len(rows) == first["total"]
    assert len({(r["asset"], r["time"]) for r in rows}) == len(rows)
