"""GET /api/v1/stats/yearly/ exactly as CONTRACT.md says, from the summary table."""

import pytest

from detainers.models import Disposition
from detainers.triage import services as triage
from tests.conftest import local
from tests.factories import fax_received

pytestmark = pytest.mark.django_db
URL = "/api/v1/stats/yearly/"


@pytest.fixture
def scene(b3, c11, supervisor):
    fax_received(received_at=local(2024, 12, 31, 23, 30))  # B-3, 2024 local (2025 in UTC)
    fax_received(received_at=local(2024, 3, 3, 9), to_number="+16175550151")  # C-11
    fax_received(received_at=local(2024, 3, 4, 9), to_number="+16175550199")  # no precinct
    fax_received(received_at=local(2025, 1, 2, 9))
    spam = fax_received(received_at=local(2025, 1, 3, 9)).requests.get()
    triage.request_triage(
        request_id=spam.pk, actor=supervisor, changes={"disposition": Disposition.NOT_A_DETAINER}
    )


def test_it_answers_the_contract_shape(api_as, scene):
    response = api_as("supervisor").get(URL)
    assert response.status_code == 200
    assert response.json() == [
        {
            "year": 2024,
            "total": 3,
            "by_channel": {"fax": 3, "email": 0},
            "by_precinct": {"B-3": 1, "C-11": 1, "none": 1},
        },
        {"year": 2025, "total": 1, "by_channel": {"fax": 1, "email": 0}, "by_precinct": {"B-3": 1}},
    ]


def test_it_filters_by_years_precinct_and_channel(api_as, scene):
    client = api_as("supervisor")
    assert [row["year"] for row in client.get(URL, {"year_from": 2025}).json()] == [2025]
    assert client.get(URL, {"precinct": "C-11"}).json()[0]["total"] == 1
    assert client.get(URL, {"channel": "email"}).json() == []
    refused = client.get(URL, {"precinct": "Z-9", "year_from": "soon"})
    assert refused.status_code == 400
    assert set(refused.json()) == {"precinct", "year_from"}


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("anonymous", 401),
        ("clerk", 403),
        ("other_precinct_clerk", 403),
        ("supervisor", 200),
        ("admin", 200),
        ("gateway", 403),
        ("nobody", 403),
    ],
)
def test_who_may_read_the_totals(api_as, scene, who, expected):
    assert api_as(who).get(URL).status_code == expected
