"""REST endpoints for faxes and detainer requests (CONTRACT.md). Each view states who may use it.

The views parse input, call the intake or triage service, and serialize what it returns; every read
goes through the selectors, which scope it to what the user may see.
"""

from datetime import datetime

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet, prefetch_related_objects
from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.access import Role, allow, has_role

from . import search, selectors, triage
from .documents import FAX_TYPES
from .intake import IncomingFile, delivery_receive
from .models import Channel, DetainerRequest, Source
from .serializers import (
    DetailSerializer,
    DetainerRequestSerializer,
    FaxReceiptSerializer,
    FaxReportSerializer,
    RequestFilterSerializer,
    RequestSearchResultsSerializer,
    RequestSearchSerializer,
    RequestSummarySerializer,
    RequestTriageSerializer,
)

READERS = (Role.SUPERVISOR, Role.CLERK, Role.GATEWAY)


def _field_errors_response(example: dict) -> OpenApiResponse:
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
NOT_FOUND = OpenApiResponse(
    DetailSerializer, description="No such request, or not one this account may see."
)
NO_PAGE = OpenApiResponse(DetailSerializer, description="No such page.")


def _field_errors(error: DjangoValidationError, field: str) -> ValidationError:
    """A service's error as a 400 body: its own field names, or `field` for a plain message."""
    if hasattr(error, "error_dict"):
        return ValidationError(error.message_dict)
    return ValidationError({field: error.messages})


def _sees_subjects(user) -> bool:
    return has_role(user, Role.SUPERVISOR, Role.CLERK)


def _with_details(requests: QuerySet[DetainerRequest]) -> QuerySet[DetainerRequest]:
    """Everything the representation reads, in a fixed number of queries however many rows."""
    return requests.select_related("delivery__precinct", "reviewed_by").prefetch_related(
        "delivery__documents"
    )


def _local_year(year: int) -> tuple[datetime, datetime]:
    """[1 January, next 1 January) in the department's time zone."""
    zone = timezone.get_default_timezone()
    return (
        timezone.make_aware(datetime(year, 1, 1), zone),
        timezone.make_aware(datetime(year + 1, 1, 1), zone),
    )


def _requests_matching(
    requests: QuerySet[DetainerRequest], filters: dict
) -> QuerySet[DetainerRequest]:
    if "year" in filters:
        start, end = _local_year(filters["year"])
        requests = requests.filter(delivery__received_at__gte=start, delivery__received_at__lt=end)
    if "channel" in filters:
        requests = requests.filter(delivery__channel=filters["channel"])
    if filters.get("precinct") == "none":
        requests = requests.filter(delivery__precinct__isnull=True)
    elif "precinct" in filters:
        requests = requests.filter(delivery__precinct=filters["precinct"])
    if "status" in filters:
        requests = requests.filter(selectors.status_filter(filters["status"]))
    return requests


class FaxReport(APIView):
    """Who: the fax gateway's account. Report a received fax; a retried `gateway_id` gets the
    first item back."""

    permission_classes = [allow(Role.GATEWAY)]
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        request=FaxReportSerializer,
        responses={
            201: OpenApiResponse(FaxReceiptSerializer, description="The new item."),
            200: OpenApiResponse(
                FaxReceiptSerializer, description="A retry: the item the first post made."
            ),
            400: _field_errors_response({"received_at": ["Give the time with its offset."]}),
            403: NOT_ALLOWED,
        },
    )
    def post(self, request):
        incoming = FaxReportSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        fax = incoming.validated_data
        upload = fax["document"]
        try:
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
        except DjangoValidationError as error:
            raise _field_errors(error, "document") from None
        # Read again: routing may already have run (in-process tasks), and the answer says so.
        item = (
            DetainerRequest.objects.select_related("delivery__precinct", "document")
            .filter(delivery_id=received.delivery.pk)
            .order_by("pk")
            .first()
        )
        code = status.HTTP_201_CREATED if received.created else status.HTTP_200_OK
        return Response(FaxReceiptSerializer(item).data, status=code)


