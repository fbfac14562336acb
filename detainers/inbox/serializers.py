"""What the detainer API reads and writes (CONTRACT.md): parsing and shaping; services decide."""

from collections.abc import Mapping
from decimal import Decimal

from django.urls import reverse
from drf_spectacular.extensions import OpenApiSerializerExtension
from rest_framework import serializers

from detainers.inbox.search import (
    QUERY_LENGTH_MESSAGE,
    QUERY_MAX,
    QUERY_MIN,
    QUERY_WORDS_MAX,
    RESULTS_MAX,
    search_query_clean,
)
from detainers.intake.serializers import ReporterStatusField
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

REQUEST_ID_MAX = 2**63 - 1  # ids are BigAutoField


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
    "reference",
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
# All the fax gateway's account is shown of a request: the delivery it sent and the files in it.
# A list of what is in, not of what is out, so a field added to the request stays out until
# someone decides the gateway may have it. Nothing read off the document (the form's fields) or
# learnt from other requests (duplicate links, their reason naming the Event #, a disposition).
REPORTER_FIELDS = [*_DELIVERY_FIELDS, "documents"]

STATUS_HELP = (
    "For the fax gateway's account, reviewed only once a person has reviewed it: an automatic "
    "duplicate link is not shown to it."
)


class _DeliveryFieldsSerializer(serializers.ModelSerializer):
    """The fields about the delivery that carried a request, shared by both representations."""

    delivery_id = serializers.IntegerField(read_only=True)
    receipt_number = serializers.CharField(source="delivery.receipt_number", read_only=True)
    reference = serializers.CharField(
        read_only=True,
        help_text="The one name people use for this request: its receipt number, with -2, -3... "
        "for the further requests of the same delivery (DD-2026-000121-2).",
    )
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
    status = serializers.ChoiceField(
        choices=DetainerRequest.Status.choices, read_only=True, help_text=STATUS_HELP
    )
    documents = DocumentSerializer(source="delivery.documents", many=True, read_only=True)

    def get_fax_number(self, request: DetainerRequest) -> str | None:
        dialled = request.delivery.to_number
        return fax_number_display(dialled) if dialled else None


class RequestSummarySerializer(_DeliveryFieldsSerializer):
    """A detainer request as the fax gateway's account sees it: what it reported (REPORTER_FIELDS)."""

    status = ReporterStatusField(
        choices=DetainerRequest.Status.choices, source="*", read_only=True, help_text=STATUS_HELP
    )

    class Meta:
        model = DetainerRequest
        fields = REPORTER_FIELDS
        read_only_fields = fields


class DetainerRequestSerializer(_DeliveryFieldsSerializer):
    """A detainer request with its subject, for the people who review or log it.

    The fax gateway's account receives only what it reported: id, delivery_id, receipt_number,
    channel, source, precinct, fax_number, number_match, received_at, logged_at, routed_at, status
    and documents; none of the form's fields, no disposition, reviewer or duplicate link."""

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

    class Meta:
        model = DetainerRequest
        fields = [*_DELIVERY_FIELDS, *TRIAGE_FIELDS, *_REVIEW_FIELDS]
        read_only_fields = fields


class _ReporterFieldsRequired(OpenApiSerializerExtension):
    """In the schema only the fields every account gets are required: the fax gateway's account
    gets REPORTER_FIELDS and nothing else."""

    target_class = DetainerRequestSerializer

    def map_serializer(self, auto_schema, direction):
        schema = auto_schema._map_serializer(self.target, direction, bypass_extensions=True)
        schema["required"] = [
            field for field in schema.get("required", []) if field in REPORTER_FIELDS
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


AMOUNT_EXAMPLE = "Give an amount in dollars, e.g. 1250.00."
REIMBURSEMENT_ERRORS = {
    "invalid": AMOUNT_EXAMPLE,
    "max_string_length": AMOUNT_EXAMPLE,
    "min_value": "An amount cannot be negative: give 0 or more.",
    "max_decimal_places": "At most 2 decimals (cents), e.g. 1250.75.",
    "max_digits": "At most 9,999,999,999.99 dollars.",
    "max_whole_digits": "At most 9,999,999,999.99 dollars.",
}


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
        max_value=REQUEST_ID_MAX,
        error_messages={
            kind: f"Give the id of the earlier request, from 1 to {REQUEST_ID_MAX}, or null."
            for kind in ("invalid", "min_value", "max_value", "max_string_length")
        },
        help_text="The id of the earlier request this one repeats (the disposition becomes "
        "duplicate); null to unlink.",
    )

    held_beyond_release = serializers.BooleanField(
        required=False,
        allow_null=True,
        help_text="Held past the time the person would have been released; null: not recorded.",
    )
    transferred_to_federal_custody = serializers.BooleanField(
        required=False,
        allow_null=True,
        help_text="Handed over to federal immigration custody; null: not recorded.",
    )
    reimbursement_amount = serializers.DecimalField(
        max_digits=12,
        decimal_places=2,
        min_value=Decimal("0"),
        required=False,
        allow_null=True,
        error_messages=REIMBURSEMENT_ERRORS,
        help_text="Federal reimbursement received for this request's costs, in dollars: 0 or "
        'more, at most 2 decimals, e.g. "1250.00"; null: none received.',
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
        error_messages={
            kind: "Give a year from 1900 to 9998."
            for kind in ("invalid", "min_value", "max_value", "max_string_length")
        },
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
        'search syntax: "a phrase", -without, or; other operator characters count as spaces). '
        f"At most {QUERY_WORDS_MAX} words.",
    )

    def validate_q(self, query: str) -> str:
        return search_query_clean(query)  # its refusal is the field's error


class RequestSearchResultsSerializer(serializers.Serializer):
    """What a search found."""

    results = DetainerRequestSerializer(
        many=True,
        help_text="Requests as the request list shows them (for the fax gateway's account, only "
        "what it reported): receipt number and identifier matches first, then names, then "
        "document text; newest first within each.",
    )
    truncated = serializers.BooleanField(
        help_text=f"More than {RESULTS_MAX} requests matched: only the first are listed; refine "
        "the search."
    )
