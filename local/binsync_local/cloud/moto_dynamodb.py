"""Adjustments to moto's DynamoDB that keep the local figures about binsync, not about moto.

Each one is switched on by LocalCloud.start and off again by its teardown (`adjust`). None of them
changes what a DynamoDB call answers; tests/cloud/test_moto_dynamodb.py holds them to that.
"""

from __future__ import annotations

import base64
import bisect
import copy
import json
import threading
from datetime import datetime
from typing import Any


def adjust(enable: bool) -> None:
    _serialize_dynamodb(enable)
    _large_dynamodb_pages(enable)
    _item_level_transactions(enable)
    _plain_json_wire(enable)
    _linear_item_size_check(enable)
    _direct_top_level_projection(enable)
    _uncopied_query_results(enable)
    _native_key_order(enable)
    _direct_item_size(enable)
    _sorted_partitions(enable)
    _partition_queries(enable)
    _cached_action_names(enable)


def _cached_action_names(enable: bool) -> None:
    """moto lists a response class's methods (inspect.getmembers, ~300 of them for DynamoDB) on
    every request to find the action; the list of a class is the same every time, so it is
    computed once per class. Every service's handler benefits, DynamoDB's most (the weekly
    resync's load test makes ~60,000 requests)."""
    from moto.core import responses

    original = _ORIGINAL_DYNAMODB.setdefault("method_names_from_class", responses.method_names_from_class)
    if not enable:
        responses.method_names_from_class = original
        return
    cache: dict[type, frozenset[str]] = {}

    def method_names_from_class(clazz: Any) -> frozenset[str]:
        names = cache.get(clazz)
        if names is None:
            names = cache[clazz] = frozenset(original(clazz))
        return names

    responses.method_names_from_class = method_names_from_class


_DYNAMODB_LOCK = threading.RLock()
_ORIGINAL_DYNAMODB: dict[str, Any] = {}


def _serialize_dynamodb(enable: bool) -> None:
    """One DynamoDB request at a time.

    DynamoDB applies each write atomically (ADD counters, condition checks, transactions); moto
    reads, evaluates and writes without a lock, so concurrent Map workers on threads lose
    updates (8 threads x 100 `ADD n :one` ended at 792). Serialising moto's DynamoDB handler
    restores the per-item atomicity code relies on; DynamoDB calls never call back into Lambda,
    so the lock cannot deadlock.
    """
    from moto.dynamodb.responses import DynamoHandler

    original = _ORIGINAL_DYNAMODB.setdefault("call_action", DynamoHandler.call_action)
    if not enable:
        DynamoHandler.call_action = original  # type: ignore[method-assign]
        return

    def call_action(self: Any) -> Any:
        with _DYNAMODB_LOCK:
            return original(self)

    DynamoHandler.call_action = call_action  # type: ignore[method-assign]


# moto answers every Query/Scan page by walking and sorting the whole table, then skipping the
# earlier pages, so reading an account's 27,000 transactions in 1 MB pages (14 pages) cost about
# a minute under the DynamoDB lock: the local figures measured moto, not binsync. Locally a page
# may hold 64 MB; code still follows LastEvaluatedKey (tests with `limit` page as before).
LOCAL_PAGE_BYTES = 64_000_000


def _large_dynamodb_pages(enable: bool) -> None:
    from moto.dynamodb.models import table

    original = _ORIGINAL_DYNAMODB.setdefault("RESULT_SIZE_LIMIT", table.RESULT_SIZE_LIMIT)
    table.RESULT_SIZE_LIMIT = LOCAL_PAGE_BYTES if enable else original


class _NoTableCopy:
    """The `copy` module as moto's DynamoDB backend sees it, except that a Table is not copied."""

    def __getattr__(self, name: str) -> Any:
        return getattr(copy, name)

    @staticmethod
    def deepcopy(value: Any, memo: Any = None) -> Any:
        from moto.dynamodb.models.table import Table

        return value if isinstance(value, Table) else copy.deepcopy(value, memo)


