"""The count of unreviewed requests beside the navigation's "Central inbox" link."""

from functools import cache

from accounts.access import Role, has_role
from detainers.inbox import selectors


def unreviewed_label() -> str:
    """The badge: "12", or "1000+" past the count's cap; "" for none."""
    count, cap = selectors.inbox_unreviewed_count(), selectors.LIST_COUNT_CAP
    return f"{cap}+" if count > cap else (str(count) if count else "")


def inbox_unreviewed(request):
    """`inbox_unreviewed`: a callable the template calls once, inside `{% if nav.supervisor %}`,
    so pages for other people, and pages that never show the navigation, run no query."""
    user = getattr(request, "user", None)
    if user is None or not has_role(user, Role.SUPERVISOR):
        return {}
    return {"inbox_unreviewed": cache(unreviewed_label)}
