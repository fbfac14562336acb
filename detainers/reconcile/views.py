"""Reconciliation pages: upload the agency's list, choose its columns, read the figures and the rows
behind each, confirm fallback matches, export any list. Supervisors only.

The work is in detainers.reconcile (services and selectors); these views only wire it to pages.
"""

import csv
from dataclasses import dataclass
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, QueryDict, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from accounts.access import Role, role_required
from config.errors import form_error_add, found_or_404, refusal_flash
from detainers.models import DetainerRequest, Reconciliation, ReconciliationRow
from detainers.reconcile import decisions, selectors, services
from detainers.reconcile.agency_csv import sample_rows
from detainers.reconcile.forms import ColumnsForm, DecideForm, UploadForm
from detainers.reconcile.selectors import RowFilter

PAGE_SIZE = 100
REFRESH_SECONDS = 3
Status = Reconciliation.Status


@role_required(Role.SUPERVISOR)
def reconcile(request):
    """Who: supervisors. Upload the agency's list for a year."""
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            reconciliation = services.reconciliation_upload(
                year=form.cleaned_data["year"],
                file_name=upload.name or "",
                content=upload,  # read a chunk at a time, never whole
                actor=request.user,
            )
        except ValidationError as refusal:
            form_error_add(form, refusal, field="file")
        else:
            return redirect(_page_of(reconciliation))
    context = {"form": form, "recent": selectors.reconciliations_recent()}
    return render(request, "detainers/reconcile.html", context, status=400 if form.errors else 200)