def _item_level_transactions(enable: bool) -> None:
    """TransactWriteItems rolls back the items it touched, not whole tables.

    moto backs up every table a transaction touches with a deep copy, once per item of the
    transaction: merging a statement into an account with 27,000 stored transactions copied the
    table two or three times per merged event (seconds each). Here the items a transaction names
    are saved before it runs and put back if it is cancelled, which is what the backup was for.
    """
    from moto.dynamodb import models
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.dynamo_type import DynamoType

    original = _ORIGINAL_DYNAMODB.setdefault("transact_write_items", DynamoDBBackend.transact_write_items)
    if not enable:
        DynamoDBBackend.transact_write_items = original  # type: ignore[method-assign]
        models.copy = copy  # type: ignore[attr-defined]
        return

    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        saved = []
        for entry in transact_items:
            op_type, op = next(iter(entry.items()))
            table = self.tables.get(op.get("TableName", ""))
            attrs = op.get("Item") if op_type == "Put" else op.get("Key")
            if table is None or not attrs or table.hash_key_attr not in attrs:
                continue
            hash_key = DynamoType(attrs[table.hash_key_attr])
            range_key = None
            if table.range_key_attr is not None:
                if table.range_key_attr not in attrs:
                    continue
                range_key = DynamoType(attrs[table.range_key_attr])
            saved.append((table, hash_key, range_key, copy.deepcopy(table.get_item(hash_key, range_key))))
        try:
            original(self, transact_items)
        except Exception:
            for table, hash_key, range_key, old in reversed(saved):
                if old is None:
                    table.delete_item(hash_key, range_key)
                elif range_key is None:
                    table.items[hash_key] = old
                else:
                    table.items[hash_key][range_key] = old
            raise

    models.copy = _NoTableCopy()  # type: ignore[attr-defined]
    DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]


# The item operations: their requests and answers are DynamoDB JSON both ways, which is exactly
# what moto's handler reads and returns. Control-plane calls (CreateTable, DescribeTable with its
# timestamps, ...) keep moto's shape-driven parser and serializer.
PLAIN_JSON_ACTIONS = frozenset({
    "GetItem", "PutItem", "UpdateItem", "DeleteItem", "Query", "Scan",
    "BatchGetItem", "BatchWriteItem", "TransactGetItems", "TransactWriteItems",
})
JSON_CONTENT_TYPE = "application/x-amz-json-1.0"


def _b64(value: Any) -> Any:
    return base64.b64encode(value).decode("ascii") if isinstance(value, bytes) else value


def _binary_values(obj: dict[str, Any]) -> dict[str, Any]:
    # moto keeps B and BS values as bytes, as its parser hands them over (base64 on the wire).
    if len(obj) == 1:
        if isinstance(obj.get("B"), str):
            return {"B": base64.b64decode(obj["B"])}
        if isinstance(obj.get("BS"), list) and all(isinstance(v, str) for v in obj["BS"]):
            return {"BS": [base64.b64decode(v) for v in obj["BS"]]}
    return obj


