"""Reading a user's transactions: filters and opaque cursor pagination.

Items live under the user's partition (`user_id` / `sk = "<time_ms:013d>#<tx_id>"`), so every
query is scoped to the caller by its key condition. A connection filter reads the by_account
index (`<user_id>#<uid>`), which is also scoped to the caller.

The cursor is the sort key of the last item returned, folded into the key condition of the next
query (never passed as ExclusiveStartKey), so a forged cursor can only move inside the caller's
own partition and never makes DynamoDB fail.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from collections.abc import Iterator
from dataclasses import astuple, dataclass

from pynamodb.exceptions import DoesNotExist
from pynamodb.expressions.condition import Condition

from binsync.connections.errors import InvalidInput, NotFound
from binsync.storage.models import AnnotationModel, ConnectionModel, TransactionModel, account_key

MAX_SK = "9999999999999#~"
MIN_SK = "0000000000000#"
SK_RE = re.compile(r"^\d{13}#[A-Za-z0-9_-]{1,128}$")
# Items read per request at most (filters can discard most of them): keeps a request short.
SCAN_BUDGET = 5000


@dataclass(frozen=True)
class TxFilter:
    from_ms: int | None = None
    to_ms: int | None = None  # exclusive
    kind: str | None = None
    asset: str | None = None
    wallet: str | None = None
    source: str | None = None
    connection_id: str | None = None


@dataclass
class Page:
    items: list[TransactionModel]
    next_cursor: str | None


def filter_fingerprint(flt: TxFilter | None) -> str:
    """A short digest of the filters a cursor was made for: a cursor only continues its own list."""
    if flt is None:
        return ""
    return hashlib.sha256(repr(astuple(flt)).encode()).hexdigest()[:16]


def encode_cursor(sk: str, order: str, flt: TxFilter | None = None) -> str:
    raw = json.dumps({"v": 1, "sk": sk, "o": order, "f": filter_fingerprint(flt)},
                     separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, order: str, flt: TxFilter | None = None) -> str:
    bad = InvalidInput("invalid_cursor", "cursor is not a cursor returned by this API (or was made "
                       "for the other order)", field="cursor")
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise bad from None
    if not isinstance(data, dict) or data.get("v") != 1 or data.get("o") != order:
        raise bad
    sk = data.get("sk")
    if not isinstance(sk, str) or not SK_RE.match(sk):
        raise bad
    # Every stored time is in the supported range (statement.limits), so a cursor beyond it was
    # not made here, whatever its filters; refused before it reaches a key condition.
    from binsync.statement.limits import END_SUPPORTED_SEC, FIRST_SUPPORTED_SEC

    if not FIRST_SUPPORTED_SEC * 1000 <= int(sk[:13]) < END_SUPPORTED_SEC * 1000:
        raise InvalidInput("invalid_cursor", "cursor points outside the supported dates "
                           "(1970-01-01 to 2099-12-31)", field="cursor")
    if data.get("f", "") != filter_fingerprint(flt):
        raise InvalidInput("cursor_filter_mismatch", "cursor continues a list with other filters: send "
                           "the same from, to, kind, asset, wallet, source and connection_id as the page "
                           "it came from, or start again without a cursor", field="cursor")
    return sk


def _before(sk: str) -> str:
    """The greatest key bound strictly below `sk` for keys of sk's fixed shape."""
    return sk[:-1] + chr(ord(sk[-1]) - 1) + "~"


def _bounds(flt: TxFilter, after: str | None, before: str | None) -> tuple[str, str]:
    lo = f"{flt.from_ms:013d}#" if flt.from_ms is not None else MIN_SK
    hi = f"{flt.to_ms - 1:013d}#~" if flt.to_ms is not None else MAX_SK
    if after is not None:
        lo = max(lo, after + "!")
    if before is not None:
        hi = min(hi, _before(before))
    return lo, hi


