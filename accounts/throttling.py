"""Glue for login throttling (django-axes): which address a login attempt is counted under.

Behind the TLS proxy of docs/deploy.md every request comes from the proxy's address, so the
client's own is read from X-Forwarded-For: the entry settings.PROXY_COUNT places from the right,
which the nearest trusted proxy wrote. Entries further left were written by the client and are
never believed.
"""

import ipaddress

from django.conf import settings


def client_ip(request) -> str:
    """The client's address as the proxies in front of the app saw it; REMOTE_ADDR without them."""
    remote = request.META.get("REMOTE_ADDR", "") or ""
    count = settings.PROXY_COUNT
    if count <= 0:
        return remote
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    forwarded = [part for part in forwarded if part]
    if len(forwarded) < count:
        # A proxy did not add its entry: the header cannot be trusted, the connection can.
        return remote
    candidate = forwarded[-count]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote
