"""Reads for reading forms: the identifier shapes reviewers confirmed (shapes.py says what they do).

`identifier_shapes_confirmed()` is called once per document read. It counts the shapes of the
Subject IDs and Event #s in the most recent SHAPES_SAMPLE requests a person reviewed (reviewed_at
is set only by a reviewer; an automatic duplicate link sets a disposition without it), and keeps
the count in the cache for SHAPES_FRESH_FOR: one query every few minutes per process, not one per
document. A shape reviewers start confirming is trusted at the latest that much later.
"""

from django.core.cache import cache

from detainers.extraction.shapes import IDENTIFIER_FIELDS, ConfirmedShapes, shapes_counted
from detainers.models import DetainerRequest

SHAPES_CACHE_KEY = "extraction:confirmed-identifier-shapes"
SHAPES_FRESH_FOR = 5 * 60  # seconds
# Formats change over the years: the recent reviews say what is sent now, and the query stays
# bounded however many years the table holds (newest first by primary key, its own index).
SHAPES_SAMPLE = 20_000


def identifier_shapes_confirmed() -> ConfirmedShapes:
    shapes = cache.get(SHAPES_CACHE_KEY)
    if shapes is None:
        shapes = _shapes_counted_now()
        cache.set(SHAPES_CACHE_KEY, shapes, SHAPES_FRESH_FOR)
    return shapes


def identifier_shapes_forget() -> None:
    """The next reading counts again (tests, whose databases differ from one test to the next)."""
    cache.delete(SHAPES_CACHE_KEY)


def _shapes_counted_now() -> ConfirmedShapes:
    reviewed = (
        DetainerRequest.objects.filter(reviewed_at__isnull=False)
        .order_by("-pk")
        .values_list(*IDENTIFIER_FIELDS)[:SHAPES_SAMPLE]
    )
    values: dict[str, list[str]] = {field: [] for field in IDENTIFIER_FIELDS}
    for row in reviewed:
        for field, value in zip(IDENTIFIER_FIELDS, row, strict=True):
            if value:
                values[field].append(value)
    return shapes_counted(values)
