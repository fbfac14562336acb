"""What the detainer API reads and writes (CONTRACT.md): parsing and shaping; services decide."""

from collections.abc import Mapping

from django.urls import reverse
from drf_spectacular.extensions import OpenApiSerializerExtension
from rest_framework import serializers

from detainers.inbox.search import (
    QUERY_LENGTH_MESSAGE,
    QUERY_MAX,
    QUERY_MIN,
    RESULTS_MAX,
    search_query_clean,
)
from detainers.models import (
    Channel,
    DetainerRequest,
    Disposition,
    Document,
    FormType,
    ProbableCause,
)
from detainers.triage.services import TEXT_FIELDS, TRIAGE_FIELDS
from precincts.models import Precinct
from precincts.phone import fax_number_display

# Left out of what the fax gateway's account sees: it reports faxes, it does not read them.
PERSONAL_FIELDS = (
    "subject_name",
    "date_of_birth",
    "a_number",
    "subject_id",
    "event_number",
    "citizenship",
    "sex",
    "legal_review_note",  # free text that may name the subject
)


class DocumentSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField(help_text="Where a permitted user reads the file.")

    class Meta:
        model = Document
        fields = ["id", "url", "content_type", "size", "pages", "sha256"]

    def get_url(self, document: Document) -> str:
        path = reverse("document", args=[document.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path


_DELIVERY_FIELDS = [
    "id",
    "delivery_id",
    "receipt_number",
    "channel",
    "source",
    "precinct",
    "fax_number",
    "number_match",
    "received_at",
    "logged_at",
    "routed_at",
    "status",
]
_REVIEW_FIELDS = ["reviewed_by", "reviewed_at", "duplicate_reason", "documents"]


class RequestSummarySerializer(serializers.ModelSerializer):
    """A detainer request without anything about its subject, for the fax gateway's account."""

    delivery_id = serializers.IntegerField(read_only=True)
    receipt_number = serializers.CharField(source="delivery.receipt_number", read_only=True)
    channel = serializers.CharField(source="delivery.channel", read_only=True)
    source = serializers.CharField(source="delivery.source", read_only=True)
    precinct = serializers.CharField(
        source="delivery.precinct.code",
        read_only=True,
        allow_null=True,
        help_text="The precinct's code, or null.",
    )
    fax_number = serializers.SerializerMethodField(
        help_text="The dialled number as people write it, or null."
    )
    number_match = serializers.CharField(
        source="delivery.number_match",
        read_only=True,
        help_text="owned, retired, unknown, or blank (email).",
    )
    received_at = serializers.DateTimeField(source="delivery.received_at", read_only=True)
    logged_at = serializers.DateTimeField(source="delivery.logged_at", read_only=True)
    routed_at = serializers.DateTimeField(
        source="delivery.routed_at",
        read_only=True,
        allow_null=True,
        help_text="Set once it is in the central inbox.",
    )
    status = serializers.ChoiceField(choices=DetainerRequest.Status.choices, read_only=True)
    # Blank until a reviewer chooses one: declared so the schema's enums include "".
    form_type = serializers.ChoiceField(FormType.choices, allow_blank=True, read_only=True)
    probable_cause = serializers.ChoiceField(
        ProbableCause.choices, allow_blank=True, read_only=True
    )
    disposition = serializers.ChoiceField(Disposition.choices, allow_blank=True, read_only=True)
    reviewed_by = serializers.CharField(
        source="reviewed_by.username", read_only=True, allow_null=True
    )
    duplicate_of = serializers.IntegerField(
        source="duplicate_of_id", read_only=True, allow_null=True
    )
    documents = DocumentSerializer(source="delivery.documents", many=True, read_only=True)

    class Meta:
        model = DetainerRequest
        fields = [
            *_DELIVERY_FIELDS,
            *(field for field in TRIAGE_FIELDS if field not in PERSONAL_FIELDS),
            *_REVIEW_FIELDS,
        ]
        read_only_fields = fields

    def get_fax_number(self, request: DetainerRequest) -> str | None:
        dialled = request.delivery.to_number
        return fax_number_display(dialled) if dialled else None


class DetainerRequestSerializer(RequestSummarySerializer):
    """A detainer request with its subject, for the people who review or log it.

    The fax gateway's account receives the same object without the personal fields: subject_name,
    date_of_birth, a_number, subject_id, event_number, citizenship, sex, legal_review_note."""

    class Meta(RequestSummarySerializer.Meta):
        fields = [*_DELIVERY_FIELDS, *TRIAGE_FIELDS, *_REVIEW_FIELDS]
        read_only_fields = fields


class _PersonalFieldsOptional(OpenApiSerializerExtension):
    """In the schema the personal fields are optional: the fax gateway's account gets none."""

    target_class = DetainerRequestSerializer

    def map_serializer(self, auto_schema, direction):
        schema = auto_schema._map_serializer(self.target, direction, bypass_extensions=True)
        schema["required"] = [
            field for field in schema.get("required", []) if field not in PERSONAL_FIELDS
        ]
        return schema


def _choice(choices) -> serializers.ChoiceField:
    values = ", ".join(value for value, _ in choices)
    return serializers.ChoiceField(
        choices=choices,
        allow_blank=True,
        required=False,
        error_messages={"invalid_choice": f'"{{input}}" is not one of: {values}.'},
    )


class RequestTriageSerializer(serializers.Serializer):
    """A reviewer's changes. Send only the fields that change; anything else is refused."""

    form_type = _choice(FormType.choices)
    form_date = serializers.DateField(required=False, allow_null=True)
    subject_id = serializers.CharField(required=False, allow_blank=True, max_length=100)
    event_number = serializers.CharField(required=False, allow_blank=True, max_length=100)
    a_number = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=40,
        help_text="Any punctuation, e.g. A 012-345-678.",
    )
    subject_name = serializers.CharField(
        required=False, allow_blank=True, max_length=TEXT_FIELDS["subject_name"]
    )
    citizenship = serializers.CharField(
        required=False, allow_blank=True, max_length=TEXT_FIELDS["citizenship"]
    )
    sex = serializers.CharField(required=False, allow_blank=True, max_length=TEXT_FIELDS["sex"])
    legal_review_note = serializers.CharField(
        required=False, allow_blank=True, max_length=TEXT_FIELDS["legal_review_note"]
    )
    date_of_birth = serializers.DateField(required=False, allow_null=True)
    probable_cause = _choice(ProbableCause.choices)
    notify_before_release = serializers.BooleanField(required=False, allow_null=True)
    hold_up_to_48_hours = serializers.BooleanField(required=False, allow_null=True)
    warrant_attached = serializers.BooleanField(
        required=False,
        allow_null=True,
        help_text="Accompanied by an administrative warrant (Form I-200 or I-205).",
    )
    disposition = _choice(Disposition.choices)
    legal_review = serializers.BooleanField(required=False)
    duplicate_of = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=1,
        help_text="The id of the earlier request this one repeats (the disposition becomes "
        "duplicate); null to unlink.",
    )

    def to_internal_value(self, data):
        # Unknown fields are named together with any other mistakes, so one reply lists them all.
        unknown = sorted(set(data) - set(self.fields)) if isinstance(data, Mapping) else []
        errors = {
            field: [f"This field cannot be changed here. Triage fields: {', '.join(self.fields)}."]
            for field in unknown
        }
        try:
            attrs = super().to_internal_value(data)
        except serializers.ValidationError as error:
            if not isinstance(error.detail, dict):
                raise
            errors = {**error.detail, **errors}
        if errors:
            raise serializers.ValidationError(errors)
        return attrs


