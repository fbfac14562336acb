"""Reconciliation against a made-up agency list with known answers (tests/agency_list.py): every figure,
per precinct and per fax line, and the list behind each, as many rows as the figure."""

import csv
import io
from collections import Counter

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from detainers.models import Event, Reconciliation, ReconciliationRow
from detainers.reconcile import services
from detainers.reconcile.selectors import FIGURES, NONE
from tests.agency_list import agency_scene

pytestmark = pytest.mark.django_db
URL = "/reports/reconcile/"
Result = ReconciliationRow.Result


@pytest.fixture
def scene(b3, c11):
    # C-11's line loses more of the agency's requests than B-3's.
    return agency_scene(year=2024, precincts=[b3, c11], units=10, missed={"B-3": 1, "C-11": 5})


def upload(client, scene, **csv_options):
    file = SimpleUploadedFile("detainers-2024.csv", scene.csv_bytes(**csv_options), "text/csv")
    return client.post(URL, {"year": scene.year, "file": file})


@pytest.fixture
def done(page_as, scene) -> Reconciliation:
    response = upload(page_as("supervisor"), scene)
    assert response.status_code == 302, response.content.decode()[:2000]
    reconciliation = Reconciliation.objects.get()
    assert response["Location"] == f"{URL}{reconciliation.pk}/"
    assert reconciliation.status == Reconciliation.Status.DONE, reconciliation.error
    return reconciliation


def page_figures(client, reconciliation):
    response = client.get(f"{URL}{reconciliation.pk}/")
    assert response.status_code == 200
    return response.context["figures"]


def test_it_is_a_few_hundred_rows_with_every_kind_of_answer(scene):
    assert 250 <= len(scene.rows) <= 400
    assert all(
        scene.total(figure)
        for figure in ("matched", "fallback", "agency_only", "ours_only", "ambiguous")
    )


def test_it_gives_every_figure_in_total_and_per_precinct(page_as, scene, done):
    figures = page_figures(page_as("supervisor"), done)

    assert {figure: figures.totals[figure] for figure in FIGURES} == {
        figure: scene.total(figure) for figure in FIGURES
    }
    for group in figures.by_precinct:
        assert dict(group.counts) == {
            figure: scene.by_precinct[figure][group.precinct]
            for figure in FIGURES
            if scene.by_precinct[figure][group.precinct]
        }, group.precinct
    assert {group.precinct for group in figures.by_precinct} == {"B-3", "C-11", NONE}
    assert done.rows_outside_year == scene.outside_year == 1
    assert done.rows_total == len(scene.rows)


def test_it_says_on_which_line_the_agency_s_requests_went_missing(page_as, scene, done):
    figures = page_figures(page_as("supervisor"), done)

    got = {(g.precinct, g.line or ""): g.counts for g in figures.by_line}
    for figure in FIGURES:
        assert {key: counts[figure] for key, counts in got.items() if counts[figure]} == dict(
            scene.by_line[figure]
        ), figure
    assert got[("C-11", "+16175550151")]["agency_only"] == 50
    assert got[("B-3", "+16175550133")]["agency_only"] == 10
    assert got[(NONE, "")]["agency_only"] == 3  # a facility that names no precinct


def test_every_list_has_as_many_rows_as_its_figure(page_as, done):
    client = page_as("supervisor")
    figures = page_figures(client, done)
    checked = 0
    for group in [*figures.by_precinct, *figures.by_line]:
        for _figure, count, query in group.cells:
            listed = client.get(f"{URL}{done.pk}/?{query}").context["page"].paginator.count
            assert listed == count, (query, listed, count)
            checked += 1
    assert [figure for figure, *_ in figures.cells] == list(FIGURES)
    for _figure, _, count, query in figures.cells:
        response = client.get(f"{URL}{done.pk}/?{query}")
        assert response.context["page"].paginator.count == count
        assert f'data-total="{count}"' in response.content.decode()
    assert checked >= 6 * 7


