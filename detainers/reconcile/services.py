"""Writes: uploading the agency's list, choosing its columns, and running the matching (in the
request for a small list, in the `reconcile_run` task for a large one). A person's decisions on
the results are in detainers.reconcile.decisions."""

import hashlib
import logging
import uuid
from collections.abc import Iterator
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile, File
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.models import Q
from django.utils import timezone

from detainers.core.documents import size_check
from detainers.core.enqueue import task_enqueue_after_commit
from detainers.core.identifiers import identifier_normalise
from detainers.core.years import local_year_bounds
from detainers.counting.selectors import CountFilter, counted_requests
from detainers.models import Channel, Reconciliation, ReconciliationRow
from detainers.reconcile.agency_csv import (
    AgencyFile,
    AgencyRow,
    a_number_read,
    agency_file_preview,
    agency_file_scan,
    agency_rows_read,
    columns_guess,
    country_normalise,
    gender_normalise,
    mapping_missing,
)
from detainers.reconcile.matching import (
    DATE_WINDOW_DAYS,
    FaxLine,
    Matcher,
    OurRequest,
    Outcome,
    PrecinctGuide,
)
from detainers.reconcile.tasks import reconcile_run as reconcile_run_task
from precincts.models import FaxNumber, Precinct

logger = logging.getLogger(__name__)

# A file with more rows than this is processed by the Celery task `reconcile_run`; a smaller one
# in the request that uploaded it.
RECONCILE_INLINE_ROWS = 2_000
# Progress is reported this many rows at a time.
WRITE_BATCH = 1_000
# Result rows are written this many at a time, one transaction each (bench/reconcile: 1,000 a
# batch spent a fifth of a 50,000-row run committing).
RESULT_BATCH = 5_000
Status = Reconciliation.Status
Result = ReconciliationRow.Result


class ColumnsMissing(ValidationError):
    """The file's columns do not say what the matching needs (and no person chose them)."""

    def __init__(self, missing: list[str], found: list[str]):
        self.missing, self.found = missing, found
        # Added to the API's 400 body (config/errors.py), so a script can say what to rename.
        self.details = {"missing_columns": missing, "columns_found": found}
        super().__init__(
            "The file has no column for "
            + "; nor for ".join(missing)
            + ". Columns found: "
            + ", ".join(f"“{column}”" for column in found)
            + "."
        )


TOO_LARGE_ADVICE = "Upload one year's rows only."

# --- Upload and columns -----------------------------------------------------------------------------


def _year_check(year: int) -> None:
    this_year = timezone.localdate().year
    if not 2000 <= year <= this_year:
        raise ValidationError({"year": f"Choose a year from 2000 to {this_year}."})


def _year_of_file(year: int | None, agency_file: AgencyFile) -> int:
    """The year asked for, or else the file's own (most of its rows' dates); refused when the
    file's dates are all in other years, or when no year is given and its dates cannot be read."""
    if year is None:
        if agency_file.year is None:
            raise ValidationError(
                {"year": "Choose the year: this file's date column was not recognised, so its "
                 "year cannot be read from it."}
            )  # fmt: skip
        year = agency_file.year
    elif agency_file.years and year not in agency_file.years:
        found = ", ".join(str(other) for other in sorted(agency_file.years))
        raise ValidationError(
            {"year": f"None of the file's dates is in {year} (they are in {found}): choose "
             f"{agency_file.year}, or leave the year empty to take it from the file."}
        )  # fmt: skip
    _year_check(year)
    return year


def reconciliation_upload(
    *,
    year: int | None,
    file_name: str,
    content: File | bytes,
    actor,
    automatic_only: bool = False,
) -> Reconciliation:
    """Keep the agency's list and start it when its columns are known; otherwise it waits (status
    `mapping`) for a person to choose them, unless `automatic_only`, which refuses it instead
    (ColumnsMissing). A file that cannot be read is refused before anything is saved.

    `content` is the uploaded file as Django hands it over (bytes are taken too). It is never held
    whole: it is read a chunk at a time once to check and count its rows, and once more to store
    it, hashed on the way. Without a `year`, the file's own (the year most of its rows are dated
    in) is taken."""
    if year is not None:
        _year_check(year)
    upload = content if isinstance(content, File) else ContentFile(content, name=file_name)
    size_check(upload.size, advice=TOO_LARGE_ADVICE)
    agency_file = agency_file_scan(upload, mapping=None)
    year = _year_of_file(year, agency_file)
    mapping = columns_guess(agency_file.columns)
    missing = mapping_missing(mapping)
    if missing and automatic_only:
        raise ColumnsMissing(missing, agency_file.columns)
    reconciliation = Reconciliation(
        year=year,
        file_name=file_name[:255],
        encoding=agency_file.encoding,
        delimiter=agency_file.delimiter,
        columns=agency_file.columns,
        mapping=mapping,
        status=Status.MAPPING if missing else Status.QUEUED,
        rows_total=agency_file.rows_total,
        created_by=actor,
    )
    stored = _Hashed(upload)
    reconciliation.file.save("agency.csv", stored, save=False)
    reconciliation.size, reconciliation.sha256 = stored.size_read, stored.sha256.hexdigest()
    try:
        with transaction.atomic():
            reconciliation.save()
            if reconciliation.status == Status.QUEUED:
                _enqueue_if_large(reconciliation)
    except Exception:
        reconciliation.file.delete(save=False)  # no row keeps it
        raise
    _run_if_small(reconciliation)
    reconciliation.refresh_from_db()
    return reconciliation


