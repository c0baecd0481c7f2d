"""Helpers of the API tests (imported by conftest.py and the tests).

API tests run through the embedded cloud: real API Gateway events, the real functions/api
handler, moto DynamoDB/Secrets Manager/S3.

`FakeBinance` answers the three registration calls per API key (apiRestrictions, account,
account/info) so each refusal case is one line; the end-to-end tests use the emulator instead.
`api.stub_sync()` replaces the state machine start with a run record only, for tests about the
API rather than the sync.
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest
from binsync.binance.errors import CredentialsInvalid, TransientError

READ_ONLY = {
    "ipRestrict": False, "createTime": 1_698_645_219_000, "enableReading": True,
    "enableWithdrawals": False, "enableInternalTransfer": False, "enableMargin": False,
    "enableFutures": True, "permitsUniversalTransfer": False, "enableVanillaOptions": False,
    "enableFixApiTrade": False, "enableFixReadOnly": False, "enableSpotAndMarginTrading": False,
    "enablePortfolioMarginTrading": False,
}


@dataclass
class FakeKey:
    secret: str
    uid: int
    restrictions: dict[str, Any]
    info: dict[str, Any] = field(default_factory=lambda: {"vipLevel": 0, "isMarginEnabled": True,
                                                          "isFutureEnabled": True, "isOptionsEnabled": False})
    down: bool = False


class FakeBinance:
    """Registration answers per API key; errors as the real client raises them."""

    def __init__(self) -> None:
        self.keys: dict[str, FakeKey] = {}
        self.calls: list[tuple[str, str]] = []
        self._n = itertools.count(1)

    def add_key(self, uid: int = 354937868, **restrictions: Any) -> tuple[str, str]:
        n = next(self._n)
        api_key = hashlib.sha256(f"key-{n}".encode()).hexdigest()
        secret = hashlib.sha256(f"secret-{n}".encode()).hexdigest()
        self.keys[api_key] = FakeKey(secret, uid, {**READ_ONLY, **restrictions})
        return api_key, secret

    def factory(self, credentials: Any, base_url: str) -> Callable[[str], Any]:
        def fetch(name: str) -> Any:
            self.calls.append((credentials.api_key, name))
            key = self.keys.get(credentials.api_key)
            if key is None:
                raise CredentialsInvalid("Invalid API-key, IP, or permissions for action.", code=-2015,
                                         http_status=401)
            if key.down:
                raise TransientError("server busy", code=-1008, http_status=503)
            if credentials.secret != key.secret:
                raise CredentialsInvalid("Signature for this request is not valid.", code=-1022,
                                         http_status=400)
            if name == "account.api_restrictions":
                return dict(key.restrictions)
            if name == "account.spot":
                return {"uid": key.uid, "canTrade": True, "permissions": ["SPOT"], "balances": []}
            if name == "account.info":
                return dict(key.info)
            raise AssertionError(f"unexpected call {name}")

        return fetch


class Api:
    def __init__(self, cloud: Any, fake: FakeBinance, monkeypatch: pytest.MonkeyPatch) -> None:
        self.cloud = cloud
        self.fake = fake
        self.monkeypatch = monkeypatch
        self.sync_starts: list[tuple[str, str, str, str]] = []

    def call(self, method: str, path: str, user: str | None = "user-a", body: Any = None,
             query: dict[str, Any] | None = None, headers: dict[str, str] | None = None) -> tuple[int, Any]:
        status, _headers, payload = self.cloud.api_request(method, path, body=body, user=user, query=query,
                                                           headers=headers)
        return status, payload

    def raw(self, method: str, path: str, user: str | None = "user-a", body: Any = None,
            query: dict[str, Any] | None = None) -> tuple[int, dict[str, str], Any]:
        return self.cloud.api_request(method, path, body=body, user=user, query=query)

    def stub_sync(self) -> None:
        """start_sync creates the run and claims the connection, without an execution."""
        from binsync.storage.models import ConnectionModel, RunModel
        from binsync.sync.errors import ConnectionNotSyncable, SyncAlreadyRunning

        counter = itertools.count(1)

        def fake_start(user_id: str, connection_id: str, mode: str, trigger: str, *,
                       scheduled_time: Any = None, idempotency_key: str | None = None) -> Any:
            conn = ConnectionModel.get(user_id, connection_id)
            if conn.status != "active":
                raise ConnectionNotSyncable(connection_id, f"connection is {conn.status}")
            if conn.last_run_id:
                last = RunModel.get(connection_id, conn.last_run_id)
                if last.status in ("planning", "running"):
                    raise SyncAlreadyRunning(connection_id, last.run_id)
            run_id = f"{1_700_000_000_000 + next(counter):013d}-stub"
            run = RunModel(connection_id, run_id, user_id=user_id, binance_uid=conn.binance_uid, mode=mode,
                           trigger=trigger, status="planning", started_at=1_700_000_000_000)
            run.save()
            conn.update(actions=[ConnectionModel.last_run_id.set(run_id)])
            self.sync_starts.append((user_id, connection_id, mode, trigger))
            return run

        self.monkeypatch.setattr("binsync.sync.start.start_sync", fake_start)

    def finish_runs(self, connection_id: str, status: str = "succeeded") -> None:
        from binsync.storage.models import RunModel

        for run in RunModel.query(connection_id):
            if run.status in ("planning", "running"):
                run.update(actions=[RunModel.status.set(status), RunModel.finished_at.set(1_700_000_100_000),
                                    RunModel.tasks_total.set(4), RunModel.tasks_done.set(4)])

    def register(self, user: str = "user-a", uid: int = 354937868, **body: Any) -> dict[str, Any]:
        api_key, secret = self.fake.add_key(uid=uid)
        status, payload = self.call("POST", "/connections", user=user,
                                    body={"api_key": api_key, "api_secret": secret, **body})
        assert status == 201, payload
        payload["_secret"] = secret
        payload["_api_key"] = api_key
        return payload

    def seed_transactions(self, user: str, uid: str, n: int, *, connection_id: str | None = None,
                          source: str = "api", start_ms: int = 1_600_000_000_000, step_ms: int = 3_600_000,
                          kinds: tuple[str, ...] = ("trade", "deposit", "reward")) -> list[str]:
        """Store n transactions of account uid for user; returns their ids in time order."""
        from binsync.model import Leg, Source, Transaction, transaction_id
        from binsync.storage.models import TransactionModel, account_key, transaction_sk

        ids = []
        with TransactionModel.batch_write() as batch:
            for i in range(n):
                kind = kinds[i % len(kinds)]
                tx_id = transaction_id(uid, source, f"{kind}-{i}")
                if kind == "trade":
                    legs = (Leg("BTC", Decimal("0.01") + i, "spot", "in"),
                            Leg("USDT", Decimal("-300.5"), "spot", "out"),
                            Leg("BNB", Decimal("-0.0001"), "spot", "fee"))
                elif kind == "deposit":
                    legs = (Leg("ETH", Decimal("1.5"), "spot", "in"),)
                else:
                    legs = (Leg("USDC", Decimal("0.134210"), "earn", "in"),)
                tx = Transaction(id=tx_id, account=uid, time_ms=start_ms + i * step_ms, kind=kind, legs=legs,
                                 source=Source(source, f"{kind}.endpoint", native_id=str(10**17 + i),
                                               raw={"id": 10**17 + i}),
                                 description=f"{kind} {i}")
                batch.save(TransactionModel(
                    user, transaction_sk(tx.time_ms, tx_id), tx_id=tx_id, account_key=account_key(user, uid),
                    binance_uid=uid, connection_id=connection_id, time_ms=tx.time_ms, kind=kind,
                    assets=sorted({leg.asset for leg in legs}), wallets=sorted({leg.wallet for leg in legs}),
                    source_kind=source, source_ref=tx.source.ref, body=tx.to_dict()))
                ids.append(tx_id)
        return ids
