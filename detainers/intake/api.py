"""The fax gateway's endpoint (CONTRACT.md): a received fax reported by a machine."""

from celery import current_app
from drf_spectacular.utils import OpenApiResponse, PolymorphicProxySerializer, extend_schema
from rest_framework import status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.access import Role, allow
from config.api_schema import NOT_ALLOWED, field_errors_response
from detainers.intake.receptions import fax_reception_record
from detainers.intake.selectors import fax_receipt_item
from detainers.intake.serializers import (
    FaxReceiptSerializer,
    FaxReportSerializer,
    MissedFaxReceiptSerializer,
)
from detainers.intake.services import IncomingFile
from detainers.models import DetainerRequest, Source


class FaxReport(APIView):
    """Who: the fax gateway's account. Report a received fax; a retried `gateway_id` gets the
    first item back."""

    permission_classes = [allow(Role.GATEWAY)]
    parser_classes = [MultiPartParser, FormParser]
    refusal_field = "document"  # the service's refusals that name no field are about the file

    @extend_schema(
        request=FaxReportSerializer,
        responses={
            201: OpenApiResponse(
                PolymorphicProxySerializer(
                    component_name="FaxReportAnswer",
                    serializers=[FaxReceiptSerializer, MissedFaxReceiptSerializer],
                    resource_type_field_name=None,
                ),
                description="The new item; for status failed, the missed fax (id null).",
            ),
            200: OpenApiResponse(
                FaxReceiptSerializer, description="A retry: the item the first post made."
            ),
            400: field_errors_response({"received_at": ["Give the time with its offset."]}),
            403: NOT_ALLOWED,
        },
    )
    def post(self, request):
        incoming = FaxReportSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        fax = incoming.validated_data
        upload = fax.get("document")
        reception = fax_reception_record(
            source=Source.GATEWAY,
            status=fax["status"],
            received_at=fax["received_at"],
            document=IncomingFile(upload.name or "fax", upload.read()) if upload else None,
            actor=request.user,
            to_number=fax["to_number"],
            from_number=fax["from_number"],
            sender_id=fax.get("sender_id", ""),
            error=fax.get("error", ""),
            external_id=fax.get("gateway_id", ""),
            pages=fax.get("pages"),
        )
        code = status.HTTP_201_CREATED if reception.created else status.HTTP_200_OK
        if reception.missed_fax is not None:
            return Response(MissedFaxReceiptSerializer(reception.missed_fax).data, status=code)
        return Response(FaxReceiptSerializer(_receipt_item(reception)).data, status=code)


def _receipt_item(reception) -> DetainerRequest:
    """The new request as written, already in memory; read again for a retry (made earlier) and
    when tasks run in-process, since routing then ran at the commit and the answer says so."""
    if reception.request is not None and not current_app.conf.task_always_eager:
        return reception.request
    return fax_receipt_item(delivery_id=reception.delivery.pk)
