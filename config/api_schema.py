"""What every API endpoint (precincts and detainers alike) says in the schema about its refusals.

The bodies themselves come from DRF and config/errors.py (the one error path); these only describe
them in the OpenAPI schema.
"""

from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers


class DetailSerializer(serializers.Serializer):
    """Why the request was refused."""

    detail = serializers.CharField()


def field_errors_response(example: dict) -> OpenApiResponse:
    # {"field": ["message", ...]}, or {"detail": "message"} for a body that cannot be parsed.
    return OpenApiResponse(
        response={
            "type": "object",
            "additionalProperties": {
                "oneOf": [{"type": "array", "items": {"type": "string"}}, {"type": "string"}]
            },
            "example": example,
        },
        description="What was refused (a field or parameter, or the body as a whole) and how to "
        "fix it.",
    )


NOT_ALLOWED = OpenApiResponse(
    DetailSerializer, description="Not signed in, or the account's role may not do this."
)
