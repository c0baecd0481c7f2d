"""openapi.json is generated from the code: the committed file must match it."""

from __future__ import annotations

import json
from pathlib import Path

from binsync.api.resolver import openapi_json

ROOT = Path(__file__).resolve().parents[2]


def test_committed_openapi_matches_the_code():
    committed = (ROOT / "openapi.json").read_text(encoding="utf-8")
    assert committed == openapi_json(), ("openapi.json is out of date: run `make openapi` "
                                         "(or `binsync serve-api --write-openapi openapi.json`)")


def test_every_operation_documents_its_errors_with_the_one_error_body():
    doc = json.loads(openapi_json())
    for path, operations in doc["paths"].items():
        for method, op in operations.items():
            codes = {int(c) for c in op["responses"]}
            assert any(200 <= c < 300 for c in codes), (method, path)
            assert 401 in codes, (method, path)
            for code, response in op["responses"].items():
                if int(code) == 401:
                    schema = response["content"]["application/json"]["schema"]
                    assert {"$ref": "#/components/schemas/ErrorBody"} in schema["anyOf"], (method, path)
                elif int(code) >= 400:
                    schema = response["content"]["application/json"]["schema"]
                    assert schema == {"$ref": "#/components/schemas/ErrorBody"}, (method, path, code)
    assert doc["security"] == [{"bearer": []}]
    assert "ConnectionCreate" in doc["components"]["schemas"]
    # The secret is write-only: no response schema has an api_secret or full api_key field.
    for name, schema in doc["components"]["schemas"].items():
        if name.endswith("Out") or name in ("DeletionReport", "UploadTicket"):
            assert "api_secret" not in schema.get("properties", {}), name
            assert "api_key" not in schema.get("properties", {}), name


def test_operation_ids_are_the_handler_names():
    doc = json.loads(openapi_json())
    ids = [op["operationId"] for ops in doc["paths"].values() for op in ops.values()]
    assert len(ids) == len(set(ids))
    assert doc["paths"]["/connections"]["get"]["operationId"] == "list_connections"
    assert all("_" not in i or not i.endswith(("_get", "_post", "_put", "_patch", "_delete")) for i in ids)


def test_the_connection_example_is_a_body_the_api_accepts_in_shape(api):
    """Swagger UI's "Try it out" sends the schema's example: it must pass validation (the key is
    Binance's documentation example, refused by the key check, not by the schema)."""
    doc = json.loads(openapi_json())
    example = doc["components"]["schemas"]["ConnectionCreate"]["example"]
    assert "base_url" not in example
    status, body = api.call("POST", "/connections", body=example)
    assert status == 422 and body["error"]["code"] == "key_refused", body
