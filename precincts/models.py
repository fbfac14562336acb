from django.conf import settings
from django.db import models
from django.db.models import Q


class Precinct(models.Model):
    """A police district with its own station, e.g. B-3 (Mattapan)."""

    code = models.CharField(max_length=10, unique=True, help_text="The district's code, e.g. B-3.")
    name = models.CharField(max_length=100)
    neighbourhood = models.CharField(max_length=200, blank=True)
    address = models.CharField(max_length=300, blank=True)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class FaxNumber(models.Model):
    """A number that belonged to a precinct over a period [active_from, active_until).

    Rows are never deleted and their period is never moved: a number that changes hands is retired
    (active_until set) and assigned again as a new row. A fax is attributed to the precinct that
    owned the dialled number at the moment it arrived. On PostgreSQL an exclusion constraint (see
    migration 0002) guarantees that one number has at most one owner at any moment; on every
    database the service checks it too.
    """

    class Kind(models.TextChoices):
        STATION = "station", "Station line"
        DETAINER = "detainer", "Dedicated detainer line"
        EFAX = "efax", "E-fax gateway"

    precinct = models.ForeignKey(Precinct, on_delete=models.PROTECT, related_name="fax_numbers")
    number = models.CharField(max_length=20, db_index=True, help_text="E.164, e.g. +16175550123.")
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.STATION)
    active_from = models.DateTimeField()
    active_until = models.DateTimeField(null=True, blank=True)
    note = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    retired_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["number", "active_from"]
        constraints = [
            models.CheckConstraint(
                condition=Q(active_until__isnull=True)
                | Q(active_until__gt=models.F("active_from")),
                name="faxnumber_period_not_empty",
            ),
        ]

    def __str__(self) -> str:
        return self.display_number

    @property
    def display_number(self) -> str:
        from precincts.phone import fax_number_display

        return fax_number_display(self.number)

    def is_active_at(self, moment) -> bool:
        return self.active_from <= moment and (
            self.active_until is None or moment < self.active_until
        )


class KnownSender(models.Model):
    """A sender the department knows by name, e.g. the agency's field office.

    Recognised by the calling number or the sending machine's id (TSI/CSID) of a fax. A fax from a
    known sender on a number that no precinct owns is flagged for a supervisor: the sender is
    dialling a line we do not watch.
    """

    name = models.CharField(max_length=200, unique=True)
    note = models.CharField(max_length=300, blank=True)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class KnownSenderMark(models.Model):
    """One way a known sender is recognised: a fax number (E.164) or a sender id as its machine
    sends it (compared without case and spaces)."""

    class Kind(models.TextChoices):
        NUMBER = "number", "Fax number"
        SENDER_ID = "sender_id", "Sender id (TSI/CSID)"

    sender = models.ForeignKey(KnownSender, on_delete=models.CASCADE, related_name="marks")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    value = models.CharField(max_length=100, help_text="E.164 for numbers, e.g. +16175550199.")

    class Meta:
        ordering = ["sender", "kind", "value"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "value"], name="known_sender_mark_once"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.value}"
