import re

from django.utils import timezone
from rest_framework import serializers

from precincts.models import FaxNumber, Precinct
from precincts.moments import moment_parse

MOMENT_YEARS = (1900, 9998)


class MomentField(serializers.Field):
    """An ISO 8601 date (the start of that local day) or date-time (naive means local time),
    in the years 1900 to 9998: 9999-12-31T23:59:59-12:00 is a valid text whose moment in UTC is
    past the last one Python holds (OverflowError, a 500, once the database is asked)."""

    default_error_messages = {"invalid": "{message}"}

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid", message="Give a date or time as text, e.g. 2024-03-15.")
        try:
            moment = moment_parse(data)
        except ValueError as error:
            self.fail("invalid", message=str(error))
        first, last = MOMENT_YEARS
        if not first <= moment.year <= last:
            self.fail("invalid", message=f"Give a date from the years {first} to {last}.")
        return moment

    def to_representation(self, value):
        return timezone.localtime(value).isoformat() if value else None


class QueryMomentField(MomentField):
    """A MomentField read from a query string, where an unencoded "+" arrives as a space:
    ?at=2024-03-15T09:30:00+00:00 reads as "...09:30:00 00:00"; the space is put back to a "+"."""

    SPACED_OFFSET = re.compile(r"(\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?) (\d{2}(?::?\d{2})?)$")

    def to_internal_value(self, data):
        if isinstance(data, str):
            data = self.SPACED_OFFSET.sub(r"\1+\2", data.strip())
        return super().to_internal_value(data)


class PrecinctCodeField(serializers.SlugRelatedField):
    """A precinct by its code. A NUL character is refused before the lookup: PostgreSQL cannot
    compare text holding one and would answer 500 (found by tests/project/test_schemathesis.py)."""

    def to_internal_value(self, data):
        if isinstance(data, str) and "\x00" in data:
            raise serializers.ValidationError("Null characters are not allowed.")
        return super().to_internal_value(data)


class FaxNumberSerializer(serializers.ModelSerializer):
    precinct = PrecinctCodeField(slug_field="code", queryset=Precinct.objects.all())
    number = serializers.CharField(max_length=40, help_text="Any common form; stored as E.164.")
    display_number = serializers.CharField(read_only=True)
    active_from = MomentField()
    active_until = MomentField(read_only=True, allow_null=True)  # null: still in service

    class Meta:
        model = FaxNumber
        fields = [
            "id",
            "precinct",
            "number",
            "display_number",
            "kind",
            "active_from",
            "active_until",
            "note",
        ]


class FaxNumberRetireSerializer(serializers.Serializer):
    active_until = MomentField()


class PrecinctSerializer(serializers.ModelSerializer):
    fax_numbers = FaxNumberSerializer(many=True, read_only=True)

    class Meta:
        model = Precinct
        fields = ["id", "code", "name", "neighbourhood", "address", "active", "fax_numbers"]


class ResolveQuerySerializer(serializers.Serializer):
    number = serializers.CharField(max_length=40)
    at = QueryMomentField(required=False, help_text="Defaults to now.")


class ResolveSerializer(serializers.Serializer):
    number = serializers.CharField()
    at = MomentField()
    precinct = serializers.CharField(allow_null=True, help_text="The owner's code, or null.")
    fax_number = FaxNumberSerializer(allow_null=True)
