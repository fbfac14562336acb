"""REST endpoints for precincts and fax numbers (CONTRACT.md). Each view states who may use it."""

from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.access import Role, allow
from config.api_schema import NOT_ALLOWED, DetailSerializer, field_errors_response
from precincts import selectors, services
from precincts.models import FaxNumber
from precincts.phone import fax_number_normalise
from precincts.serializers import (
    FaxNumberRetireSerializer,
    FaxNumberSerializer,
    PrecinctSerializer,
    ResolveQuerySerializer,
    ResolveSerializer,
)

STAFF = (Role.CLERK, Role.SUPERVISOR, Role.ADMIN)

REFUSED = field_errors_response({"number": ["That is too long to be a phone number."]})
NOT_FOUND = OpenApiResponse(DetailSerializer, description="No such fax number.")


class MomentFieldSchema(OpenApiSerializerFieldExtension):
    """MomentField in the schema: a date or date-time in, a local date-time with offset out."""

    target_class = "precincts.serializers.MomentField"
    match_subclasses = True  # QueryMomentField too

    def map_serializer_field(self, auto_schema, direction):
        if direction == "response":
            return {"type": "string", "format": "date-time"}
        return {
            "anyOf": [
                {"type": "string", "format": "date"},
                {"type": "string", "format": "date-time"},
            ]
        }


class PrecinctList(generics.ListAPIView):
    """Who: clerks, supervisors, admins. Precincts with their numbers, past and present."""

    permission_classes = [allow(*STAFF)]
    serializer_class = PrecinctSerializer
    pagination_class = None

    def get_queryset(self):
        return selectors.precinct_list()


class FaxNumberCreate(APIView):
    """Who: admins. Give a number to a precinct from `active_from` on."""

    permission_classes = [allow(Role.ADMIN)]
    # Where a refusal goes (config/errors.py): a clash with another period is about the start.
    refusal_field = "number"
    refusal_fields = {"number_in_use": "active_from"}

    @extend_schema(
        request=FaxNumberSerializer,
        responses={201: FaxNumberSerializer, 400: REFUSED, 403: NOT_ALLOWED},
    )
    def post(self, request):
        incoming = FaxNumberSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        fax_number = services.fax_number_assign(
            precinct=data["precinct"],
            number=data["number"],
            active_from=data["active_from"],
            kind=data.get("kind", FaxNumber.Kind.STATION),
            note=data.get("note", ""),
            actor=request.user,
        )
        return Response(FaxNumberSerializer(fax_number).data, status=status.HTTP_201_CREATED)


class FaxNumberRetire(APIView):
    """Who: admins. End a number's period; the period and the faxes it received stay as they were."""

    permission_classes = [allow(Role.ADMIN)]
    refusal_field = "active_until"

    @extend_schema(
        request=FaxNumberRetireSerializer,
        responses={200: FaxNumberSerializer, 400: REFUSED, 403: NOT_ALLOWED, 404: NOT_FOUND},
    )
    def post(self, request, pk: int):
        fax_number = get_object_or_404(FaxNumber, pk=pk)
        incoming = FaxNumberRetireSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        fax_number = services.fax_number_retire(
            fax_number=fax_number,
            active_until=incoming.validated_data["active_until"],
            actor=request.user,
        )
        return Response(FaxNumberSerializer(fax_number).data)


class FaxNumberResolve(APIView):
    """Who: clerks, supervisors, admins. Which precinct owned a dialled number at a moment."""

    permission_classes = [allow(*STAFF)]
    refusal_field = "number"

    @extend_schema(
        parameters=[ResolveQuerySerializer],
        responses={200: ResolveSerializer, 400: REFUSED, 403: NOT_ALLOWED},
    )
    def get(self, request):
        query = ResolveQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        at = query.validated_data.get("at") or timezone.now()
        number = fax_number_normalise(query.validated_data["number"])
        owner = selectors.fax_number_owner_at(number=number, at=at)
        return Response(
            ResolveSerializer(
                {
                    "number": number,
                    "at": at,
                    "precinct": owner.precinct.code if owner else None,
                    "fax_number": owner,
                }
            ).data
        )
