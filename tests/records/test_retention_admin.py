"""Admins change a retention period in the admin (audited); nobody adds or deletes a rule; the
destruction log is read-only. Defaults come from the migration."""

from importlib import import_module

import pytest

from detainers.models import DestructionLog, Event, RecordKind, RetentionRule

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("rules_of_one_year")]


def test_the_migration_gives_every_kind_a_rule_marked_unconfirmed():
    # rules_of_one_year shortens the periods; the rows and their note are the migration's.
    migration = import_module("detainers.migrations.0011_retention")
    rules = RetentionRule.objects.all()
    assert sorted(rule.kind for rule in rules) == sorted(RecordKind.values)
    assert {rule.schedule_reference for rule in rules} == {migration.UNCONFIRMED}
    assert {kind for kind, _, _ in migration.DEFAULT_RULES} == set(RecordKind.values)


def test_an_admin_changes_a_period_and_the_change_is_audited(page_as, admin_user):
    rule = RetentionRule.objects.get(kind=RecordKind.DOCUMENTS)
    client = page_as("admin")
    url = f"/admin/detainers/retentionrule/{rule.pk}/change/"
    assert client.get(url).status_code == 200

    response = client.post(
        url, {"period": "10", "unit": "years", "schedule_reference": "Confirmed: series X"}
    )

    assert response.status_code == 302
    rule.refresh_from_db()
    assert (rule.period, rule.schedule_reference, rule.changed_by) == (
        10,
        "Confirmed: series X",
        admin_user,
    )
    event = Event.objects.get(action="retention_rule_changed")
    assert event.actor == admin_user
    assert event.changes["period"] == [1, 10] and event.changes["kind"] == [None, "documents"]


def test_a_period_of_zero_is_refused(page_as):
    rule = RetentionRule.objects.get(kind=RecordKind.DOCUMENTS)

    response = page_as("admin").post(
        f"/admin/detainers/retentionrule/{rule.pk}/change/", {"period": "0", "unit": "days"}
    )

    assert response.status_code == 200  # the form again, with its error
    assert "greater than or equal to 1" in response.content.decode()
    assert RetentionRule.objects.get(pk=rule.pk).period == 1
    assert not Event.objects.filter(action="retention_rule_changed").exists()


def test_no_rule_is_added_or_deleted_and_the_log_is_read_only(page_as):
    client = page_as("admin")
    rule = RetentionRule.objects.first()
    log = DestructionLog.objects.create(kind="documents", count=1, rule_period=1, rule_unit="years")

    assert client.get("/admin/detainers/retentionrule/add/").status_code == 403
    assert client.get(f"/admin/detainers/retentionrule/{rule.pk}/delete/").status_code == 403
    assert client.get("/admin/detainers/destructionlog/add/").status_code == 403
    assert client.post(f"/admin/detainers/destructionlog/{log.pk}/change/", {}).status_code == 403
    assert client.get(f"/admin/detainers/destructionlog/{log.pk}/delete/").status_code == 403
    assert client.get(f"/admin/detainers/destructionlog/{log.pk}/change/").status_code == 200