def test_each_row_is_matched_by_the_rule_it_was_made_for(scene, done):
    rows = ReconciliationRow.objects.filter(reconciliation=done)
    matched = rows.filter(result=Result.MATCHED)
    for rule in ("subject_id", "event_number", "a_number"):
        ids = set(scene.request_ids[rule])
        assert (
            set(matched.filter(rule=rule, request_id__in=ids).values_list("request_id", flat=True))
            == ids
        )
    assert matched.filter(confidence=1.0).count() == matched.count()

    fallback = rows.filter(result=Result.FALLBACK)
    assert set(fallback.values_list("request_id", flat=True)) == set(scene.request_ids["fallback"])
    assert set(fallback.values_list("rule", flat=True)) == {"fallback"}
    # Two days apart, same precinct, birth year and gender (0.80), and citizenship for half (0.90).
    assert Counter(fallback.values_list("confidence", flat=True)) == {0.8: 20, 0.9: 20}

    ambiguous_ids = set(scene.request_ids["ambiguous"])
    ambiguous = rows.filter(result=Result.AMBIGUOUS)
    assert ambiguous.count() == scene.total("ambiguous") > 0
    for row in ambiguous:
        assert row.request_id is None
        assert len(row.candidates) == 2
        assert {c["request"] for c in row.candidates} <= ambiguous_ids
    ours_only = set(rows.filter(result=Result.OURS_ONLY).values_list("request_id", flat=True))
    assert ours_only.isdisjoint(ambiguous_ids)  # candidates, not "ours only"
    assert ours_only.isdisjoint(scene.request_ids["not_counted"])
    assert set(scene.request_ids["late"]) <= ours_only  # 23:30 local on 31 December
    assert matched.filter(request_id__in=scene.request_ids["edge"]).count() == 1


def test_the_agency_row_is_kept_as_given(scene, done):
    row = ReconciliationRow.objects.filter(reconciliation=done, rule="a_number").first()
    assert row.agency_row["Alien File Number"].startswith("A ")
    assert set(row.agency_row) == set(scene.rows[0]) | {"Gender", "Birth Year", "Citizenship Country",
                                                         "EID Subject ID", "Event Number", "Alien File Number",
                                                         "Detainer Lift Reason"}  # fmt: skip


def test_a_supervisor_confirms_a_fallback_match(page_as, supervisor, done):
    client = page_as("supervisor")
    before = page_figures(client, done).totals
    row = ReconciliationRow.objects.filter(reconciliation=done, result=Result.FALLBACK).first()

    response = client.post(
        f"{URL}{done.pk}/rows/{row.pk}/decide/", {"decision": "confirm", "back": "result=fallback"}
    )

    assert response.status_code == 302
    assert response["Location"] == f"{URL}{done.pk}/?result=fallback"
    row.refresh_from_db()
    assert (row.result, row.decision, row.decided_by) == (Result.MATCHED, "confirmed", supervisor)
    after = page_figures(client, done).totals
    assert after["matched"] == before["matched"] + 1
    assert after["fallback"] == before["fallback"] - 1
    assert after["agency"] == before["agency"]
    assert (
        Event.objects.filter(request_id=row.request_id, action="reconciliation_confirmed").count()
        == 1
    )


def test_a_rejected_fallback_match_is_a_missed_fax_and_one_of_ours(page_as, done):
    client = page_as("supervisor")
    before = page_figures(client, done).totals
    row = ReconciliationRow.objects.filter(reconciliation=done, result=Result.FALLBACK).first()
    request_id, precinct_id = row.request_id, row.precinct_id

    client.post(f"{URL}{done.pk}/rows/{row.pk}/decide/", {"decision": "reject"})

    row.refresh_from_db()
    assert (row.result, row.request_id, row.precinct_id) == (Result.AGENCY_ONLY, None, precinct_id)
    assert row.line  # the precinct's line on the agency's date
    after = page_figures(client, done).totals
    assert after["agency_only"] == before["agency_only"] + 1
    assert after["ours_only"] == before["ours_only"] + 1
    assert ReconciliationRow.objects.filter(
        reconciliation=done, result=Result.OURS_ONLY, request_id=request_id
    ).exists()
    # Decided once: a second decision is refused, with a message.
    response = client.post(
        f"{URL}{done.pk}/rows/{row.pk}/decide/", {"decision": "confirm"}, follow=True
    )
    assert "already decided" in response.content.decode()


