"""The OpenAPI schema describes the detainer endpoints as CONTRACT.md has them, without warnings."""

from io import StringIO

import pytest
from django.core.management import call_command

pytestmark = pytest.mark.django_db


@pytest.fixture
def schema(api_as):
    response = api_as("supervisor").get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    return response.json()


def resolve(schema: dict, ref_or_schema: dict) -> dict:
    ref = ref_or_schema.get("$ref")
    if ref is None:
        return ref_or_schema
    return schema["components"]["schemas"][ref.rsplit("/", 1)[-1]]


def test_every_operation_is_there(schema):
    paths = schema["paths"]
    assert "post" in paths["/api/v1/faxes/"]
    assert "get" in paths["/api/v1/requests/"]
    assert {"get", "patch"} <= paths["/api/v1/requests/{id}/"].keys()


def test_the_fax_report_is_multipart_with_the_contract_fields(schema):
    post = schema["paths"]["/api/v1/faxes/"]["post"]
    body = resolve(schema, post["requestBody"]["content"]["multipart/form-data"]["schema"])

    assert "application/json" not in post["requestBody"]["content"]
    assert set(body["properties"]) == {
        "document",
        "to_number",
        "from_number",
        "received_at",
        "pages",
        "gateway_id",
        "status",
        "sender_id",
        "error",
    }
    assert body["properties"]["document"]["format"] == "binary"
    assert body["properties"]["received_at"]["format"] == "date-time"
    status = resolve(schema, body["properties"]["status"]["allOf"][0])
    assert status["enum"] == ["received", "partial", "failed"]
    # The document is required unless the status is failed: the service says so with a 400.
    assert set(body["required"]) == {"to_number", "from_number", "received_at"}
    assert {"201", "200", "400", "403"} <= post["responses"].keys()
    answer = resolve(schema, post["responses"]["201"]["content"]["application/json"]["schema"])
    receipt, missed = (resolve(schema, shape) for shape in answer["oneOf"])
    assert {"id", "channel", "precinct", "received_at", "status", "routed_at"} <= set(
        receipt["properties"]
    )
    assert {"id", "missed_fax_id", "status", "precinct", "received_at", "error"} <= set(
        missed["properties"]
    )


def test_the_request_list_names_its_filters_and_is_paginated(schema):
    get = schema["paths"]["/api/v1/requests/"]["get"]
    assert {"year", "channel", "precinct", "status", "page"} <= {
        p["name"] for p in get["parameters"]
    }
    page = resolve(schema, get["responses"]["200"]["content"]["application/json"]["schema"])
    assert {"count", "next", "previous", "results"} <= set(page["properties"])
    assert {"400", "403"} <= get["responses"].keys()


def test_triage_names_its_fields_and_answers(schema):
    patch = schema["paths"]["/api/v1/requests/{id}/"]["patch"]
    body = resolve(schema, patch["requestBody"]["content"]["application/json"]["schema"])
    assert {
        "form_type",
        "subject_name",
        "a_number",
        "subject_id",
        "event_number",
        "disposition",
        "duplicate_of",
    } <= set(body["properties"])
    assert not body.get("required")
    assert {"200", "400", "403", "404"} <= patch["responses"].keys()
    item = resolve(schema, patch["responses"]["200"]["content"]["application/json"]["schema"])
    # The fax gateway's account gets the same object without these, so they are optional.
    assert "subject_name" in item["properties"]
    assert "subject_name" not in item["required"]
    assert "status" in item["required"]


def test_the_schema_generates_and_validates_without_warnings():
    out, err = StringIO(), StringIO()
    call_command("spectacular", "--validate", "--fail-on-warn", stdout=out, stderr=err)
    assert "Warning" not in err.getvalue()
    assert "openapi: 3" in out.getvalue()
