"""DynamoDB tables as pynamodb models.

Table names come from the environment (set by template.yaml on AWS and by the embedded cloud
locally); the defaults are the local stack's names. Every user-facing table is partitioned by
the user id taken from the authorizer, so a query can never reach another user's items.

Keys:
- Connections:  user_id / connection_id          (GSI by_uid: binance_uid / user_id;
                GSI by_resync_slot: resync_slot, the hour of the week of its weekly resync)
- Runs:         connection_id / run_id           (run ids sort by start time)
- Tasks:        run_id / task_id                 (checkpoint of one planned task)
- Transactions: user_id / sk = "<time_ms:013d>#<tx id>"  (GSI by_id: user_id+tx_id; GSI by_account)
- Annotations:  account_key = "<user_id>#<binance uid>" / tx_id   (survive key deletion)
- Uploads:      user_id / upload_id
- Coverage:     connection_id / scope = "<endpoint>|<variant>|<symbol>"  (ledger: binsync.sync.ledger)
"""

from __future__ import annotations

import os

from pynamodb.attributes import (
    BooleanAttribute,
    JSONAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    UnicodeAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, IncludeProjection, KeysOnlyProjection
from pynamodb.models import Model

from binsync.events.slots import slot_of

STACK = os.environ.get("BINSYNC_STACK", "binsync")


def _table(env: str, suffix: str) -> str:
    return os.environ.get(env, f"{STACK}-{suffix}")


# HTTP connections kept per table client. A Lambda runs one invocation at a time; the local cloud
# runs a sync's Map workers (SyncMaxConcurrency, 40) on threads of one process, and pynamodb's
# default pool of 10 discarded and reopened TCP connections past its 10 (3,587 connects for
# about 6,000 HTTP calls in a profile of the subset sync).
MAX_POOL_CONNECTIONS = 64


class _Meta:
    region = os.environ.get("AWS_REGION", os.environ.get("AWS_DEFAULT_REGION", "us-east-1"))
    max_pool_connections = MAX_POOL_CONNECTIONS


class ConnectionsByUid(GlobalSecondaryIndex):
    class Meta:
        index_name = "by_uid"
        projection = AllProjection()

    binance_uid = UnicodeAttribute(hash_key=True)
    user_id = UnicodeAttribute(range_key=True)


class ConnectionsByResyncSlot(GlobalSecondaryIndex):
    """One hour of the week's connections (events/resync.py reads its own hour only). Sparse:
    an item written before slots existed has no `resync_slot` and is not here until the hourly
    sweep gives it one. Projects what the resync decides on, so a slot costs one query."""

    class Meta:
        index_name = "by_resync_slot"
        projection = IncludeProjection(["status", "resync_tick"])

    resync_slot = NumberAttribute(hash_key=True)


class ConnectionModel(Model):
    class Meta(_Meta):
        table_name = _table("CONNECTIONS_TABLE", "connections")

    user_id = UnicodeAttribute(hash_key=True)
    connection_id = UnicodeAttribute(range_key=True)
    binance_uid = UnicodeAttribute()
    label = UnicodeAttribute(default="")
    key_type = UnicodeAttribute(default="hmac")  # hmac | rsa | ed25519
    api_key_hint = UnicodeAttribute(default="")  # last 4 characters only, never the key
    secret_name = UnicodeAttribute()
    base_url = UnicodeAttribute(default="https://api.binance.com")
    status = UnicodeAttribute(default="active")  # active | disabled | deleting
    status_reason = UnicodeAttribute(null=True)
    status_changed_at = NumberAttribute(null=True)
    permissions = JSONAttribute(default=dict)
    warnings = ListAttribute(of=UnicodeAttribute, default=list)
    sync_mode = UnicodeAttribute(default="full")  # full | since_last | incremental
    created_at = NumberAttribute()
    last_run_id = UnicodeAttribute(null=True)
    last_sync_at = NumberAttribute(null=True)
    last_success_at = NumberAttribute(null=True)
    last_success_window_end = NumberAttribute(null=True)
    consecutive_transient_failures = NumberAttribute(default=0)
    # Spot market selection of incremental syncs (binsync.sync.planner.select_markets):
    last_success_balances = JSONAttribute(null=True)  # asset -> decimal string, last success's snapshot
    traded_markets = JSONAttribute(null=True)  # sorted symbols with stored spot fills; None = not known yet
    last_all_markets_at = NumberAttribute(null=True)  # plan time (ms): last success walking all markets
    # [{userName, algo}] the user named (POST /connections): the mining endpoints' variants.
    mining_accounts = JSONAttribute(null=True)
    # scope (margin_isolated, usdm, coinm) -> symbols earlier runs walked or saw in the income
    # ledger: discovery adds them to what the API lists now (sync/discovery.py).
    known_symbols = JSONAttribute(null=True)
    completeness = JSONAttribute(null=True)  # the last finished run's (binsync.sync.completeness)
    # month -> export endpoint -> download requests spent (binsync.sync.export_quota)
    export_quota = JSONAttribute(null=True)
    # Weekly resync (events/slots.py, events/resync.py): the hour of the week it belongs to, and
    # the scheduled hour that claimed this week's resync (ISO-8601; one claim per ISO week).
    resync_slot = NumberAttribute(null=True)
    resync_tick = UnicodeAttribute(null=True)

    by_uid = ConnectionsByUid()
    by_resync_slot = ConnectionsByResyncSlot()

    def serialize(self, null_check: bool = True) -> dict[str, dict[str, object]]:
        # Every full write (save, batch save) carries the slot, whoever created the item: the
        # slot is a function of the id, so no creator can give a wrong one or forget it.
        if self.resync_slot is None and getattr(self, "connection_id", None):
            self.resync_slot = slot_of(self.connection_id)
        return super().serialize(null_check=null_check)


class RunModel(Model):
    class Meta(_Meta):
        table_name = _table("RUNS_TABLE", "runs")

    connection_id = UnicodeAttribute(hash_key=True)
    run_id = UnicodeAttribute(range_key=True)
    user_id = UnicodeAttribute()
    binance_uid = UnicodeAttribute()
    mode = UnicodeAttribute()
    trigger = UnicodeAttribute(default="api")  # api | schedule | revalidate | cli
    status = UnicodeAttribute(default="planning")  # planning | running | succeeded | failed
    execution_arn = UnicodeAttribute(null=True)
    started_at = NumberAttribute()
    finished_at = NumberAttribute(null=True)
    window_start = NumberAttribute(null=True)
    window_end = NumberAttribute(null=True)
    tasks_total = NumberAttribute(default=0)
    tasks_done = NumberAttribute(default=0)
    tasks_failed = NumberAttribute(default=0)
    records = NumberAttribute(default=0)
    requests = NumberAttribute(default=0)
    weight = NumberAttribute(default=0)
    http_429 = NumberAttribute(default=0)
    http_418 = NumberAttribute(default=0)
    counts = JSONAttribute(default=dict)  # per product: records stored
    coverage = JSONAttribute(default=dict)  # per product: {from, to, complete}
    beyond_retention = JSONAttribute(default=list)  # [{product, endpoint, before, reason}]
    reconciliation = JSONAttribute(null=True)
    error = JSONAttribute(null=True)  # {type, message, user_message}
    spot_balances_at_plan = JSONAttribute(null=True)  # asset -> decimal string, read by the Plan step
    completeness = JSONAttribute(null=True)  # binsync.sync.completeness: state, words, gaps, differences
    # statement events an API event of the run matches minutes apart (finish.near_duplicates)
    near_duplicates = JSONAttribute(null=True)  # {near_duplicate_count, near_duplicates: [...]}


class TaskModel(Model):
    class Meta(_Meta):
        table_name = _table("TASKS_TABLE", "tasks")

    run_id = UnicodeAttribute(hash_key=True)
    task_id = UnicodeAttribute(range_key=True)
    endpoint = UnicodeAttribute()
    window_start = NumberAttribute(null=True)
    window_end = NumberAttribute(null=True)
    symbol = UnicodeAttribute(null=True)
    params = JSONAttribute(default=dict)
    status = UnicodeAttribute(default="pending")  # pending | running | done | failed
    cursor = JSONAttribute(null=True)  # resume point inside the task
    # an id-chain task that finished: the id its next walk starts from (ledger.chain_next)
    chain_next = NumberAttribute(null=True)
    records = NumberAttribute(default=0)
    requests = NumberAttribute(default=0)
    weight = NumberAttribute(default=0)
    attempts = NumberAttribute(default=0)
    error = JSONAttribute(null=True)


class TransactionsById(GlobalSecondaryIndex):
    """Keys only (the table's and tx_id): get_transaction reads the item by its key after."""

    class Meta:
        index_name = "by_id"
        projection = KeysOnlyProjection()

    user_id = UnicodeAttribute(hash_key=True)
    tx_id = UnicodeAttribute(range_key=True)


class TransactionsByAccount(GlobalSecondaryIndex):
    class Meta:
        index_name = "by_account"
        projection = AllProjection()

    account_key = UnicodeAttribute(hash_key=True)  # "<user_id>#<binance uid>"
    sk = UnicodeAttribute(range_key=True)


class TransactionsByFile(GlobalSecondaryIndex):
    """Sparse: only items from files (statement, Waltio) carry `file_account_key`, so the sync can
    find the statement events of an account in a time range without reading its API items
    (binsync.statement.merge)."""

    class Meta:
        index_name = "by_file"
        projection = AllProjection()

    file_account_key = UnicodeAttribute(hash_key=True)  # "<user_id>#<binance uid>"
    sk = UnicodeAttribute(range_key=True)


class TransactionModel(Model):
    class Meta(_Meta):
        table_name = _table("TRANSACTIONS_TABLE", "transactions")

    user_id = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)  # "<time_ms:013d>#<tx_id>"
    tx_id = UnicodeAttribute()
    account_key = UnicodeAttribute()
    binance_uid = UnicodeAttribute()
    connection_id = UnicodeAttribute(null=True)
    time_ms = NumberAttribute()
    kind = UnicodeAttribute()
    assets = ListAttribute(of=UnicodeAttribute, default=list)  # for filtering
    wallets = ListAttribute(of=UnicodeAttribute, default=list)
    source_kind = UnicodeAttribute()  # api | statement | manual
    source_ref = UnicodeAttribute()
    body = JSONAttribute()  # Transaction.to_dict()
    merged_from = ListAttribute(of=UnicodeAttribute, default=list)  # other sources matched to it
    file_account_key = UnicodeAttribute(null=True)  # set on non-API items only (sparse GSI by_file)
    first_run = UnicodeAttribute(null=True)  # the sync run that first stored it (API items)

    by_id = TransactionsById()
    by_account = TransactionsByAccount()
    by_file = TransactionsByFile()


