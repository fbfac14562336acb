"""A supervisor's saved inbox filters: named query strings of the filter form, each person's own.

Only InboxFilterForm.query() is ever saved (precinct, channel, status, order), so a saved filter
never holds a name, an identifier or a search: the search box is not a filter and posts elsewhere.
"""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet

from accounts.models import SavedFilter

SAVED_FILTERS_MAX = 30  # a list beside the form, not a store


def saved_filters_of(*, user) -> QuerySet[SavedFilter]:
    return SavedFilter.objects.filter(user=user)


def saved_filter_save(*, user, name: str, query: str) -> SavedFilter:
    """Save `query` under `name`; the same name again replaces what it held."""
    existing = saved_filters_of(user=user).filter(name=name).first()
    if existing is not None:
        existing.query = query
        existing.save(update_fields=["query"])
        return existing
    if saved_filters_of(user=user).count() >= SAVED_FILTERS_MAX:
        raise ValidationError(
            {"name": f"You have {SAVED_FILTERS_MAX} saved filters: delete one you no longer use."}
        )
    try:
        with transaction.atomic():
            return SavedFilter.objects.create(user=user, name=name, query=query)
    except IntegrityError:  # saved twice at once from two tabs: the first one stands
        return saved_filters_of(user=user).get(name=name)


def saved_filter_delete(*, user, pk: int) -> bool:
    """Delete one of the user's own saved filters; False if they have none by that id."""
    deleted, _ = saved_filters_of(user=user).filter(pk=pk).delete()
    return bool(deleted)
