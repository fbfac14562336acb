"""POST /api/v1/reconciliations/ and GET /api/v1/reconciliations/{id}/ (CONTRACT.md).

Upload the agency's list for a year; a small list is reconciled before the answer, a large one in
the background (its figures are null until `status` is `done`). Columns are recognised by name only:
a file whose columns are not known is refused with the missing facts and the columns found (the
page /reports/reconcile/ lets a person choose them instead).
"""

from django.urls import reverse
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.access import Role, allow
from config.api_schema import NOT_ALLOWED, DetailSerializer, field_errors_response
from config.errors import found_or_404
from detainers.models import Reconciliation, ReconciliationRow
from detainers.reconcile import selectors, services
from detainers.reconcile.forms import UploadForm

Result = ReconciliationRow.Result


class ReconciliationUploadSerializer(serializers.Serializer):
    """The agency's list for one year, as multipart form fields."""

    year = serializers.IntegerField(
        min_value=2000,
        # The upper bound is this year: the service refuses a later one, naming the range.
        error_messages={
            kind: "Choose a year from 2000 to this year."
            for kind in ("invalid", "min_value", "max_string_length")
        },
        help_text="The local year to compare (our requests received in it): 2000 to this year.",
    )
    file = serializers.FileField(
        help_text="The agency's list as CSV (UTF-8 or Windows-1252; commas, semicolons or tabs), "
        "with its published column names, e.g. “Detainer Prepare Date”, “EID Subject ID”."
    )

    def validate_file(self, upload):
        errors = UploadForm(files={"file": upload}, data={"year": 2000}).errors.get("file")
        if errors:
            raise serializers.ValidationError(errors)
        return upload


def _figure(help_text: str) -> serializers.IntegerField:
    return serializers.IntegerField(
        allow_null=True, read_only=True, help_text=help_text + " Null until done."
    )


class ReconciliationSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField(
        help_text="The page with the figures, per precinct and fax line, and the rows behind each."
    )
    # A plain string in the schema: an enum named "status" would collide with the requests' one
    # (settings.SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"] could name both).
    status = serializers.CharField(
        read_only=True,
        help_text="mapping (columns to choose on the page), queued, running, done or failed.",
    )
    agency_total = _figure("Rows of the agency's list dated in the year.")
    matched = _figure("Matched on an identifier, or by fallback and confirmed by a supervisor.")
    agency_only = _figure("On the agency's list, never received: the missed faxes.")
    ours_only = _figure("Our counted requests that no agency row matched.")
    ambiguous = _figure("Agency rows with several of ours equally close.")
    fallback_unconfirmed = _figure("Matched on date, precinct and person, awaiting a supervisor.")
    progress = serializers.FloatField(
        read_only=True, help_text="Share of the rows processed, 0 to 1."
    )
    error = serializers.CharField(read_only=True, help_text="Why it failed; blank otherwise.")

    class Meta:
        model = Reconciliation
        fields = [
            "id", "year", "url", "status", "agency_total", "matched", "agency_only", "ours_only",
            "ambiguous", "fallback_unconfirmed", "progress", "error",
        ]  # fmt: skip
        read_only_fields = fields

    def get_url(self, reconciliation: Reconciliation) -> str:
        path = reverse("reconcile-detail", args=[reconciliation.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path

    def to_representation(self, reconciliation: Reconciliation) -> dict:
        answer = super().to_representation(reconciliation)
        totals = (
            selectors.reconciliation_figures(reconciliation=reconciliation).totals
            if reconciliation.is_done
            else None
        )
        figures = {
            "agency_total": selectors.AGENCY,
            "matched": Result.MATCHED,
            "agency_only": Result.AGENCY_ONLY,
            "ours_only": Result.OURS_ONLY,
            "ambiguous": Result.AMBIGUOUS,
            "fallback_unconfirmed": Result.FALLBACK,
        }
        answer.update({name: totals[key] if totals else None for name, key in figures.items()})
        return answer


READ = OpenApiResponse(ReconciliationSerializer, description="The reconciliation.")


class ReconciliationList(APIView):
    """Who: supervisors. Upload the agency's list for a year."""

    permission_classes = [allow(Role.SUPERVISOR)]
    parser_classes = [MultiPartParser]
    refusal_field = "file"  # a refusal that names no field is about the file

    @extend_schema(
        request=ReconciliationUploadSerializer,
        responses={
            201: OpenApiResponse(
                ReconciliationSerializer,
                description="Saved; reconciled already (`status` done) or in the background.",
            ),
            400: field_errors_response(
                {
                    "file": ["The file has no column for the date the detainer was prepared …"],
                    "missing_columns": ["the date the detainer was prepared …"],
                    "columns_found": ["Prep Dt", "Subject"],
                }
            ),
            401: NOT_ALLOWED,
            403: NOT_ALLOWED,
        },
    )
    def post(self, request):
        upload = ReconciliationUploadSerializer(data=request.data)
        upload.is_valid(raise_exception=True)
        file = upload.validated_data["file"]
        reconciliation = services.reconciliation_upload(
            year=upload.validated_data["year"],
            file_name=file.name or "",
            content=file,  # read a chunk at a time, never whole
            actor=request.user,
            automatic_only=True,
        )
        answer = ReconciliationSerializer(reconciliation, context={"request": request})
        return Response(answer.data, status=status.HTTP_201_CREATED)


class ReconciliationDetail(APIView):
    """Who: supervisors. A reconciliation's status and figures."""

    permission_classes = [allow(Role.SUPERVISOR)]

    @extend_schema(
        responses={
            200: READ,
            401: NOT_ALLOWED,
            403: NOT_ALLOWED,
            404: OpenApiResponse(DetailSerializer, description="No such reconciliation."),
        }
    )
    def get(self, request, pk: int):
        reconciliation = found_or_404(
            selectors.reconciliation_for_user(user=request.user, pk=pk), "reconciliation"
        )
        return Response(ReconciliationSerializer(reconciliation, context={"request": request}).data)