class PriceOverride(MapAttribute):
    asset = UnicodeAttribute()
    price = UnicodeAttribute()  # decimal string
    currency = UnicodeAttribute(default="EUR")


class AnnotationModel(Model):
    class Meta(_Meta):
        table_name = _table("ANNOTATIONS_TABLE", "annotations")

    account_key = UnicodeAttribute(hash_key=True)  # "<user_id>#<binance uid>"
    tx_id = UnicodeAttribute(range_key=True)
    user_id = UnicodeAttribute()
    label = UnicodeAttribute(null=True)
    note = UnicodeAttribute(null=True)
    prices = ListAttribute(of=PriceOverride, default=list)
    updated_at = NumberAttribute()


class UploadModel(Model):
    class Meta(_Meta):
        table_name = _table("UPLOADS_TABLE", "uploads")

    user_id = UnicodeAttribute(hash_key=True)
    upload_id = UnicodeAttribute(range_key=True)
    connection_id = UnicodeAttribute(null=True)
    binance_uid = UnicodeAttribute(null=True)
    file_format = UnicodeAttribute(default="auto")  # auto | statement | waltio
    file_name = UnicodeAttribute(default="")
    s3_key = UnicodeAttribute()
    status = UnicodeAttribute(default="waiting")  # waiting | parsing | done | failed
    content_sha256 = UnicodeAttribute(null=True)
    created_at = NumberAttribute()
    finished_at = NumberAttribute(null=True)
    report = JSONAttribute(null=True)
    purge = BooleanAttribute(default=False)
    time_zone = UnicodeAttribute(null=True)  # explicit zone of the file's times (POST /uploads tz)
    # The delivery processing the object holds the upload until it ends or until claimed_until
    # (its invocation's deadline, ms): a second delivery of the same event waits its turn.
    claim = UnicodeAttribute(null=True)
    claimed_until = NumberAttribute(null=True)


