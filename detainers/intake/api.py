"""The fax gateway's endpoint (CONTRACT.md): a received fax reported by a machine."""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.access import Role, allow
from config.api_schema import NOT_ALLOWED, field_errors_response
from detainers.core.documents import FAX_TYPES
from detainers.intake.selectors import fax_receipt_item
from detainers.intake.serializers import FaxReceiptSerializer, FaxReportSerializer
from detainers.intake.services import IncomingFile, delivery_receive
from detainers.models import Channel, Source


class FaxReport(APIView):
    """Who: the fax gateway's account. Report a received fax; a retried `gateway_id` gets the
    first item back."""

    permission_classes = [allow(Role.GATEWAY)]
    parser_classes = [MultiPartParser, FormParser]
    refusal_field = "document"  # the service's refusals that name no field are about the file

    @extend_schema(
        request=FaxReportSerializer,
        responses={
            201: OpenApiResponse(FaxReceiptSerializer, description="The new item."),
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
        upload = fax["document"]
        received = delivery_receive(
            channel=Channel.FAX,
            source=Source.GATEWAY,
            received_at=fax["received_at"],
            files=[IncomingFile(upload.name or "fax", upload.read())],
            actor=request.user,
            to_number=fax["to_number"],
            from_address=fax["from_number"],
            external_id=fax.get("gateway_id", ""),
            pages=fax.get("pages"),
            allowed_types=FAX_TYPES,
        )
        # Read again: routing may already have run (in-process tasks), and the answer says so.
        item = fax_receipt_item(delivery_id=received.delivery.pk)
        code = status.HTTP_201_CREATED if received.created else status.HTTP_200_OK
        return Response(FaxReceiptSerializer(item).data, status=code)
