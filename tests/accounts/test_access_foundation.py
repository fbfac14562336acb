"""Who gets what: every person against every page and endpoint that exists so far, in one table.

The gateway signs in with its API token (as the fax gateway does), the others with a session. A
token opens the API only; to pages the gateway is as anonymous as anyone without a session.

Anonymous requests to the API get 403, not 401: DRF answers 401 only when the *first* authentication
class names a WWW-Authenticate scheme, and SessionAuthentication (first in settings) names none.
"""

import pytest

pytestmark = pytest.mark.django_db

PEOPLE = ["anonymous", "clerk", "other_precinct_clerk", "supervisor", "admin", "gateway", "nobody"]
NEW_NUMBER = {"precinct": "B-3", "number": "617-555-0190", "active_from": "2025-01-01"}

#                 anonymous clerk other supervisor admin gateway nobody
ACCESS = [
    ("GET", "/", [302, 200, 200, 200, 200, 302, 200]),
    # Signed-in users are sent on from the login page (redirect_authenticated_user).
    ("GET", "/accounts/login/", [200, 302, 302, 302, 302, 200, 302]),
    # Only admins are staff; everyone else is sent to the admin's own login page.
    ("GET", "/admin/", [302, 302, 302, 302, 200, 302, 302]),
    ("GET", "/api/v1/precincts/", [401, 200, 200, 200, 200, 403, 403]),
    ("POST", "/api/v1/fax-numbers/", [401, 403, 403, 403, 201, 403, 403]),
    ("GET", "/api/v1/fax-numbers/resolve/?number=6175550133", [401, 200, 200, 200, 200, 403, 403]),
    ("GET", "/api/schema/", [401, 200, 200, 200, 200, 200, 200]),
    ("GET", "/api/docs/", [401, 200, 200, 200, 200, 200, 200]),
    ("GET", "/healthz", [200, 200, 200, 200, 200, 200, 200]),
]


def cells():
    for method, url, codes in ACCESS:
        for who, code in zip(PEOPLE, codes, strict=True):
            yield pytest.param(method, url, who, code, id=f"{method} {url} as {who}")


@pytest.mark.parametrize(("method", "url", "who", "expected"), list(cells()))
def test_it_lets_in_exactly_who_the_table_says(api_as, method, url, who, expected):
    client = api_as(who)
    if method == "POST":
        response = client.post(url, NEW_NUMBER, format="json")
    else:
        response = client.get(url)
    assert response.status_code == expected
    if expected == 302 and url == "/admin/":
        assert response["Location"] == "/admin/login/?next=/admin/"
    elif expected == 302 and url == "/":
        assert response["Location"] == "/accounts/login/?next=/"