def _plain_json_wire(enable: bool) -> None:
    """Item operations parse their request with json.loads and answer with json.dumps.

    moto 5.2 walks botocore's shape model for every value of every request and answer (the
    generic `RequestParser` and `ResponseSerializer`). For DynamoDB's JSON protocol that walk
    turns JSON into the same JSON; on the benchmark's 19,617-record subset it was a quarter of
    all CPU, which on one interpreter is time the simulated Lambdas do not get. Errors still go
    through moto's serializer, so error codes and messages are moto's own. Answers keep moto's
    values (DynamoType) until json.dumps writes them: moto's conversion of every item to plain
    dicts first (`DynamoResult`) was most of the DynamoDB time of a history read.
    """
    from moto.core.responses import ActionResult, BaseResponse
    from moto.dynamodb.models.dynamo_type import DynamoType, LimitedSizeDict
    from moto.dynamodb.models.utilities import dynamo_to_dict
    from moto.dynamodb.responses import DynamoHandler, DynamoResult

    original_result = _ORIGINAL_DYNAMODB.setdefault("DynamoResult.__init__", DynamoResult.__init__)
    if not enable:
        DynamoResult.__init__ = original_result  # type: ignore[method-assign]
        for name in ("parse_parameters", "serialized"):
            if name in DynamoHandler.__dict__:
                delattr(DynamoHandler, name)
        return

    def keep_values(self: Any, result: object) -> None:
        ActionResult.__init__(self, result)

    def wire_default(value: Any) -> Any:
        """JSON for what json.dumps does not know: moto's own values, written as DynamoDB does."""
        if isinstance(value, DynamoType):
            if value.type == "B":
                return {"B": _b64(value.value)}
            if value.type == "BS":
                return {"BS": [_b64(v) for v in value.value]}
            return {value.type: value.value}  # a map's or list's members come back here
        if isinstance(value, bytes):
            return _b64(value)
        if isinstance(value, datetime):
            return value.timestamp()
        if hasattr(value, "to_json"):
            return dynamo_to_dict(value)
        raise TypeError(f"{type(value).__name__} in a DynamoDB answer")

    def without_nulls(value: Any) -> Any:
        # moto's serializer leaves out members that are None; so does DynamoDB. An item's
        # attributes (a LimitedSizeDict of DynamoType values) are never None.
        if isinstance(value, LimitedSizeDict):
            return value
        if isinstance(value, dict):
            return {k: without_nulls(v) for k, v in value.items() if v is not None}
        if isinstance(value, list):
            return [without_nulls(v) for v in value]
        return value

    def parse_parameters(self: Any, request: Any) -> None:
        if self._get_action() in PLAIN_JSON_ACTIONS:
            self.params = json.loads(self.body or "{}", object_hook=_binary_values)
        else:
            BaseResponse.parse_parameters(self, request)

    def serialized(self: Any, action_result: Any) -> Any:
        result = action_result.result
        if self._get_action() not in PLAIN_JSON_ACTIONS or isinstance(result, Exception):
            if isinstance(action_result, DynamoResult):  # what moto's serializer expects
                action_result = ActionResult(dynamo_to_dict(result))
            return BaseResponse.serialized(self, action_result)
        body = json.dumps(without_nulls(result), default=wire_default, separators=(",", ":"))
        return 200, {"Content-Type": JSON_CONTENT_TYPE, **self.response_headers}, body

    DynamoResult.__init__ = keep_values  # type: ignore[method-assign]
    DynamoHandler.parse_parameters = parse_parameters  # type: ignore[method-assign]
    DynamoHandler.serialized = serialized  # type: ignore[method-assign]


# moto's item size limit (ItemSizeTooLarge above 405,000 bytes, between DynamoDB's documented
# 400 KB and its measured 409-410 KB).
ITEM_SIZE_LIMIT = 405_000


def _linear_item_size_check(enable: bool) -> None:
    """Building an Item checks its size once, not once per attribute.

    moto's `LimitedSizeDict.__setitem__` re-measures every attribute already set for each new one,
    so writing an item costs the square of its attribute count: a fifth of all CPU on the
    subset's 19,617 writes. Sizes are never negative, so the whole item is within the limit
    exactly when every prefix is, and the same items are refused.
    """
    from moto.dynamodb.exceptions import ItemSizeTooLarge
    from moto.dynamodb.models.dynamo_type import DynamoType, Item, LimitedSizeDict
    from moto.dynamodb.models.utilities import bytesize

    original = _ORIGINAL_DYNAMODB.setdefault("Item.__init__", Item.__init__)
    if not enable:
        Item.__init__ = original  # type: ignore[method-assign]
        return

    def __init__(self: Any, hash_key: Any, range_key: Any, attrs: dict[str, Any]) -> None:
        self.hash_key = hash_key
        self.range_key = range_key
        values = {key: DynamoType(value) for key, value in attrs.items()}
        if sum(bytesize(key) + value.size() for key, value in values.items()) > ITEM_SIZE_LIMIT:
            raise ItemSizeTooLarge
        self.attrs = LimitedSizeDict()
        dict.update(self.attrs, values)

    Item.__init__ = __init__  # type: ignore[method-assign]


def _direct_top_level_projection(enable: bool) -> None:
    """A projection of top-level attribute names picks those attributes from the item.

    moto projects by converting the whole item to plain Python (boto3's deserializer) and the
    picked part back to DynamoDB JSON, for every item of every Query page: Finish's read of the
    history projects three attributes out of 19,617 items. Nested paths keep moto's way.
    """
    from moto.dynamodb.models.dynamo_type import Item, LimitedSizeDict

    original = _ORIGINAL_DYNAMODB.setdefault("Item.project", Item.project)
    if not enable:
        Item.project = original  # type: ignore[method-assign]
        return

    def project(self: Any, projection_expressions: list[list[str]]) -> Any:
        if not all(len(path) == 1 for path in projection_expressions):
            return original(self, projection_expressions)
        result = Item.__new__(Item)
        result.hash_key, result.range_key = self.hash_key, self.range_key
        result.attrs = LimitedSizeDict()
        names = [path[0] for path in projection_expressions]
        dict.update(result.attrs, {name: self.attrs[name] for name in names if name in self.attrs})
        return result

    Item.project = project  # type: ignore[method-assign]