class RequestList(generics.ListAPIView):
    """Who: supervisors (all), clerks (their precinct's), the fax gateway (what it reported).

    Ordered by id, so a script paging through does not skip items logged meanwhile."""

    permission_classes = [allow(*READERS)]

    def get_serializer_class(self):
        return (
            DetainerRequestSerializer
            if _sees_subjects(self.request.user)
            else RequestSummarySerializer
        )

    def get_queryset(self):
        query = RequestFilterSerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        requests = selectors.requests_visible_to(self.request.user)
        return _with_details(_requests_matching(requests, query.validated_data)).order_by("pk")

    @extend_schema(
        parameters=[RequestFilterSerializer],
        responses={
            200: OpenApiResponse(DetainerRequestSerializer, description="A page of requests."),
            400: _field_errors_response({"year": ["A valid integer is required."]}),
            403: NOT_ALLOWED,
            404: NO_PAGE,
        },
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class RequestDetail(APIView):
    """Who: reading as for the list; triage (PATCH) by supervisors only."""

    permission_classes = [allow(*READERS)]
    triage_permission_classes = [allow(Role.SUPERVISOR)]
    parser_classes = [JSONParser]

    def get_permissions(self):
        # Roles first, scope second: a clerk's PATCH is 403 whatever the id, never a 404 that
        # would tell which ids exist.
        if self.request.method == "PATCH":
            return [permission() for permission in self.triage_permission_classes]
        return super().get_permissions()

    def _answer(self, request, item: DetainerRequest) -> Response:
        shape = (
            DetainerRequestSerializer if _sees_subjects(request.user) else RequestSummarySerializer
        )
        return Response(shape(item, context={"request": request}).data)

    @extend_schema(
        responses={
            200: OpenApiResponse(DetainerRequestSerializer, description="The request."),
            403: NOT_ALLOWED,
            404: NOT_FOUND,
        }
    )
    def get(self, request, pk: int):
        return self._answer(request, selectors.request_for_user(user=request.user, pk=pk))

    @extend_schema(
        request=RequestTriageSerializer,
        responses={
            200: OpenApiResponse(DetainerRequestSerializer, description="The request, triaged."),
            400: _field_errors_response({"a_number": ["An A-number has 7 to 9 digits."]}),
            403: NOT_ALLOWED,
            404: NOT_FOUND,
        },
    )
    def patch(self, request, pk: int):
        item = selectors.request_for_user(user=request.user, pk=pk)
        changes = RequestTriageSerializer(data=request.data)
        changes.is_valid(raise_exception=True)
        try:
            triage.request_triage(
                request_id=item.pk, actor=request.user, changes=changes.validated_data
            )
        except DjangoValidationError as error:
            raise _field_errors(error, "non_field_errors") from None
        # Read again through the scope: triage may also have linked duplicates.
        return self._answer(request, selectors.request_for_user(user=request.user, pk=pk))


class RequestSearch(APIView):
    """Who: as the request list, and scoped the same way. A POST, though it changes nothing: the
    query is often a person's name, and a URL is written to logs. The query is never logged.

    The fax gateway's account finds only by receipt number: it may not read names, identifiers or
    documents, so matching them would tell it what it may not read."""

    permission_classes = [allow(*READERS)]
    parser_classes = [JSONParser]

    @extend_schema(
        request=RequestSearchSerializer,
        responses={
            200: OpenApiResponse(
                RequestSearchResultsSerializer,
                description=f"The matching requests, at most {search.RESULTS_MAX}.",
            ),
            400: _field_errors_response({"q": [search.QUERY_LENGTH_MESSAGE]}),
            403: NOT_ALLOWED,
        },
    )
    def post(self, request):
        incoming = RequestSearchSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        found = search.requests_search(user=request.user, query=incoming.validated_data["q"])
        # What the representation reads, in a fixed number of queries however many rows.
        prefetch_related_objects(found.requests, "delivery__documents", "reviewed_by")
        shape = (
            DetainerRequestSerializer if _sees_subjects(request.user) else RequestSummarySerializer
        )
        results = shape(found.requests, many=True, context={"request": request}).data
        return Response({"results": results, "truncated": found.truncated})