class _Hashed(File):
    """The upload as the storage reads it, a chunk at a time, hashed and measured on the way."""

    def __init__(self, upload: File):
        super().__init__(upload, name=upload.name)
        self.sha256 = hashlib.sha256()
        self.size_read = 0

    def chunks(self, chunk_size: int | None = None) -> Iterator[bytes]:
        for chunk in super().chunks(chunk_size):
            self.sha256.update(chunk)
            self.size_read += len(chunk)
            yield chunk


def reconciliation_preview(*, reconciliation: Reconciliation) -> list[list[str]]:
    """The stored file's first rows, for the page where a person chooses its columns."""
    with reconciliation.file.open("rb") as stored:
        return agency_file_preview(
            stored, encoding=reconciliation.encoding, delimiter=reconciliation.delimiter
        )


def _rows(reconciliation: Reconciliation) -> Iterator[AgencyRow]:
    with reconciliation.file.open("rb") as stored:
        yield from agency_rows_read(
            stored,
            encoding=reconciliation.encoding,
            delimiter=reconciliation.delimiter,
            mapping=reconciliation.mapping,
        )


def reconciliation_columns_choose(
    *, reconciliation_id: int, mapping: dict[str, str], actor
) -> Reconciliation:
    """A person's choice of columns for a list waiting for one; checked against every row."""
    with transaction.atomic():
        reconciliation = Reconciliation.objects.select_for_update().get(pk=reconciliation_id)
        if reconciliation.status != Status.MAPPING:
            raise ValidationError("These columns were already chosen; the list is being processed.")
        chosen = {fact: column for fact, column in mapping.items() if column}
        if set(chosen.values()) - set(reconciliation.columns):
            raise ValidationError("Choose columns of this file only.")
        missing = mapping_missing(chosen)
        if missing:
            raise ValidationError(["Choose a column for " + what + "." for what in missing])
        with reconciliation.file.open("rb") as stored:  # every row's values, or refused
            agency_file_scan(
                stored,
                mapping=chosen,
                keep=0,
                encoding=reconciliation.encoding,
                delimiter=reconciliation.delimiter,
            )
        reconciliation.mapping = chosen
        reconciliation.status = Status.QUEUED
        reconciliation.save(update_fields=["mapping", "status"])
        _enqueue_if_large(reconciliation)
    _run_if_small(reconciliation)
    reconciliation.refresh_from_db()
    return reconciliation


def reconciliation_restart(*, reconciliation_id: int) -> Reconciliation:
    """Start a list again: one that failed, or one still waiting long after it was queued (the
    broker was down, or the worker died and the message was lost)."""
    stale = timezone.now() - timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT)
    restartable = Q(status=Status.FAILED) | Q(status=Status.QUEUED, created_at__lt=stale)
    restartable |= Q(status=Status.RUNNING, started_at__lt=stale)
    with transaction.atomic():
        changed = Reconciliation.objects.filter(restartable, pk=reconciliation_id).update(
            status=Status.QUEUED, started_at=None, rows_done=0, error=""
        )
        if not changed:
            raise ValidationError(
                "This list is being processed or is done: there is nothing to restart."
            )
        reconciliation = Reconciliation.objects.get(pk=reconciliation_id)
        _enqueue_if_large(reconciliation)
    _run_if_small(reconciliation)
    reconciliation.refresh_from_db()
    return reconciliation


def _enqueue_if_large(reconciliation: Reconciliation) -> None:
    # If the broker is down, the page offers to start it again.
    if reconciliation.rows_total > RECONCILE_INLINE_ROWS:
        task_enqueue_after_commit(
            reconcile_run_task, reconciliation.pk, what=f"reconciliation {reconciliation.pk}"
        )


def _run_if_small(reconciliation: Reconciliation) -> None:
    if reconciliation.status != Status.QUEUED or reconciliation.rows_total > RECONCILE_INLINE_ROWS:
        return
    try:
        reconciliation_run(reconciliation_id=reconciliation.pk)
    except Exception:
        reconciliation_fail(reconciliation_id=reconciliation.pk)


