"""REST endpoints for detainer requests (CONTRACT.md). Each view states who may use it.

The views parse input, call the triage service, and serialize what it returns; every read
goes through the selectors, which scope it to what the user may see.
"""

from django.db.models import QuerySet, prefetch_related_objects
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, serializers
from rest_framework.parsers import JSONParser
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.access import Role, allow, has_role
from config.api_schema import NOT_ALLOWED, DetailSerializer, field_errors_response
from config.errors import found_or_404
from detainers.inbox import search, selectors
from detainers.inbox.serializers import (
    DetainerRequestSerializer,
    RequestFilterSerializer,
    RequestSearchResultsSerializer,
    RequestSearchSerializer,
    RequestSummarySerializer,
    RequestTriageSerializer,
)
from detainers.intake.serializers import MissedFaxSerializer
from detainers.models import DetainerRequest
from detainers.triage import selectors as visibility
from detainers.triage import services as triage
from detainers.triage.reporter import reporter_status_filter

READERS = (Role.SUPERVISOR, Role.CLERK, Role.GATEWAY)


NOT_FOUND = OpenApiResponse(
    DetailSerializer, description="No such request, or not one this account may see."
)
NO_PAGE = OpenApiResponse(DetailSerializer, description="No such page.")


def _sees_subjects(user) -> bool:
    return has_role(user, Role.SUPERVISOR, Role.CLERK)


def _with_details(requests: QuerySet[DetainerRequest]) -> QuerySet[DetainerRequest]:
    """Everything the representation reads, in a fixed number of queries however many rows."""
    return requests.select_related("delivery__precinct", "reviewed_by").prefetch_related(
        "delivery__documents"
    )


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
        filters = dict(query.validated_data)
        requests = visibility.requests_visible_to(self.request.user)
        if "status" in filters and not _sees_subjects(self.request.user):
            # The gateway's status is not the reviewers' (detainers.triage.reporter): filtering on
            # theirs would tell it what its answers leave out.
            requests = requests.filter(reporter_status_filter(status=filters.pop("status")))
        return _with_details(selectors.requests_matching(requests, **filters)).order_by("pk")

    @extend_schema(
        parameters=[RequestFilterSerializer],
        responses={
            200: OpenApiResponse(DetainerRequestSerializer, description="A page of requests."),
            400: field_errors_response({"year": ["A valid integer is required."]}),
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
        return self._answer(
            request, found_or_404(visibility.request_for_user(user=request.user, pk=pk), "request")
        )

    @extend_schema(
        request=RequestTriageSerializer,
        responses={
            200: OpenApiResponse(DetainerRequestSerializer, description="The request, triaged."),
            400: field_errors_response({"a_number": ["An A-number has 7 to 9 digits."]}),
            403: NOT_ALLOWED,
            404: NOT_FOUND,
        },
    )
    def patch(self, request, pk: int):
        item = found_or_404(visibility.request_for_user(user=request.user, pk=pk), "request")
        changes = RequestTriageSerializer(data=request.data)
        changes.is_valid(raise_exception=True)
        triage.request_triage(
            request_id=item.pk, actor=request.user, changes=changes.validated_data
        )
        # Read again through the scope: triage may also have linked duplicates.
        return self._answer(
            request, found_or_404(visibility.request_for_user(user=request.user, pk=pk), "request")
        )


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
            400: field_errors_response({"q": [search.QUERY_LENGTH_MESSAGE]}),
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


class MissedFaxFilterSerializer(serializers.Serializer):
    state = serializers.ChoiceField(
        choices=[selectors.MISSED_OPEN, selectors.MISSED_CLOSED],
        required=False,
        help_text="open: not received again yet; closed: a later fax closed it. Both if left out.",
    )
    year = serializers.IntegerField(
        required=False, min_value=1900, max_value=9998, help_text="Local year of the call."
    )


class MissedFaxList(generics.ListAPIView):
    """Who: supervisors. Failed receptions (missed faxes), newest first: no request was made for
    them; each is a to-do until the sender sends the fax again."""

    permission_classes = [allow(Role.SUPERVISOR)]
    serializer_class = MissedFaxSerializer

    def get_queryset(self):
        query = MissedFaxFilterSerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        return selectors.missed_fax_list(**query.validated_data)

    @extend_schema(
        parameters=[MissedFaxFilterSerializer],
        responses={
            200: OpenApiResponse(MissedFaxSerializer, description="A page of missed faxes."),
            400: field_errors_response({"year": ["A valid integer is required."]}),
            403: NOT_ALLOWED,
            404: NO_PAGE,
        },
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)
