"""GET /api/v1/stats/yearly/ (CONTRACT.md): counted requests per local year, by channel and precinct."""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.access import Role, allow
from detainers.counting.selectors import NO_PRECINCT, CountFilter, yearly_stats
from detainers.models import Channel
from precincts.models import Precinct


def _year_field() -> serializers.IntegerField:
    return serializers.IntegerField(
        required=False,
        min_value=1990,
        max_value=2200,
        error_messages={
            kind: "Give a year from 1990 to 2200."
            for kind in ("invalid", "min_value", "max_value", "max_string_length")
        },
    )


class YearlyFilterSerializer(serializers.Serializer):
    year_from = _year_field()
    year_to = _year_field()
    precinct = serializers.CharField(required=False, help_text="A precinct code, or `none`.")
    channel = serializers.ChoiceField(required=False, choices=Channel.choices)

    def validate_precinct(self, code: str) -> int:
        if code == "none":
            return NO_PRECINCT
        precinct = Precinct.objects.filter(code=code).first()
        if precinct is None:
            raise serializers.ValidationError(f"There is no precinct {code!r}.")
        return precinct.pk

    def counts(self) -> CountFilter:
        data = self.validated_data
        return CountFilter(
            year_from=data.get("year_from"),
            year_to=data.get("year_to"),
            precinct_id=data.get("precinct"),
            channel=data.get("channel", ""),
        )


class YearSerializer(serializers.Serializer):
    year = serializers.IntegerField()
    total = serializers.IntegerField()
    by_channel = serializers.DictField(child=serializers.IntegerField())
    by_precinct = serializers.DictField(
        child=serializers.IntegerField(), help_text="Code (or `none`) to count."
    )


class YearlyStats(APIView):
    """Who: supervisors and admins. Each request counted once (duplicates and items that are not
    detainers excluded) in the local year it was first received."""

    permission_classes = [allow(Role.SUPERVISOR, Role.ADMIN)]

    @extend_schema(
        parameters=[YearlyFilterSerializer],
        responses={
            200: YearSerializer(many=True),
            400: OpenApiResponse(description="A filter was refused."),
        },
    )
    def get(self, request):
        query = YearlyFilterSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        return Response(YearSerializer(yearly_stats(counts=query.counts()), many=True).data)