class _QueryResultsUncopied:
    """The `copy` module as moto's table module sees it, except that a list of items (a Query's
    results) is not deep-copied: every step after it (index and attribute projections, filters,
    the conversion to the answer) builds new objects and changes none. Single items (Scan) and
    tables (backups) are still copied."""

    def __getattr__(self, name: str) -> Any:
        return getattr(copy, name)

    @staticmethod
    def deepcopy(value: Any, memo: Any = None) -> Any:
        from moto.dynamodb.models.dynamo_type import Item

        if isinstance(value, list) and all(isinstance(item, Item) for item in value):
            return list(value)
        return copy.deepcopy(value, memo)


def _uncopied_query_results(enable: bool) -> None:
    """Query answers without deep-copying the page first (a tenth of the DynamoDB process's CPU
    on the benchmark subset, mostly for Finish's read of the history)."""
    from moto.dynamodb.models import table

    table.copy = _QueryResultsUncopied() if enable else copy  # type: ignore[attr-defined]


def _native_key_order(enable: bool) -> None:
    """`Table.all_items` sorts on key values computed once per item.

    moto sorts a table's items for every Query (then filters them down to one partition) by
    comparing DynamoType objects, which casts both values on every comparison. Keys of type S
    or N give the same order as plain str and Decimal values; other key types keep moto's sort.
    """
    from moto.dynamodb.models.table import Table

    original = _ORIGINAL_DYNAMODB.setdefault("Table.all_items", Table.all_items)
    if not enable:
        Table.all_items = original  # type: ignore[method-assign]
        return

    def all_items(self: Any) -> list[Any]:
        if self.hash_key_type not in ("S", "N") or self.range_key_type not in (None, "S", "N"):
            return original(self)
        if not self.range_key_attr:
            return sorted(self.items.values(), key=lambda item: item.hash_key.cast_value)
        items = [item for partition in self.items.values() for item in partition.values()]
        return sorted(items, key=lambda item: (item.hash_key.cast_value, item.range_key.cast_value))

    Table.all_items = all_items  # type: ignore[method-assign]


def _direct_item_size(enable: bool) -> None:
    """`Item.size` measures string and number attributes inline.

    moto sizes every item of a Query twice (for the page limit), one DynamoType method call per
    attribute; reading a 19,617-transaction history spent a third of its DynamoDB time there.
    Same sizes: a string's UTF-8 length, a number's text length, moto's own method for the rest.
    """
    from moto.dynamodb.models.dynamo_type import Item

    original = _ORIGINAL_DYNAMODB.setdefault("Item.size", Item.size)
    if not enable:
        Item.size = original  # type: ignore[method-assign]
        return

    def size(self: Any) -> int:
        total = 0
        for key, value in self.attrs.items():
            total += len(key.encode("utf-8"))
            kind, raw = value.type, value.value
            if kind == "S" and isinstance(raw, str):
                total += len(raw.encode("utf-8"))
            elif kind == "N":
                total += len(str(raw))
            else:
                total += value.size()
        return total

    Item.size = size  # type: ignore[method-assign]


