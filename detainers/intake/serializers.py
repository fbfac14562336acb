"""What the fax gateway's endpoint reads and answers (CONTRACT.md): parsing and shaping only."""

from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from detainers.core.documents import size_check
from detainers.intake.receptions import ReceptionStatus
from detainers.models import DetainerRequest, Document, MissedFax
from detainers.triage.reporter import reporter_status

FAX_PAGES_MAX = 10_000


class OffsetDateTimeField(serializers.DateTimeField):
    """An ISO 8601 date-time with its offset: a machine's naive clock is not guessed at."""

    default_error_messages = {
        "naive": "Give the time with its offset, e.g. 2024-03-15T09:30:00-04:00.",
    }

    def enforce_timezone(self, value):
        if timezone.is_naive(value):
            self.fail("naive")
        return super().enforce_timezone(value)


class FaxReportSerializer(serializers.Serializer):
    """A fax the gateway received, as multipart form fields."""

    document = serializers.FileField(
        # The intake service refuses an empty file, with a message that says what to do.
        allow_empty_file=True,
        required=False,
        help_text="The fax as a PDF or TIFF file, recognised by its content. Required unless "
        "status is failed.",
    )
    status = serializers.ChoiceField(
        choices=[status.value for status in ReceptionStatus],
        default=ReceptionStatus.RECEIVED.value,
        help_text="received (default); partial: pages were lost, the document is what arrived; "
        "failed: nothing usable arrived, no document (a missed fax, not a request).",
    )
    sender_id = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=100,
        help_text="The sending machine's id (TSI/CSID), as it sent it.",
    )
    error = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=2000,
        help_text="Why the reception failed or lost pages, as the fax server says it.",
    )
    to_number = serializers.CharField(
        allow_blank=True, help_text="The dialled number, in any common form, e.g. +1 617 555 0133."
    )
    from_number = serializers.CharField(
        allow_blank=True, max_length=320, help_text="The sender's number (blank if withheld)."
    )
    received_at = OffsetDateTimeField(help_text="When it arrived, ISO 8601 with offset.")
    pages = serializers.IntegerField(
        required=False,
        min_value=1,
        # No fax is longer; the column holds at most 2147483647, and more would be a 500.
        max_value=FAX_PAGES_MAX,
        error_messages={
            kind: f"Give the pages as a whole number from 1 to {FAX_PAGES_MAX}, or leave it out."
            for kind in ("invalid", "min_value", "max_value", "max_string_length")
        },
        help_text=f"Pages, if the gateway counted them: 1 to {FAX_PAGES_MAX}.",
    )
    gateway_id = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=255,
        help_text="The gateway's own id for the fax: a retry with it returns the first item.",
    )

    def validate_document(self, upload):
        # Refused before it is read into memory; the service checks the bytes it is given.
        size_check(upload.size, advice="Send it at a lower resolution or split it.")
        return upload

    def validate(self, attrs):
        failed = attrs["status"] == ReceptionStatus.FAILED
        if failed and attrs.get("document") is not None:
            raise serializers.ValidationError(
                {"document": "A failed reception carries no document: report partial to keep it."}
            )
        if not failed and attrs.get("document") is None:
            raise serializers.ValidationError(
                {"document": "Send the fax's file, or report status failed if nothing arrived."}
            )
        return attrs


class DocumentSummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = Document
        fields = ["content_type", "size", "sha256", "pages"]


class ReporterStatusField(serializers.ChoiceField):
    """The status as the account that reported the fax is told it (detainers.triage.reporter):
    never what the duplicate rules found by comparing it with other requests."""

    def get_attribute(self, instance: DetainerRequest) -> str:
        return reporter_status(request=instance)


class FaxReceiptSerializer(serializers.ModelSerializer):
    """The item a reported fax became; `id` is the request's id (/api/v1/requests/{id}/)."""

    channel = serializers.CharField(source="delivery.channel", read_only=True)
    precinct = serializers.CharField(
        source="delivery.precinct.code",
        read_only=True,
        allow_null=True,
        help_text="The precinct's code, or null.",
    )
    received_at = serializers.DateTimeField(source="delivery.received_at", read_only=True)
    status = ReporterStatusField(choices=DetainerRequest.Status.choices, read_only=True)
    routed_at = serializers.DateTimeField(
        source="delivery.routed_at",
        read_only=True,
        allow_null=True,
        help_text="Set once it is in the central inbox.",
    )
    receipt_number = serializers.CharField(
        source="delivery.receipt_number",
        read_only=True,
        help_text="What a clerk writes on the paper fax.",
    )
    delivery_id = serializers.IntegerField(read_only=True)
    number_match = serializers.CharField(
        source="delivery.number_match",
        read_only=True,
        help_text="What the dialled number was when the fax arrived: owned, retired or unknown.",
    )
    pages = serializers.IntegerField(source="delivery.pages", read_only=True, allow_null=True)
    document = DocumentSummarySerializer(read_only=True, allow_null=True)
    partial = serializers.BooleanField(
        source="delivery.partial", read_only=True, help_text="Pages were lost on the way."
    )
    sender_id = serializers.CharField(source="delivery.sender_id", read_only=True)

    class Meta:
        model = DetainerRequest
        fields = [
            "id",
            "channel",
            "precinct",
            "received_at",
            "status",
            "routed_at",
            "receipt_number",
            "delivery_id",
            "number_match",
            "pages",
            "document",
            "partial",
            "sender_id",
        ]
        read_only_fields = fields


class MissedFaxSerializer(serializers.ModelSerializer):
    """A failed reception (a missed fax): no request, a to-do to ask the sender again."""

    precinct = serializers.CharField(
        source="precinct.code", read_only=True, allow_null=True, help_text="Precinct code or null."
    )
    from_number = serializers.CharField(source="from_address", read_only=True)
    known_sender = serializers.CharField(
        source="known_sender.name", read_only=True, allow_null=True
    )
    resolved_by = serializers.SerializerMethodField(
        help_text="The request (id) of the fax received again that closed it, or null."
    )

    class Meta:
        model = MissedFax
        fields = [
            "id",
            "precinct",
            "to_number",
            "from_number",
            "sender_id",
            "received_at",
            "error",
            "pages",
            "number_match",
            "known_sender",
            "resolved_by",
            "resolved_at",
            "resend_asked_at",
        ]
        read_only_fields = fields

    def get_resolved_by(self, missed_fax: MissedFax) -> int | None:
        delivery = missed_fax.resolved_by
        if delivery is None:
            return None
        first = min((request.pk for request in delivery.requests.all()), default=None)
        return first


class MissedFaxReceiptSerializer(MissedFaxSerializer):
    """The answer to a failed report: `id` is null (no request was made)."""

    id = serializers.SerializerMethodField(
        help_text="Always null: a failed reception is no request."
    )
    missed_fax_id = serializers.IntegerField(source="pk", read_only=True)
    status = serializers.SerializerMethodField()
    channel = serializers.SerializerMethodField()

    class Meta(MissedFaxSerializer.Meta):
        fields = ["id", "missed_fax_id", "status", "channel", *MissedFaxSerializer.Meta.fields[1:]]
        read_only_fields = fields

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_id(self, missed_fax: MissedFax) -> None:
        return None

    def get_status(self, missed_fax: MissedFax) -> str:
        return ReceptionStatus.FAILED.value

    def get_channel(self, missed_fax: MissedFax) -> str:
        return "fax"
