"""Open data (detainers.counting.open_data, /open-data/): the CSV valid against its datapackage.json
by Frictionless, small cells withheld and none recoverable from a published total, no personal data
and no column beyond the listed ones, only ended years, the query it costs, and who may download it.
"""

import csv
import io
import itertools
import json
from collections import Counter

import pytest
from django.core.cache import cache
from frictionless import validate
from hypothesis import given, settings
from hypothesis import strategies as st

from detainers.counting import open_data
from detainers.counting.selectors import yearly_stats
from detainers.intake.services import IncomingFile, delivery_receive
from detainers.models import Channel, Disposition, FormType, ProbableCause, Source
from detainers.triage.services import request_triage
from tests.conftest import local
from tests.factories import fax_received, pdf_bytes

pytestmark = pytest.mark.django_db

COLUMNS = ["year", "month", "precinct", "channel", "form_type", "basis", "disposition", "count"]
B3_LINE = "+16175550133"
# Distinctive enough that finding any of them in a download can only mean a leak.
SUBJECT_NAME = "Quixotica Zzyzxbottom"
IDENTIFIERS = (SUBJECT_NAME, "A987654321", "987-654-321", "SUBJZQ77X", "EVTQZ99K", "Quixotica")
A, BIOMETRIC = FormType.I247A, ProbableCause.BIOMETRIC_MATCH


@pytest.fixture(autouse=True)
def _empty_cache():
    """The tables are cached by year; each test starts from its own data."""
    cache.clear()
    yield
    cache.clear()


def reviewed(delivery, supervisor, **changes):
    return request_triage(request_id=delivery.requests.get().pk, actor=supervisor, changes=changes)


@pytest.fixture
def scene(b3, supervisor):
    """2024 (an ended year): six alike in March (shown), two single ones beside them that differ only
    in disposition, an emailed notification request, and one that is not a detainer (not counted);
    and one request this year (not published)."""
    for day in range(1, 7):
        fax = fax_received(to_number=B3_LINE, received_at=local(2024, 3, day, 9))
        reviewed(
            fax,
            supervisor,
            form_type=A,
            probable_cause=ProbableCause.FINAL_ORDER,
            disposition=Disposition.NOT_ACTED_UPON,
            **({"subject_name": SUBJECT_NAME, "a_number": "A 987-654-321"} if day == 1 else {}),
        )
    for day, disposition in ((10, Disposition.RELEASED), (11, Disposition.NOT_IN_CUSTODY)):
        fax = fax_received(to_number=B3_LINE, received_at=local(2024, 3, day, 9))
        reviewed(fax, supervisor, form_type=A, probable_cause=BIOMETRIC, disposition=disposition)
    email = delivery_receive(
        channel=Channel.EMAIL,
        source=Source.MAILBOX,
        received_at=local(2024, 5, 2, 14),
        files=[IncomingFile("detainer.pdf", pdf_bytes(), form=True)],
        from_address="ero.boston@ice.dhs.gov",
        external_id="<open-data-1@ice.dhs.gov>",
    ).delivery
    reviewed(
        email,
        supervisor,
        form_type=FormType.I247N,
        disposition=Disposition.NOTIFICATION,
        subject_id="SUBJZQ77X",
        event_number="EVTQZ99K",
        subject_name=SUBJECT_NAME,
    )
    not_a_detainer = fax_received(to_number=B3_LINE, received_at=local(2024, 8, 1, 9))
    reviewed(not_a_detainer, supervisor, disposition=Disposition.NOT_A_DETAINER)
    fax_received(to_number=B3_LINE, received_at=local(2026, 1, 5, 9))  # 2026: the year in progress


def rows_of(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text)))


def download(client, supervisor, url: str):
    client.force_login(supervisor)
    response = client.get(url)
    assert response.status_code == 200, url
    return response


# --- The files ----------------------------------------------------------------------------------


@pytest.mark.usefixtures("scene")
def test_it_validates_against_its_own_datapackage_with_frictionless(client, supervisor, tmp_path):
    descriptor = download(client, supervisor, "/open-data/datapackage.json").json()
    (tmp_path / "datapackage.json").write_text(json.dumps(descriptor))
    for resource in descriptor["resources"]:
        csv_text = download(client, supervisor, f"/open-data/{resource['path']}").content
        (tmp_path / resource["path"]).write_bytes(csv_text)
    assert [r["path"] for r in descriptor["resources"]] == ["detainer-requests-2024.csv"]

    report = validate(tmp_path / "datapackage.json")

    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])
    assert report.stats["tasks"] == 1
    fields = descriptor["resources"][0]["schema"]["fields"]
    assert [field["name"] for field in fields] == COLUMNS
    assert descriptor["resources"][0]["schema"]["missingValues"] == [""]


@pytest.mark.usefixtures("scene")
def test_its_schema_refuses_a_small_count_shown_or_an_unknown_value(client, supervisor, tmp_path):
    """The validation above means something: the same descriptor refuses a shown count under the
    threshold and a disposition outside its list."""
    descriptor = download(client, supervisor, "/open-data/datapackage.json").json()
    (tmp_path / "datapackage.json").write_text(json.dumps(descriptor))
    bad = "\r\n".join(
        [
            ",".join(COLUMNS),
            "2024,3,B-3,fax,I-247A,final_order,not_acted_upon,2",
            "2024,3,B-3,fax,I-247A,final_order,held,7",
            "",
        ]
    )
    (tmp_path / "detainer-requests-2024.csv").write_text(bad)

    report = validate(tmp_path / "datapackage.json")

    assert not report.valid
    errors = report.flatten(["rowNumber", "fieldName", "type"])
    assert [2, "count", "constraint-error"] in errors
    assert [3, "disposition", "constraint-error"] in errors