class _SortedPartition(dict):
    """One partition's items (range key -> Item) that also keeps its string range keys in order.

    moto writes a partition only by `partition[key] = item` and `partition.pop(key)`; both keep the
    order here, so a range query bisects instead of comparing every key of the partition. Copies
    (backups) rebuild it item by item through `__setitem__`.
    """

    def __init__(self) -> None:
        super().__init__()
        self.sorted_values: list[str] = []
        self.key_of: dict[str, Any] = {}

    def __setitem__(self, key: Any, item: Any) -> None:
        if not dict.__contains__(self, key):
            bisect.insort(self.sorted_values, key.value)
            self.key_of[key.value] = key
        dict.__setitem__(self, key, item)

    def pop(self, key: Any, *default: Any) -> Any:
        if dict.__contains__(self, key):
            del self.sorted_values[bisect.bisect_left(self.sorted_values, key.value)]
            del self.key_of[key.value]
        return dict.pop(self, key, *default)

    def __delitem__(self, key: Any) -> None:
        if not dict.__contains__(self, key):
            raise KeyError(key)
        self.pop(key)

    def _unsupported(self, *_: Any, **__: Any) -> Any:
        raise NotImplementedError("a sorted partition is written by [key] = item and pop(key) only")

    update = setdefault = popitem = clear = _unsupported  # type: ignore[assignment]

    def __reduce__(self) -> Any:
        return (type(self), (), None, None, iter(dict.items(self)))

    def between(self, lo: str, hi: str) -> list[Any]:
        values = self.sorted_values
        start, end = bisect.bisect_left(values, lo), bisect.bisect_right(values, hi)
        return [dict.__getitem__(self, self.key_of[v]) for v in values[start:end]]

    def prefixed(self, prefix: str) -> list[Any]:
        values = self.sorted_values
        out = []
        for v in values[bisect.bisect_left(values, prefix):]:
            if not v.startswith(prefix):
                break
            out.append(dict.__getitem__(self, self.key_of[v]))
        return out


def _sorted_partitions(enable: bool) -> None:
    """Tables with a string range key keep each partition's keys in order (`_SortedPartition`).

    Reading one user's transactions around a time is a key-range Query; with 48,000 items in the
    partition, comparing every key for each of the statement upload's thousands of window queries
    was most of the reference demo's upload time (0.08 s a query).
    """
    from collections import defaultdict

    from moto.dynamodb.models.table import Table

    original = _ORIGINAL_DYNAMODB.setdefault("Table.__init__", Table.__init__)
    if not enable:
        Table.__init__ = original  # type: ignore[method-assign]
        return

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        if self.range_key_attr and self.range_key_type == "S" and not self.items:
            self.items = defaultdict(_SortedPartition)

    Table.__init__ = __init__  # type: ignore[method-assign]


def _partition_queries(enable: bool) -> None:
    """A table Query reads its own partition, cut to the key range, not the whole table.

    moto starts every base-table Query from `all_items()` (every item of every partition, sorted)
    and then compares each one's hash and range key: a statement merge of 722 rows made 97 window
    queries of one user's partition and spent 5.6 s there on `small`, and far more on `reference`.
    Here a base-table Query hands moto only its partition's items (for a string `BETWEEN` or
    `begins_with`, only those inside the range: bisected in a `_SortedPartition`, else compared as
    plain strings, which is DynamoDB's order for S keys); moto then sorts, pages, filters and
    projects them exactly as before.
    """
    from moto.dynamodb.models.table import Table

    original = _ORIGINAL_DYNAMODB.setdefault("Table.query", Table.query)
    if not enable:
        Table.query = original  # type: ignore[method-assign]
        return

    def query(self: Any, hash_key: Any, range_comparison: Any, range_objs: Any, *args: Any,
              **kwargs: Any) -> Any:
        index_name = kwargs.get("index_name") or (args[4] if len(args) > 4 else None)
        if index_name or hash_key is None or not self.range_key_attr or "all_items" in self.__dict__:
            return original(self, hash_key, range_comparison, range_objs, *args, **kwargs)
        partition = self.items.get(hash_key, {})
        bounds = [obj.value for obj in range_objs or ()]
        strings = self.range_key_type == "S" and bool(bounds) and all(isinstance(b, str) for b in bounds)
        if strings and range_comparison == "BETWEEN" and len(bounds) == 2:
            lo, hi = bounds
            if isinstance(partition, _SortedPartition):
                items = partition.between(lo, hi)
            else:
                items = [item for item in partition.values() if lo <= item.range_key.value <= hi]
        elif (strings and str(range_comparison).upper() == "BEGINS_WITH"
              and isinstance(partition, _SortedPartition)):
            items = partition.prefixed(bounds[0])
        else:
            items = list(partition.values())
        self.all_items = lambda: items  # this call only (moto's handler runs one request at a time)
        try:
            return original(self, hash_key, range_comparison, range_objs, *args, **kwargs)
        finally:
            del self.all_items

    Table.query = query  # type: ignore[method-assign]