def reconciliation_fail(*, reconciliation_id: int) -> str:
    """Give up on a list after an error nobody can fix from the page; logged with an id to quote."""
    error_id = uuid.uuid4().hex[:8]
    logger.exception("reconciliation %s failed (error id %s)", reconciliation_id, error_id)
    Reconciliation.objects.filter(pk=reconciliation_id).update(
        status=Status.FAILED,
        finished_at=timezone.now(),
        error=f"Processing failed (error id {error_id}). Start it again; if it fails again, "
        "give that id to the administrator.",
    )
    return error_id


# --- Running --------------------------------------------------------------------------------------


def _claim(reconciliation_id: int) -> Reconciliation | None:
    """Take a queued list, or one whose run died long ago: one conditional UPDATE, so two workers
    handed the same message never both run it."""
    now = timezone.now()
    stale = now - timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT)
    claimable = Q(status=Status.QUEUED) | Q(status=Status.RUNNING, started_at__lt=stale)
    claimed = Reconciliation.objects.filter(claimable, pk=reconciliation_id).update(
        status=Status.RUNNING, started_at=now, rows_done=0, error=""
    )
    return Reconciliation.objects.get(pk=reconciliation_id) if claimed else None


def reconciliation_run(*, reconciliation_id: int) -> bool:
    """Match the list with our counted requests of its year and write the results; False when
    there was nothing to do (done already, waiting for columns, or another worker has it).

    A file that cannot be read fails the list with a message that says why. Any other error puts
    it back in the queue and propagates, for the task to retry."""
    reconciliation = _claim(reconciliation_id)
    if reconciliation is None:
        return False
    try:
        _match(reconciliation)
    except ValidationError as refusal:
        Reconciliation.objects.filter(pk=reconciliation_id).update(
            status=Status.FAILED, finished_at=timezone.now(), error=" ".join(refusal.messages)
        )
    except Exception:
        Reconciliation.objects.filter(pk=reconciliation_id).update(status=Status.QUEUED)
        raise
    return True


def _match(reconciliation: Reconciliation) -> None:
    """The agency's rows are read and matched a chunk at a time. The identifiers are matched row by
    row in the file's order; the fallback settles its rows best score first, after every
    identifier match, so the rows it may still match wait in memory. A row that has no candidate
    now can have none later (a candidate taken is never freed) and is agency only at once."""
    year = reconciliation.year
    ReconciliationRow.objects.filter(reconciliation=reconciliation).delete()  # a dead run's
    progress = _Progress(reconciliation.pk, done=0)
    writer = _Writer(reconciliation.pk)
    matcher = Matcher(our_requests(year=year), precinct_guide())
    rows = outside = 0
    waiting: list[AgencyRow] = []
    for row in _rows(reconciliation):
        rows += 1
        if row.prepare_date is not None and row.prepare_date.year != year:
            outside += 1
        elif (outcome := matcher.by_identifiers(row)) is not None:
            writer.add(outcome)
        elif matcher.candidates(row):
            waiting.append(row)
            continue  # counted done when the fallback settles it
        else:
            writer.add(matcher.agency_only(row))
        progress.advance(1)
    base = progress.done
    for outcome in matcher.by_fallback(waiting, progress=lambda done: progress.set(base + done)):
        writer.add(outcome)
    for outcome in matcher.ours_only():
        writer.add(outcome)
    writer.flush()
    Reconciliation.objects.filter(pk=reconciliation.pk).update(
        status=Status.DONE, rows_done=rows, rows_outside_year=outside, finished_at=timezone.now()
    )


class _Progress:
    def __init__(self, reconciliation_id: int, done: int):
        self.reconciliation_id, self.done, self.written = reconciliation_id, done, 0

    def advance(self, rows: int) -> None:
        self.set(self.done + rows)

    def set(self, done: int) -> None:
        self.done = done
        if done - self.written >= WRITE_BATCH:
            Reconciliation.objects.filter(pk=self.reconciliation_id).update(rows_done=done)
            self.written = done