@role_required(Role.SUPERVISOR)
@require_GET
def reconcile_sample(request):
    """Who: supervisors. A sample of the agency's list as CSV: every column the reader knows."""
    response = StreamingHttpResponse(
        _csv_lines(sample_rows()), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = 'attachment; filename="agency-list-sample.csv"'
    return response


def _page_of(reconciliation: Reconciliation) -> str:
    name = "reconcile-columns" if reconciliation.status == Status.MAPPING else "reconcile-detail"
    return reverse(name, args=[reconciliation.pk])


@role_required(Role.SUPERVISOR)
def reconcile_columns(request, pk: int):
    """Who: supervisors. Say which column holds what, when the file's names were not all known."""
    reconciliation = found_or_404(
        selectors.reconciliation_for_user(user=request.user, pk=pk), "reconciliation"
    )
    if reconciliation.status != Status.MAPPING:
        return redirect("reconcile-detail", pk=pk)
    form = ColumnsForm(request.POST or None, reconciliation=reconciliation)
    if request.method == "POST" and form.is_valid():
        try:
            services.reconciliation_columns_choose(
                reconciliation_id=pk, mapping=form.mapping(), actor=request.user
            )
        except ValidationError as refusal:
            form_error_add(form, refusal)
        else:
            return redirect("reconcile-detail", pk=pk)
    context = {
        "reconciliation": reconciliation,
        "form": form,
        "preview": services.reconciliation_preview(reconciliation=reconciliation),
    }
    return render(
        request, "detainers/reconcile_columns.html", context, status=400 if form.errors else 200
    )


@role_required(Role.SUPERVISOR)
@require_GET
def reconcile_detail(request, pk: int):
    """Who: supervisors. The figures, per precinct and fax line; ?result=... lists the rows behind one."""
    reconciliation = found_or_404(
        selectors.reconciliation_for_user(user=request.user, pk=pk), "reconciliation"
    )
    if reconciliation.status == Status.MAPPING:
        return redirect("reconcile-columns", pk=pk)
    context = {"reconciliation": reconciliation, "refresh_seconds": REFRESH_SECONDS}
    if reconciliation.is_done:
        context.update(_results(reconciliation, request.GET))
    response = render(request, "detainers/reconcile_detail.html", context)
    if reconciliation.status in (Status.QUEUED, Status.RUNNING):
        # What <meta http-equiv="refresh"> does, as a header: the page reloads until it is done.
        response["Refresh"] = str(REFRESH_SECONDS)
    return response


@dataclass(frozen=True)
class ShownRow:
    row: ReconciliationRow
    facts: dict[str, str]
    candidates: list[tuple[DetainerRequest | None, dict]]


def _results(reconciliation: Reconciliation, query: QueryDict) -> dict:
    rows = RowFilter.from_query(query)
    figures = selectors.reconciliation_figures(reconciliation=reconciliation)
    context: dict = {
        "figures": figures,
        "tables": [
            ("Per precinct", figures.by_precinct, False),
            ("Per fax line: where the agency's requests went missing", figures.by_line, True),
        ],
    }
    if rows is not None:
        listed = selectors.reconciliation_rows(reconciliation=reconciliation, rows=rows)
        page = Paginator(listed, PAGE_SIZE).get_page(query.get("page"))
        known = selectors.candidate_requests(list(page))
        shown = [
            ShownRow(
                row,
                selectors.agency_facts(reconciliation, row),
                [(known.get(c["request"]), c) for c in row.candidates],
            )
            for row in page
        ]
        context.update(rows=rows, page=page, shown=shown, back=urlencode(rows.as_query()))
    return context


@role_required(Role.SUPERVISOR)
@require_GET
def reconcile_export(request, pk: int):
    """Who: supervisors. The rows of one list (?result=..., &precinct=..., &line=...) as CSV."""
    reconciliation = found_or_404(
        selectors.reconciliation_for_user(user=request.user, pk=pk), "reconciliation"
    )
    rows = RowFilter.from_query(request.GET)
    if rows is None or not reconciliation.is_done:
        raise Http404("No such list.")
    lines = selectors.reconciliation_export(reconciliation=reconciliation, rows=rows)
    response = StreamingHttpResponse(_csv_lines(lines), content_type="text/csv; charset=utf-8")
    name = "-".join(["reconciliation", str(pk), *rows.as_query().values()])
    response["Content-Disposition"] = f'attachment; filename="{_safe_name(name)}.csv"'
    return response


class _Line:
    """csv.writer writes to this and gets the line back, for streaming."""

    def write(self, line: str) -> str:
        return line


def _csv_lines(rows):
    yield "\ufeff"  # the byte-order mark tells Excel the file is UTF-8
    writer = csv.writer(_Line())
    for cells in rows:
        yield writer.writerow(cells)


def _safe_name(name: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in name)


@role_required(Role.SUPERVISOR)
@require_POST
def reconcile_decide(request, pk: int, row_id: int):
    """Who: supervisors. Confirm or reject a fallback match; choose among an ambiguous row's candidates."""
    reconciliation = found_or_404(
        selectors.reconciliation_for_user(user=request.user, pk=pk), "reconciliation"
    )
    row = get_object_or_404(ReconciliationRow, pk=row_id, reconciliation=reconciliation)
    form = DecideForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError("Choose Confirm or Reject.")
        decisions.reconciliation_row_decide(
            row_id=row.pk,
            actor=request.user,
            confirm=form.cleaned_data["decision"] == "confirm",
            request_id=form.cleaned_data["request"],
        )
    except ValidationError as refusal:
        refusal_flash(request, refusal)
    else:
        messages.success(request, f"Agency line {row.line_number}: decision saved.")
    back = RowFilter.from_query(QueryDict(request.POST.get("back", ""))) or RowFilter(row.result)
    return redirect(f"{reverse('reconcile-detail', args=[pk])}?{urlencode(back.as_query())}")


@role_required(Role.SUPERVISOR)
@require_POST
def reconcile_restart(request, pk: int):
    """Who: supervisors. Start again a list that failed or has waited too long."""
    found_or_404(selectors.reconciliation_for_user(user=request.user, pk=pk), "reconciliation")
    try:
        services.reconciliation_restart(reconciliation_id=pk)
    except ValidationError as refusal:
        refusal_flash(request, refusal)
    return redirect("reconcile-detail", pk=pk)