class RequestFilterSerializer(serializers.Serializer):
    """Query parameters of the request list."""

    year = serializers.IntegerField(
        required=False,
        min_value=1900,
        max_value=9998,
        help_text="Local year (in the department's time zone) in which the item was received.",
    )
    channel = serializers.ChoiceField(choices=Channel.choices, required=False)
    precinct = serializers.CharField(
        required=False,
        help_text="A precinct's code, e.g. B-3, or `none` for items with no precinct.",
    )
    status = serializers.ChoiceField(choices=DetainerRequest.Status.choices, required=False)

    def validate_precinct(self, code: str) -> Precinct | str:
        if code == "none":
            return code
        precinct = Precinct.objects.filter(code=code).first()
        if precinct is None:
            raise serializers.ValidationError(
                f"There is no precinct {code!r}: give a code such as B-3, or none."
            )
        return precinct


def _search_query_error(message: str) -> dict[str, str]:
    return {
        key: message for key in ("required", "blank", "null", "min_length", "max_length", "invalid")
    }


class RequestSearchSerializer(serializers.Serializer):
    """A search (POST /api/v1/requests/search/): in the body, because a name in a URL is logged."""

    q = serializers.CharField(
        min_length=QUERY_MIN,
        max_length=QUERY_MAX,
        error_messages=_search_query_error(QUERY_LENGTH_MESSAGE),
        help_text="A receipt number (DD-2026-000123), a Subject ID, an Event #, an A-number in any "
        "format, the subject's name (every word), or words from the documents (PostgreSQL web "
        'search syntax: "a phrase", -without, or).',
    )

    def validate_q(self, query: str) -> str:
        return search_query_clean(query)  # its refusal is the field's error


class RequestSearchResultsSerializer(serializers.Serializer):
    """What a search found."""

    results = DetainerRequestSerializer(
        many=True,
        help_text="Requests as the request list shows them (without the personal fields for the "
        "fax gateway's account): receipt number and identifier matches first, then names, then "
        "document text; newest first within each.",
    )
    truncated = serializers.BooleanField(
        help_text=f"More than {RESULTS_MAX} requests matched: only the first are listed; refine "
        "the search."
    )