def test_choosing_one_of_an_ambiguous_row_s_candidates(page_as, done):
    client = page_as("supervisor")
    before = page_figures(client, done).totals
    row = ReconciliationRow.objects.filter(reconciliation=done, result=Result.AMBIGUOUS).first()
    chosen, other = (c["request"] for c in row.candidates)

    client.post(f"{URL}{done.pk}/rows/{row.pk}/decide/", {"decision": "confirm", "request": chosen})

    row.refresh_from_db()
    assert (row.result, row.request_id, row.rule) == (Result.MATCHED, chosen, "fallback")
    after = page_figures(client, done).totals
    assert after["matched"] == before["matched"] + 1
    assert after["ambiguous"] == before["ambiguous"] - 1
    assert after["ours_only"] == before["ours_only"] + 1  # the candidate not chosen
    assert ReconciliationRow.objects.filter(
        reconciliation=done, request_id=other, result="ours_only"
    ).exists()


def test_a_request_not_among_the_candidates_cannot_be_chosen(page_as, done):
    row = ReconciliationRow.objects.filter(reconciliation=done, result=Result.AMBIGUOUS).first()
    outsider = (
        ReconciliationRow.objects.filter(reconciliation=done, result="ours_only").first().request_id
    )
    page_as("supervisor").post(
        f"{URL}{done.pk}/rows/{row.pk}/decide/", {"decision": "confirm", "request": outsider}
    )
    row.refresh_from_db()
    assert row.result == Result.AMBIGUOUS


def test_every_list_exports_as_csv_with_as_many_rows(page_as, done):
    client = page_as("supervisor")
    figures = page_figures(client, done)
    assert [figure for figure, *_ in figures.cells] == list(FIGURES)
    for figure, _, count, query in figures.cells:
        response = client.get(f"{URL}{done.pk}/export.csv?{query}")
        assert response.status_code == 200
        assert response["Content-Type"] == "text/csv; charset=utf-8"
        body = b"".join(response.streaming_content).decode("utf-8")
        assert body.startswith("\ufeff")
        rows = list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))
        assert len(rows) - 1 == count, figure
    precinct_list = client.get(f"{URL}{done.pk}/export.csv?result=agency_only&precinct=C-11")
    assert len(b"".join(precinct_list.streaming_content).splitlines()) - 1 == 50


def test_an_unknown_list_is_not_found(page_as, done):
    assert (
        page_as("supervisor").get(f"{URL}{done.pk}/export.csv?result=everything").status_code == 404
    )
    assert page_as("supervisor").get(f"{URL}{done.pk + 1}/").status_code == 404


def test_the_results_page_costs_a_fixed_number_of_queries(page_as, done, django_assert_num_queries):
    client = page_as("supervisor")
    client.get(f"{URL}{done.pk}/?result=ambiguous")  # warm the session
    # session, user, groups, the reconciliation, figures, the page's count and rows, candidates,
    # and the menu's count of unreviewed requests
    with django_assert_num_queries(9):
        response = client.get(f"{URL}{done.pk}/?result=ambiguous")
    assert response.status_code == 200
    with django_assert_num_queries(9):
        client.get(f"{URL}{done.pk}/?result=agency")


def test_a_small_file_is_reconciled_in_the_request(supervisor, scene):
    reconciliation = services.reconciliation_upload(
        year=2024, file_name="list.csv", content=scene.csv_bytes(), actor=supervisor
    )
    assert reconciliation.status == Reconciliation.Status.DONE
    assert reconciliation.progress == 1.0


def test_no_decision_while_the_list_is_processed_again(page_as, done):
    row = ReconciliationRow.objects.filter(reconciliation=done, result=Result.FALLBACK).first()
    Reconciliation.objects.filter(pk=done.pk).update(status=Reconciliation.Status.RUNNING)
    response = page_as("supervisor").post(
        f"{URL}{done.pk}/rows/{row.pk}/decide/", {"decision": "confirm"}, follow=True
    )
    assert "decide once it is done" in response.content.decode()
    row.refresh_from_db()
    assert row.result == Result.FALLBACK
