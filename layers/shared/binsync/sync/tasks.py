"""A planned task: one endpoint, one window, optionally one symbol and one parameter variant.

Task ids are deterministic and readable (`<endpoint>|<variant>|<symbol>|<window start>`), so
the same plan gives the same ids and a log line names the work. The task row (TaskModel) is the
checkpoint: `cursor` is the resume point inside the task, written after each stored page.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from binsync.binance.catalogue import ENDPOINTS
from binsync.storage.models import TaskModel

MAX_ID_PART = 60


@dataclass(frozen=True)
class TaskSpec:
    endpoint: str
    window_start: int | None = None
    window_end: int | None = None
    symbol: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    # where the walk starts (pagination.resume_state: an id chain resumed where the last walk
    # ended); not part of the id, so a re-planned run keeps its task ids
    cursor: dict[str, Any] | None = field(default=None, compare=False)

    @property
    def task_id(self) -> str:
        variant = ",".join(f"{k}={v}" for k, v in sorted(self.params.items()))
        if len(variant) > MAX_ID_PART:
            variant = hashlib.sha256(variant.encode()).hexdigest()[:16]
        start = "" if self.window_start is None else f"{self.window_start:013d}"
        return f"{self.endpoint}|{variant}|{self.symbol or ''}|{start}"

    def to_model(self, run_id: str) -> TaskModel:
        return TaskModel(
            run_id, self.task_id, endpoint=self.endpoint, window_start=self.window_start,
            window_end=self.window_end, symbol=self.symbol, params=dict(self.params),
            cursor=dict(self.cursor) if self.cursor else None,
        )


def _shared_uid_bucket(spec: TaskSpec) -> str | None:
    """The per-account (UID) bucket a task draws on, or None for IP-bucket endpoints."""
    ep = ENDPOINTS.get(spec.endpoint)
    if ep is None or ep.bucket.kind != "uid":
        return None
    return ep.family if ep.bucket.scope == "shared" else ep.name


def _alone(spec: TaskSpec) -> bool:
    """An asynchronous export waits hours for Binance's file (ExportPending, retried by the state
    machine): batched, the tasks after it would wait with it."""
    ep = ENDPOINTS.get(spec.endpoint)
    return ep is not None and ep.pagination == "export"


def batch_items(specs: list[TaskSpec], batch_size: int, other_batch: int = 1) -> list[list[str]]:
    """The Map's items: lists of task ids, in plan order.

    - Every task on one per-account (UID) bucket goes into one item, whatever its length
      (fiat.orders: both variants, every year). Its pace is the account's budget whatever the
      number of workers, so one worker whose client paces the bucket does it without 429s;
      split over several Lambdas (each with its own limiter) they would overrun it and hold
      several workers waiting. The worker hands over before its timeout (RateLimited, retried
      from the checkpoints).
    - One-market tasks (a symbol's fill chain: usually one request, most markets empty) go
      `batch_size` to an item, so a worker's start-up, its Step Functions transitions and its
      Lambda invocation are paid once per batch, not once per market; 25 myTrades chains are
      about 500 weight, seconds of one IP's budget. Markets are dealt round-robin (item k has
      markets k, k + n, k + 2n, ...): neighbours in the plan's alphabetical order share a base
      asset, and a user's busiest markets often do (ETHBTC, ETHUSDT), so this spreads the long
      fill chains over several workers instead of queueing them behind one.
    - Every other task (a window of an IP-bucket product) goes `other_batch` to an item, in plan
      order (an incremental resync: 20, a request or two each; a full sync: 4, most windows one
      empty page, and still ~140 items for 32 IPs on `reference`): one Lambda invocation and one
      Step Functions transition (a Distributed Map's child) per batch instead of per task; with
      `other_batch` 1 each stays alone. An asynchronous export always stays alone.
    Each task keeps its own row and checkpoint.
    """
    slots: list[list[str] | tuple[str, str]] = []  # items, or the place of a group's items
    groups: dict[tuple[str, str], list[str]] = {}
    others: set[str] = set()  # tasks batched by `other_batch`
    for spec in specs:
        uid_bucket = _shared_uid_bucket(spec)
        if uid_bucket is not None:
            key = ("uid", uid_bucket)
        elif spec.symbol is not None and batch_size > 1:
            key = ("symbol", spec.endpoint)
        elif other_batch > 1 and not _alone(spec):
            last = slots[-1] if slots else None
            if isinstance(last, list) and len(last) < other_batch and last and last[0] in others:
                last.append(spec.task_id)
            else:
                slots.append([spec.task_id])
            others.add(spec.task_id)
            continue
        else:
            slots.append([spec.task_id])
            continue
        if key not in groups:
            groups[key] = []
            slots.append(key)
        groups[key].append(spec.task_id)
    items: list[list[str]] = []
    for slot in slots:
        if isinstance(slot, list):
            items.append(slot)
        elif slot[0] == "uid":
            items.append(groups[slot])
        else:
            tasks = groups[slot]
            count = -(-len(tasks) // batch_size)
            items.extend(tasks[k::count] for k in range(count))
    return items


def save_tasks(run_id: str, specs: list[TaskSpec]) -> None:
    """Write the plan's checkpoint rows (pynamodb's batch writer retries unprocessed items).

    A task row that already exists (the Plan step retried) keeps its status and cursor: only
    missing rows are written.
    """
    existing = {t.task_id for t in TaskModel.query(run_id, attributes_to_get=["task_id"])}
    with TaskModel.batch_write() as batch:
        for spec in specs:
            if spec.task_id not in existing:
                batch.save(spec.to_model(run_id))


def load_tasks(run_id: str) -> list[TaskModel]:
    return list(TaskModel.query(run_id))
