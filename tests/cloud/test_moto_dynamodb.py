"""The local cloud's shortcuts through moto's DynamoDB must not change a single answer."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from binsync_local.cloud import moto_dynamodb
from botocore.exceptions import ClientError
from moto import mock_aws
from moto.dynamodb.responses import DynamoHandler

TABLE = "ledger"
BIG_ID = str(2**63 - 25)  # beyond 2^53: must come back digit for digit

OTHER_KEYS = (("u#10", "b"), ("u#2", "a"), ("U#3", "c"), ("é", "a"), ("u#10", "a"), ("u#2", "10"))
ITEM = {
    "pk": {"S": "u#1"}, "sk": {"S": "tx#0001"},
    "amount": {"N": "-0.000000012345678901234567"}, "trade_id": {"N": BIG_ID},
    "legs": {"L": [{"M": {"asset": {"S": "BTC"}, "qty": {"N": "1.5"}, "sig": {"B": b"\x01"}}},
                   {"NULL": True}]},
    "tags": {"SS": ["spot", "fill"]}, "sizes": {"NS": ["1", "2.5"]},
    "raw": {"B": b"\x00\xffbinsync"}, "raws": {"BS": [b"\x01", b"\x02"]},
    "final": {"BOOL": True}, "gsi": {"S": "g#1"}, "price": {"N": "1.50"},
}


def _create(client: Any) -> None:
    client.create_table(
        TableName=TABLE, BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[{"AttributeName": n, "AttributeType": "S"} for n in ("pk", "sk", "gsi")],
        GlobalSecondaryIndexes=[{"IndexName": "by-gsi",
                                 "KeySchema": [{"AttributeName": "gsi", "KeyType": "HASH"}],
                                 "Projection": {"ProjectionType": "KEYS_ONLY"}}])


def _answer(call: Any, **kwargs: Any) -> Any:
    try:
        out = call(**kwargs)
    except ClientError as err:
        return {"error": err.response["Error"], "reasons": err.response.get("CancellationReasons")}
    out.pop("ResponseMetadata", None)
    return out


def _exercise(client: Any) -> list[Any]:
    """Every item operation the code uses, with the awkward types, conditions and errors."""
    key = {"pk": ITEM["pk"], "sk": ITEM["sk"]}
    second = {**ITEM, "sk": {"S": "tx#0002"}, "gsi": {"S": "g#2"}}
    return [
        _answer(client.put_item, TableName=TABLE, Item=ITEM, ReturnConsumedCapacity="TOTAL"),
        _answer(client.put_item, TableName=TABLE, Item=ITEM, ReturnValues="ALL_OLD"),
        _answer(client.put_item, TableName=TABLE, Item=ITEM, ConditionExpression="attribute_not_exists(pk)"),
        _answer(client.get_item, TableName=TABLE, Key=key),
        _answer(client.get_item, TableName=TABLE, Key={"pk": {"S": "nobody"}, "sk": {"S": "x"}}),
        _answer(client.update_item, TableName=TABLE, Key=key, ReturnValues="ALL_NEW",
                UpdateExpression="ADD #n :one SET #f = :f",
                ExpressionAttributeNames={"#n": "count", "#f": "final"},
                ExpressionAttributeValues={":one": {"N": "1"}, ":f": {"BOOL": False}}),
        _answer(client.update_item, TableName=TABLE, Key=key, UpdateExpression="SET note = :n",
                ExpressionAttributeValues={":n": {"S": "é✓"}}),
        _answer(client.batch_write_item, RequestItems={TABLE: [{"PutRequest": {"Item": second}}]}),
        _answer(client.batch_get_item,
                RequestItems={TABLE: {"Keys": [key, {**key, "sk": {"S": "tx#0002"}}]}}),
        _answer(client.query, TableName=TABLE, KeyConditionExpression="pk = :p",
                ExpressionAttributeValues={":p": {"S": "u#1"}}, ReturnConsumedCapacity="TOTAL"),
        _answer(client.query, TableName=TABLE, KeyConditionExpression="pk = :p", Limit=1,
                ProjectionExpression="sk, legs[0].asset, trade_id",
                ExpressionAttributeValues={":p": {"S": "u#1"}}),
        _answer(client.query, TableName=TABLE, IndexName="by-gsi", KeyConditionExpression="gsi = :g",
                ExpressionAttributeValues={":g": {"S": "g#2"}}),
        _answer(client.query, TableName=TABLE, KeyConditionExpression="pk = :p",
                ProjectionExpression="#b, price, legs, raws, missing", ExpressionAttributeNames={"#b": "raw"},
                ExpressionAttributeValues={":p": {"S": "u#1"}}),
        _answer(client.batch_write_item, RequestItems={TABLE: [
            {"PutRequest": {"Item": {"pk": {"S": pk}, "sk": {"S": sk}, "gsi": {"S": "g#2"}}}}
            for pk, sk in OTHER_KEYS]}),
        _answer(client.scan, TableName=TABLE, ProjectionExpression="pk, sk"),  # the table's order
        _answer(client.query, TableName=TABLE, IndexName="by-gsi", KeyConditionExpression="gsi = :g",
                ExpressionAttributeValues={":g": {"S": "g#2"}}),  # ties on the index key: table order
        _answer(client.scan, TableName=TABLE, FilterExpression="trade_id = :t",
                ExpressionAttributeValues={":t": {"N": BIG_ID}}),
        _answer(client.transact_write_items, TransactItems=[
            {"Update": {"TableName": TABLE, "Key": key, "UpdateExpression": "SET done = :d",
                        "ExpressionAttributeValues": {":d": {"BOOL": True}}}},
            {"ConditionCheck": {"TableName": TABLE, "Key": {**key, "sk": {"S": "tx#0002"}},
                                "ConditionExpression": "attribute_not_exists(pk)"}}]),
        _answer(client.transact_get_items, TransactItems=[{"Get": {"TableName": TABLE, "Key": key}}]),
        _answer(client.delete_item, TableName=TABLE, Key=key, ReturnValues="ALL_OLD"),
        _answer(client.query, TableName="missing", KeyConditionExpression="pk = :p",
                ExpressionAttributeValues={":p": {"S": "u#1"}}),
        # 14 bytes of names and keys plus the filler: exactly at moto's limit, then one byte over
        _answer(client.put_item, TableName=TABLE, Item=_sized(moto_dynamodb.ITEM_SIZE_LIMIT)),
        _answer(client.put_item, TableName=TABLE, Item=_sized(moto_dynamodb.ITEM_SIZE_LIMIT + 1)),
        *_writes_between_range_queries(client),
        *_range_queries(client),
    ]


def _range_queries(client: Any) -> list[Any]:
    """Range conditions on the table key, paged and reversed, next to other partitions."""
    _answer(client.batch_write_item, RequestItems={TABLE: [
        {"PutRequest": {"Item": {"pk": {"S": pk}, "sk": {"S": f"{n:013d}#tx{n}"}, "gsi": {"S": "g#3"}}}}
        for pk in ("u#r", "u#q") for n in range(0, 30, 3)]})
    values = {":p": {"S": "u#r"}, ":lo": {"S": "0000000000006"}, ":hi": {"S": "0000000000021#tx21"}}
    between = {"TableName": TABLE, "KeyConditionExpression": "pk = :p AND sk BETWEEN :lo AND :hi"}
    return [
        _answer(client.query, **between, ExpressionAttributeValues=values),
        _answer(client.query, **between, ExpressionAttributeValues=values, Limit=2, ScanIndexForward=False,
                ConsistentRead=True),
        _answer(client.query, **between, ExpressionAttributeValues=values, Limit=2,
                ExclusiveStartKey={"pk": {"S": "u#r"}, "sk": {"S": "0000000000009#tx9"}}),
        _answer(client.query, **between, ExpressionAttributeValues={
            **values, ":lo": {"S": "0000000000022"}, ":hi": {"S": "0000000000023"}}),
        _answer(client.query, TableName=TABLE, KeyConditionExpression="pk = :p AND sk >= :lo",
                FilterExpression="gsi = :g",
                ExpressionAttributeValues={":p": values[":p"], ":lo": values[":lo"], ":g": {"S": "g#3"}}),
        _answer(client.query, TableName=TABLE, KeyConditionExpression="pk = :p",
                ExpressionAttributeValues={":p": {"S": "nobody"}}),
    ]


def _writes_between_range_queries(client: Any) -> list[Any]:
    """Deletes, overwrites, new keys, a cancelled transaction and an upsert, each followed by the
    same range query: a partition kept in key order must follow every write."""
    pk = {"S": "u#w"}
    _answer(client.batch_write_item, RequestItems={TABLE: [
        {"PutRequest": {"Item": {"pk": pk, "sk": {"S": f"{n:013d}#tx{n}"}}}} for n in range(0, 30, 3)]})
    query = {"TableName": TABLE, "KeyConditionExpression": "pk = :p AND sk BETWEEN :lo AND :hi",
             "ExpressionAttributeValues": {":p": pk, ":lo": {"S": "0000000000006"},
                                           ":hi": {"S": "0000000000021#tx21"}}}
    key = {"pk": pk, "sk": {"S": "0000000000012#tx12"}}
    new = {"pk": pk, "sk": {"S": "0000000000013#new"}, "gsi": {"S": "g#4"}}
    cancelled = [
        {"Put": {"TableName": TABLE, "Item": {"pk": pk, "sk": {"S": "0000000000014#t"}}}},
        {"Delete": {"TableName": TABLE, "Key": key}},
        {"ConditionCheck": {"TableName": TABLE, "Key": {"pk": pk, "sk": {"S": "0000000000015#tx15"}},
                            "ConditionExpression": "attribute_not_exists(pk)"}},
    ]
    return [
        _answer(client.delete_item, TableName=TABLE, Key=key),
        _answer(client.query, **query),
        _answer(client.delete_item, TableName=TABLE, Key=key),  # already gone
        _answer(client.put_item, TableName=TABLE, Item=new),
        _answer(client.put_item, TableName=TABLE, Item={**new, "gsi": {"S": "g#5"}}),  # overwrite
        _answer(client.query, **query),
        _answer(client.batch_write_item, RequestItems={TABLE: [
            {"DeleteRequest": {"Key": {"pk": pk, "sk": new["sk"]}}},
            {"PutRequest": {"Item": {**key, "gsi": {"S": "g#6"}}}}]}),
        _answer(client.query, **query),
        _answer(client.transact_write_items, TransactItems=cancelled),
        _answer(client.query, **query),
        _answer(client.update_item, TableName=TABLE, Key={"pk": pk, "sk": {"S": "0000000000007#upd"}},
                UpdateExpression="SET gsi = :g", ExpressionAttributeValues={":g": {"S": "g#7"}}),
        _answer(client.query, **query),
        _answer(client.query, TableName=TABLE, KeyConditionExpression="pk = :p AND begins_with(sk, :pre)",
                ExpressionAttributeValues={":p": pk, ":pre": {"S": "000000000001"}}),
    ]


def _sized(total_bytes: int) -> dict[str, Any]:
    return {"pk": {"S": "u#1"}, "sk": {"S": "big"}, "blob": {"S": "x" * (total_bytes - 14)}}


def _run(adjusted: bool) -> list[Any]:
    with mock_aws():
        moto_dynamodb._plain_json_wire(adjusted)
        moto_dynamodb._linear_item_size_check(adjusted)
        moto_dynamodb._direct_top_level_projection(adjusted)
        moto_dynamodb._uncopied_query_results(adjusted)
        moto_dynamodb._native_key_order(adjusted)
        moto_dynamodb._sorted_partitions(adjusted)
        moto_dynamodb._partition_queries(adjusted)
        try:
            assert ("serialized" in DynamoHandler.__dict__) is adjusted
            client = boto3.client("dynamodb", region_name="eu-west-1", aws_access_key_id="testing",
                                  aws_secret_access_key="testing")
            _create(client)
            return _exercise(client)
        finally:
            moto_dynamodb._plain_json_wire(False)
            moto_dynamodb._linear_item_size_check(False)
            moto_dynamodb._direct_top_level_projection(False)
            moto_dynamodb._uncopied_query_results(False)
            moto_dynamodb._native_key_order(False)
            moto_dynamodb._sorted_partitions(False)
            moto_dynamodb._partition_queries(False)


@pytest.fixture(scope="module")
def answers() -> Iterator[tuple[list[Any], list[Any]]]:
    yield _run(adjusted=False), _run(adjusted=True)


def test_the_adjusted_moto_answers_every_item_operation_as_moto_does(answers: Any) -> None:
    by_moto, plain = answers
    assert len(plain) == len(by_moto)
    for index, (ours, theirs) in enumerate(zip(plain, by_moto, strict=True)):
        assert ours == theirs, f"call {index} differs"


def test_the_exercise_reaches_the_awkward_values_and_the_errors(answers: Any) -> None:
    """Guards the comparison above against comparing two empty lists of answers."""
    _, plain = answers
    stored = plain[3]["Item"]
    assert stored["raw"] == {"B": b"\x00\xffbinsync"} and stored["trade_id"] == {"N": BIG_ID}
    assert stored["amount"] == {"N": "-0.000000012345678901234567"}
    assert plain[2]["error"]["Code"] == "ConditionalCheckFailedException"
    assert plain[17]["error"]["Code"] == "TransactionCanceledException"
    assert plain[20]["error"]["Code"] == "ResourceNotFoundException"
    assert plain[5]["Attributes"]["count"] == {"N": "1"}
    assert [i["pk"]["S"] for i in plain[14]["Items"]][:4] == ["U#3", "u#1", "u#1", "u#10"]
    assert plain[21] == {} and plain[22]["error"]["Code"] == "ValidationException"
    ranged = [[i["sk"]["S"][:13] for i in answer["Items"]] for answer in plain[-6:-1]]
    assert ranged[0] == [f"{n:013d}" for n in (6, 9, 12, 15, 18, 21)]
    assert ranged[1] == [f"{n:013d}" for n in (21, 18)] and ranged[2] == [f"{n:013d}" for n in (12, 15)]
    assert ranged[3] == [] and len(ranged[4]) == 8
    writes = plain[-19:-6]
    written = [[i["sk"]["S"] for i in answer.get("Items", [])] for answer in writes]
    assert written[1] == [f"{n:013d}#tx{n}" for n in (6, 9, 15, 18, 21)]  # after the delete
    assert "0000000000013#new" in written[5] and "0000000000012#tx12" not in written[5]
    assert written[7] == [f"{n:013d}#tx{n}" for n in (6, 9, 12, 15, 18, 21)]
    assert writes[8]["error"]["Code"] == "TransactionCanceledException"
    assert written[9] == written[7]  # the cancelled transaction left the partition as it was
    assert "0000000000007#upd" in written[11]
    assert written[12] == ["0000000000012#tx12", "0000000000015#tx15", "0000000000018#tx18"]


def test_item_sizes_are_motos_own():
    from moto.dynamodb.models.dynamo_type import DynamoType, Item

    items = [Item(DynamoType(ITEM["pk"]), DynamoType(ITEM["sk"]), ITEM),
             Item(DynamoType({"S": "é"}), None, {"pk": {"S": "é✓"}, "n": {"N": "-1.5E+3"}, "m": {"M": {}}})]
    original = moto_dynamodb._ORIGINAL_DYNAMODB.get("Item.size", Item.size)
    moto_dynamodb._direct_item_size(True)
    try:
        assert [item.size() for item in items] == [original(item) for item in items]
        assert Item.size is not original
    finally:
        moto_dynamodb._direct_item_size(False)