def _filters(flt: TxFilter) -> Condition | None:
    conditions: list[Condition] = []
    if flt.kind:
        conditions.append(TransactionModel.kind == flt.kind)
    if flt.source:
        conditions.append(TransactionModel.source_kind == flt.source)
    if flt.asset:
        conditions.append(TransactionModel.assets.contains(flt.asset))
    if flt.wallet:
        conditions.append(TransactionModel.wallets.contains(flt.wallet))
    combined: Condition | None = None
    for cond in conditions:
        combined = cond if combined is None else combined & cond
    return combined


def _account_of(user_id: str, connection_id: str) -> str:
    try:
        connection = ConnectionModel.get(user_id, connection_id)
    except DoesNotExist:
        raise NotFound("connection_not_found", "No such connection.",
                       field="connection_id") from None
    return account_key(user_id, connection.binance_uid)


def iterate(user_id: str, flt: TxFilter, *, order: str = "asc", cursor: str | None = None,
            page_size: int = 200) -> Iterator[TransactionModel]:
    """Every matching transaction of the user, in time order, starting after `cursor`."""
    if flt.from_ms is not None and flt.to_ms is not None and flt.to_ms <= flt.from_ms:
        raise InvalidInput("invalid_range", "to must be after from", field="to")
    after = before = None
    if cursor:
        sk = decode_cursor(cursor, order, flt)
        after, before = (sk, None) if order == "asc" else (None, sk)
    lo, hi = _bounds(flt, after, before)
    if lo > hi:
        return iter(())
    range_cond = TransactionModel.sk.between(lo, hi)
    kwargs = {"filter_condition": _filters(flt), "scan_index_forward": order == "asc",
              "page_size": page_size}
    if flt.connection_id:
        akey = _account_of(user_id, flt.connection_id)
        return TransactionModel.by_account.query(akey, range_cond, **kwargs)
    return TransactionModel.query(user_id, range_cond, **kwargs)


def list_page(user_id: str, flt: TxFilter, *, limit: int = 100, order: str = "asc",
              cursor: str | None = None) -> Page:
    """One page of at most `limit` items and the cursor of the next one (None at the end).

    Pages are driven by hand so a sparse filter cannot make one request read the whole table:
    past SCAN_BUDGET items read, the page ends early with a cursor where the reading stopped.
    """
    results = iterate(user_id, flt, order=order, cursor=cursor, page_size=min(max(limit * 2, 50), 500))
    page_iter = getattr(results, "page_iter", None)
    if page_iter is None:  # empty range
        return Page([], None)
    items: list[TransactionModel] = []
    for page in page_iter:
        for raw in page.get("Items", []):
            tx = TransactionModel.from_raw_data(raw)
            if tx.user_id != user_id:  # defence in depth: the key condition already scopes it
                continue
            if len(items) == limit:
                return Page(items, encode_cursor(items[-1].sk, order, flt))
            items.append(tx)
        last = page.get("LastEvaluatedKey")
        if last is None:
            return Page(items, None)
        if page_iter.total_scanned_count >= SCAN_BUDGET:
            return Page(items, encode_cursor(last["sk"]["S"], order, flt))
    return Page(items, None)


def get_transaction(user_id: str, tx_id: str) -> TransactionModel:
    # by_id holds keys only (a whole-item copy doubled every record's write units): it gives the
    # item's sort key, the item comes from the table.
    for key in TransactionModel.by_id.query(user_id, TransactionModel.tx_id == tx_id, limit=1):
        try:
            return TransactionModel.get(user_id, key.sk)
        except DoesNotExist:  # deleted between the index read and the item read
            break
    raise NotFound("transaction_not_found", "No such transaction.", field="transaction_id")


def annotations_for(user_id: str, txs: list[TransactionModel]) -> dict[str, AnnotationModel]:
    keys = {(account_key(user_id, tx.binance_uid), tx.tx_id) for tx in txs}
    if not keys:
        return {}
    return {ann.tx_id: ann for ann in AnnotationModel.batch_get(list(keys))
            if ann.user_id == user_id}
