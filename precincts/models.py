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