class CoverageModel(Model):
    """One scope of a connection's coverage ledger (binsync.sync.ledger): the inclusive [start, end]
    millisecond intervals proven read, merged, so an item holds one interval per hole."""

    class Meta(_Meta):
        table_name = _table("COVERAGE_TABLE", "coverage")

    connection_id = UnicodeAttribute(hash_key=True)
    scope = UnicodeAttribute(range_key=True)  # "<endpoint>|<variant>|<symbol>", or "files|<what>"
    endpoint = UnicodeAttribute(null=True)
    symbol = UnicodeAttribute(null=True)
    params = JSONAttribute(default=dict)
    source = UnicodeAttribute(default="api")  # api | user_files | statement
    intervals = JSONAttribute(default=list)  # [[start_ms, end_ms], ...], sorted, disjoint
    statement_only = JSONAttribute(default=list)  # intervals the API cannot serve (a removed market)
    updated_at = NumberAttribute(default=0)
    run_id = UnicodeAttribute(null=True)  # the run (or upload) that last extended it
    # An id-chain scope (myTrades of a market): every record below this id is stored and proven
    # read, so the next walk starts here instead of at id 0 (planner, incremental modes).
    chain_next = NumberAttribute(null=True)


ALL_MODELS: tuple[type[Model], ...] = (
    ConnectionModel, RunModel, TaskModel, TransactionModel, AnnotationModel, UploadModel, CoverageModel,
)


def account_key(user_id: str, binance_uid: str) -> str:
    return f"{user_id}#{binance_uid}"


def transaction_sk(time_ms: int, tx_id: str) -> str:
    return f"{time_ms:013d}#{tx_id}"