@pytest.mark.usefixtures("scene")
def test_it_withholds_small_cells_and_publishes_no_totals(client, supervisor):
    rows = rows_of(
        download(client, supervisor, "/open-data/detainer-requests-2024.csv").content.decode()
    )

    assert list(rows[0]) == COLUMNS
    by_combination = {tuple(row[c] for c in COLUMNS[1:-1]): row["count"] for row in rows}
    assert by_combination == {
        ("3", "B-3", "fax", "I-247A", "final_order", "not_acted_upon"): "6",
        ("3", "B-3", "fax", "I-247A", "biometric_match", "released_before_arraignment"): "",
        ("3", "B-3", "fax", "I-247A", "biometric_match", "not_in_custody"): "",
        ("5", "none", "email", "I-247N", "not_recorded", "notification_no_information"): "",
    }
    # The shown 6 and the three withheld single requests are the year's whole count.
    year = yearly_stats()[0]
    assert (year["year"], year["total"]) == (2024, 6 + 1 + 1 + 1)


@pytest.mark.usefixtures("scene")
def test_it_publishes_no_personal_data(client, supervisor):
    downloads = [
        download(client, supervisor, url).content.decode()
        for url in (
            "/open-data/",
            "/open-data/datapackage.json",
            "/open-data/detainer-requests-2024.csv",
        )
    ]
    table = downloads[2]

    assert len(rows_of(table)) == 4  # the table is there...
    for text in downloads:  # ...and nothing about any person is
        for identifier in IDENTIFIERS + ("ero.boston", "+12025550100", "DD-2024", "fax.pdf"):
            assert identifier not in text
    assert all(list(row) == COLUMNS for row in rows_of(table))


@pytest.mark.usefixtures("scene")
def test_it_publishes_only_years_that_have_ended(client, supervisor):
    descriptor = download(client, supervisor, "/open-data/datapackage.json").json()

    assert [resource["name"] for resource in descriptor["resources"]] == ["detainer-requests-2024"]
    assert client.get("/open-data/detainer-requests-2026.csv").status_code == 404
    assert client.get("/open-data/detainer-requests-2023.csv").status_code == 404


@pytest.mark.usefixtures("scene")
def test_it_reads_a_year_in_one_grouped_query_then_from_the_cache(django_assert_num_queries):
    # The summary's fingerprint, the precinct codes, and the one grouped query over the requests.
    with django_assert_num_queries(3):
        first = open_data.open_data_table(year=2024, min_cell=5)
    with django_assert_num_queries(1):  # the fingerprint alone
        assert open_data.open_data_table(year=2024, min_cell=5) == first


# --- Withholding: no withheld cell can be worked out from a total of one or two columns ----------


def test_it_withholds_a_partner_where_a_total_would_give_a_lone_cell_away():
    six = (3, "B-3", "fax", "I-247A", "final_order", "not_acted_upon")
    two = (3, "B-3", "fax", "I-247A", "biometric_match", "released")
    seven = (4, "C-11", "email", "I-200", "statements", "not_in_custody")  # shares only the year
    cells = {six: 6, two: 2, seven: 7}

    # March's total (8, say in the annual report) minus the 6 shown would be the 2 withheld.
    assert open_data.cells_withheld(cells, 5) == {two, six}


DIMENSION_VALUES = [
    range(1, 4),
    ["B-3", "C-11"],
    ["fax", "email"],
    ["I-247A", "I-200"],
    ["final_order", "statements"],
    ["released", "not_acted_upon"],
]


@settings(max_examples=60, deadline=None)
@given(
    st.dictionaries(
        st.tuples(*(st.sampled_from(list(v)) for v in DIMENSION_VALUES)),
        st.integers(min_value=1, max_value=12),
        max_size=40,
    )
)
def test_no_group_of_one_or_two_columns_holds_a_lone_withheld_cell(cells):
    withheld = open_data.cells_withheld(cells, 5)

    assert {key for key, total in cells.items() if total < 5} <= withheld
    for margin in open_data.MARGINS:
        members, hidden = Counter(), Counter()
        for key in cells:
            group = tuple(key[d] for d in margin)
            members[group] += 1
            hidden[group] += key in withheld
        for group, count in hidden.items():
            assert count != 1 or members[group] == 1, (margin, group)


def test_margins_are_the_year_and_every_one_or_two_columns():
    assert len(open_data.MARGINS) == 1 + 6 + 15
    assert set(itertools.chain(*open_data.MARGINS)) == set(range(6))


# --- The pages ----------------------------------------------------------------------------------


@pytest.mark.usefixtures("scene")
def test_published_it_may_be_cached_by_anyone_and_unpublished_it_does_not_exist(client, settings):
    settings.OPEN_DATA_PUBLIC = True
    page = client.get("/open-data/")
    assert page.status_code == 200
    assert b'href="/open-data/detainer-requests-2024.csv"' in page.content
    assert page["Cache-Control"] == f"public, max-age={open_data.CACHE_SECONDS}"

    settings.OPEN_DATA_PUBLIC = False
    assert client.get("/open-data/").status_code == 404
    assert client.post("/open-data/").status_code == 404  # not even a 405 gives it away


def test_the_reports_page_links_supervisors_to_it(client, supervisor):
    client.force_login(supervisor)
    page = client.get("/reports/")
    assert page.status_code == 200
    assert b'href="/open-data/"' in page.content