class _Writer:
    """Result rows written RESULT_BATCH at a time with one executemany of plain values.

    bulk_create builds each statement field by field in Python: at tens of thousands of rows that
    was most of a run (bench/reconcile). The columns are the model's; the JSON fields go through
    the backend's own JSON adaptation (as JSONField does), so each database gets them as it
    stores them."""

    COLUMNS = (
        "reconciliation_id", "result", "rule", "confidence", "line_number", "agency_row",
        "prepare_date", "request_id", "candidates", "precinct_id", "line", "decision",
    )  # fmt: skip

    def __init__(self, reconciliation_id: int):
        self.reconciliation_id = reconciliation_id
        self.pending: list[tuple] = []
        self.db = connections[DEFAULT_DB_ALIAS]  # the connection itself, not its per-thread proxy
        meta = ReconciliationRow._meta
        names = ", ".join(self.db.ops.quote_name(column) for column in self.COLUMNS)
        places = ", ".join(["%s"] * len(self.COLUMNS))
        table = self.db.ops.quote_name(meta.db_table)
        # Only the model's own table and column names: nothing from the file is in the statement.
        self.sql = f"INSERT INTO {table} ({names}) VALUES ({places})"  # noqa: S608
        self.encoders = meta.get_field("agency_row").encoder, meta.get_field("candidates").encoder

    def add(self, outcome: Outcome) -> None:
        self.pending.append(self.values(outcome))
        if len(self.pending) >= RESULT_BATCH:
            self.flush()

    def values(self, outcome: Outcome) -> tuple:
        row, request = outcome.row, outcome.request
        ops, (agency_row, candidates) = self.db.ops, self.encoders
        return (
            self.reconciliation_id,
            outcome.result,
            outcome.rule,
            outcome.confidence,
            row.line_number if row else None,
            ops.adapt_json_value(row.values if row else {}, agency_row),
            ops.adapt_datefield_value(row.prepare_date if row else None),
            request.pk if request else None,
            ops.adapt_json_value(outcome.candidates, candidates),
            outcome.precinct_id,
            outcome.line,
            "",  # no decision yet
        )

    def flush(self) -> None:
        if self.pending:  # one transaction a batch, as bulk_create (not one a row)
            with transaction.atomic(savepoint=False), self.db.cursor() as cursor:
                cursor.executemany(self.sql, self.pending)
        self.pending = []


def result_row(reconciliation_id: int, outcome: Outcome) -> ReconciliationRow:
    row, request = outcome.row, outcome.request
    return ReconciliationRow(
        reconciliation_id=reconciliation_id,
        result=outcome.result,
        rule=outcome.rule,
        confidence=outcome.confidence,
        line_number=row.line_number if row else None,
        agency_row=row.values if row else {},
        prepare_date=row.prepare_date if row else None,
        request_id=request.pk if request else None,
        candidates=outcome.candidates,
        precinct_id=outcome.precinct_id,
        line=outcome.line,
    )


def our_requests(*, year: int) -> list[OurRequest]:
    """Our counted requests of the local year, and those of the few days around it (candidates for
    an agency date near the edge, never "ours only"): one query."""
    margin = timedelta(days=DATE_WINDOW_DAYS + 1)
    start, end = local_year_bounds(year)
    requests = counted_requests(counts=CountFilter(year_from=year - 1, year_to=year + 1)).filter(
        delivery__received_at__gte=start - margin, delivery__received_at__lt=end + margin
    )
    columns = (
        "pk", "delivery__received_at", "delivery__precinct_id", "delivery__channel",
        "delivery__fax_number__number", "delivery__to_number", "subject_id", "event_number",
        "a_number", "date_of_birth", "sex", "citizenship",
    )  # fmt: skip
    return [_ours(start, end, *values) for values in requests.values_list(*columns)]


def _ours(
    start, end, pk, received_at, precinct_id, channel, number, dialled, subject_id, event_number,
    a_number, born, sex, citizenship,
) -> OurRequest:  # fmt: skip
    return OurRequest(
        pk=pk,
        received_on=timezone.localdate(received_at),
        in_year=start <= received_at < end,
        precinct_id=precinct_id,
        line=delivery_line(number, dialled, channel),
        subject_id=identifier_normalise(subject_id) if subject_id else "",
        event_number=identifier_normalise(event_number) if event_number else "",
        a_number=a_number_read(a_number),
        birth_year=born.year if born else None,
        gender=gender_normalise(sex),
        citizenship=country_normalise(citizenship),
    )


def delivery_line(number: str | None, dialled: str, channel: str) -> str:
    """The fax line a delivery came in on: its number's, else the number dialled; none for email."""
    return number or (dialled if channel == Channel.FAX else "")


def precinct_guide() -> PrecinctGuide:
    """The precincts and their fax lines (two queries), with settings.RECONCILE_FACILITY_PRECINCTS."""
    lines = [
        FaxLine(
            precinct_id,
            number,
            kind,
            timezone.localdate(active_from),
            timezone.localdate(active_until) if active_until else None,
        )
        for precinct_id, number, kind, active_from, active_until in FaxNumber.objects.values_list(
            "precinct_id", "number", "kind", "active_from", "active_until"
        )
    ]
    precincts = Precinct.objects.values_list("pk", "code", "name")
    return PrecinctGuide(precincts, lines, getattr(settings, "RECONCILE_FACILITY_PRECINCTS", {}))
