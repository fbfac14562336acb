"""Hostile input against every API operation: schemathesis generates requests from /api/schema/.

The app is called in-process through its WSGI application, with real token authentication: the fax
gateway's token for reporting faxes, an admin's for the admin-only fax-number operations, a
supervisor's for everything else (the role that may use them; another role would only ever get 403).
Every response must be a non-5xx answer that the schema declares: status code, content type and
body.

The database is used transactionally: the requests go through the WSGI handler, which commits, and
on commit routing runs in-process as it does under `make run`.
"""

import os

import pytest
import schemathesis
from django.contrib.auth.models import Group
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from accounts.access import Role
from accounts.tokens import api_token_create
from config.wsgi import application
from tests.conftest import local
from tests.factories import fax_received

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
# Input that breaks the schema (a multipart body with no parts, a JSON body of one NUL byte) may be
# refused with any 4xx HTTP has for it (415, 405, ...), documented or not; it must still never be
# a 5xx, and every documented answer must be what the schema says.
CHECKS_FOR = {
    GenerationMode.POSITIVE: CHECKS,
    GenerationMode.NEGATIVE: [check for check in CHECKS if check is not status_code_conformance],
}
# Who may use which operation (CONTRACT.md); everything else: the supervisor.
GATEWAY_OPERATIONS = {("POST", "/api/v1/faxes/")}
ADMIN_OPERATIONS = {("POST", "/api/v1/fax-numbers/"), ("POST", "/api/v1/fax-numbers/{id}/retire/")}


pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def roles(transactional_db):
    """The roles are groups made by a data migration, and a transactional test before this one
    may have emptied the tables. (serialized_rollback would restore them, but fails whenever such
    a test flushed first: the content types it re-created collide with the serialized ones.)"""
    for role in Role:
        Group.objects.get_or_create(name=role.value)


@pytest.fixture
def tokens(b3, c11, supervisor, admin_user, gateway) -> dict[str, str]:
    # A little real data, so ids and filters sometimes hit something.
    for day in (1, 2, 3):
        fax_received(received_at=local(2024, 3, day, 9, 30), actor=gateway)
    fax_received(to_number="+16175550151", received_at=local(2025, 1, 2, 10, 0), actor=gateway)
    return {
        name: api_token_create(user=user)[1]
        for name, user in (("supervisor", supervisor), ("admin", admin_user), ("gateway", gateway))
    }


def api_operations() -> list[tuple[str, str]]:
    """Every operation of the schema, read from the generator at collection time (the live schema
    at /api/schema/ needs a signed-in user, so it is loaded in the test itself)."""
    generated = SchemaGenerator().get_schema(request=None, public=True)
    return [
        (method.upper(), path)
        for path, item in sorted(generated["paths"].items())
        for method in item
        if method in ("get", "post", "put", "patch", "delete")
    ]


def token_for(method: str, path: str, tokens: dict[str, str]) -> str:
    if (method, path) in GATEWAY_OPERATIONS:
        return tokens["gateway"]
    if (method, path) in ADMIN_OPERATIONS:
        return tokens["admin"]
    return tokens["supervisor"]


TAKES_NO_INPUT = {("GET", "/api/v1/precincts/")}


def test_every_operation_is_exercised():
    # A new endpoint joins the run below by itself; this only guards against an empty list.
    assert ("POST", "/api/v1/faxes/") in api_operations()
    assert ("PATCH", "/api/v1/requests/{id}/") in api_operations()


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
@pytest.mark.parametrize(("method", "path"), api_operations())
def test_no_operation_answers_5xx_or_outside_its_schema(method, path, mode, tokens):
    authorization = {"Authorization": f"Token {token_for(method, path, tokens)}"}
    schema = schemathesis.openapi.from_wsgi(
        "/api/schema/?format=json", application, headers=authorization
    )
    operation = schema[path][method]

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=int(os.environ.get("SCHEMATHESIS_EXAMPLES", "25")),
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    def run(case):
        case.call_and_validate(headers=authorization, checks=CHECKS_FOR[mode])

    try:
        run()
    except Unsatisfiable:
        # Only an operation that takes no input has no invalid input to send; any other that ends
        # here lost its fuzzing, and that is a failure.
        assert mode == GenerationMode.NEGATIVE and (method, path) in TAKES_NO_INPUT
