"""Writers for the annual report's downloads: CSV, XLSX and PDF of the figures, CSV and XLSX of the
de-identified list. They only write what they are given (detainers.counting.annual reads it).

Every text cell of a CSV or XLSX passes through `cell_safe`: a spreadsheet must never run a value
from our records as a formula, whoever typed it.
"""

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import date
from xml.sax.saxutils import escape

from django.http import HttpResponse
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.styles import Font
from reportlab.lib import colors
from reportlab.lib.pagesizes import LETTER
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import inch
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from detainers.counting.annual import AnnualReport, ReportLine

CSV = "text/csv; charset=utf-8"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PDF = "application/pdf"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
LIST_HEADER = ("precinct", "date received", "form type", "disposition")


def cell_safe(value):
    """A text value that a spreadsheet would read as a formula gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _attachment(content: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


def _csv_bytes(header: Sequence[str], rows: Iterable[Sequence]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    for row in rows:
        writer.writerow(
            [cell.isoformat() if isinstance(cell, date) else cell_safe(cell) for cell in row]
        )
    return out.getvalue().encode()


def _xlsx_bytes(title: str, header: Sequence[str], rows: Iterable[Sequence]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = title
    sheet.append(list(header))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append([cell_safe(cell) for cell in row])
    for cell in sheet[1]:
        sheet.column_dimensions[cell.column_letter].width = 24
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            if isinstance(cell.value, date):
                cell.number_format = "yyyy-mm-dd"
            elif isinstance(cell.value, str):
                cell.data_type = "s"  # text, never a formula, whatever it starts with
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


# --- The figures ---------------------------------------------------------------------------------


def _figure_header(report: AnnualReport) -> tuple[str, ...]:
    if report.closed is None:
        return ("section", "figure", "count", "note")
    return ("section", "figure", "reported", "current", "difference", "note")


def _figure_row(report: AnnualReport, line: ReportLine) -> tuple:
    figure = line.figure
    if report.closed is None:
        return (figure.section, figure.label, line.current, figure.note)
    return (figure.section, figure.label, line.reported, line.current, line.difference, figure.note)


def figures_csv(report: AnnualReport) -> HttpResponse:
    rows = (_figure_row(report, line) for line in report.lines)
    content = _csv_bytes(_figure_header(report), rows)
    return _attachment(content, CSV, f"trust-act-{report.year}.csv")


def figures_xlsx(report: AnnualReport) -> HttpResponse:
    rows = (_figure_row(report, line) for line in report.lines)
    content = _xlsx_bytes(f"Trust Act {report.year}", _figure_header(report), rows)
    return _attachment(content, XLSX, f"trust-act-{report.year}.xlsx")


def requests_csv(year: int, rows: list[tuple]) -> HttpResponse:
    return _attachment(_csv_bytes(LIST_HEADER, rows), CSV, f"trust-act-{year}-requests.csv")


def requests_xlsx(year: int, rows: list[tuple]) -> HttpResponse:
    content = _xlsx_bytes(f"Requests {year}", LIST_HEADER, rows)
    return _attachment(content, XLSX, f"trust-act-{year}-requests.xlsx")


# --- The PDF -------------------------------------------------------------------------------------

TABLE_STYLE = TableStyle(
    [
        ("FONT", (0, 0), (-1, 0), "Helvetica-Bold"),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eef1f4")),
        ("LINEBELOW", (0, 0), (-1, -1), 0.5, colors.HexColor("#c9d1d9")),
        ("ALIGN", (1, 0), (-1, -1), "RIGHT"),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ]
)


def _pdf_status(report: AnnualReport) -> str:
    if report.closed is None:
        return "Open: the figures below are the records as they stand on " + (
            f"{timezone.localdate():%Y-%m-%d}."
        )
    closed = report.closed
    status = (
        f"Closed on {timezone.localtime(closed.closed_at):%Y-%m-%d} by "
        f"{closed.closed_by.get_username()}: the figures as reported."
    )
    if report.changed_lines:
        status += f" {len(report.changed_lines)} figure(s) changed since; see “current”."
    return status


def _pdf_table(report: AnnualReport, lines: list[ReportLine], styles) -> Table:
    def label(line: ReportLine) -> Paragraph:
        text = escape(line.figure.label)
        if line.figure.note:
            text += f'<br/><font size="8" color="#4a5561">{escape(line.figure.note)}</font>'
        return Paragraph(text, styles["BodyText"])

    if report.closed is None:
        rows = [["Figure", "Count"]] + [[label(line), str(line.current)] for line in lines]
        widths = [5.5 * inch, 1 * inch]
    else:
        rows = [["Figure", "Reported", "Current"]] + [
            [label(line), "—" if line.reported is None else str(line.reported), str(line.current)]
            for line in lines
        ]
        widths = [4.5 * inch, 1 * inch, 1 * inch]
    table = Table(rows, colWidths=widths, repeatRows=1)
    table.setStyle(TABLE_STYLE)
    for index, line in enumerate(lines, start=1):
        if line.changed or (line.alarming and line.current):
            table.setStyle([("BACKGROUND", (0, index), (-1, index), colors.HexColor("#fdeaea"))])
    return table


def _pdf_footer(title: str):
    def draw(canvas, document) -> None:
        canvas.saveState()
        canvas.setFont("Helvetica", 8)
        canvas.drawString(document.leftMargin, 0.5 * inch, f"{title} · page {document.page}")
        canvas.restoreState()

    return draw


def figures_pdf(report: AnnualReport) -> HttpResponse:
    styles = getSampleStyleSheet()
    out = io.BytesIO()
    title = f"Trust Act annual report {report.year}"
    document = SimpleDocTemplate(out, pagesize=LETTER, title=title, author="Detainer Desk")
    story = [
        Paragraph(escape(title), styles["Title"]),
        Paragraph(escape(_pdf_status(report)), styles["BodyText"]),
        Spacer(1, 0.2 * inch),
    ]
    for section, lines in report.sections:
        story += [Paragraph(escape(section), styles["Heading2"]), _pdf_table(report, lines, styles)]
    footer = _pdf_footer(title)
    document.build(story, onFirstPage=footer, onLaterPages=footer)
    return _attachment(out.getvalue(), PDF, f"trust-act-{report.year}.pdf")


FIGURE_FORMATS = {"csv": figures_csv, "xlsx": figures_xlsx, "pdf": figures_pdf}
LIST_FORMATS = {"list-csv": requests_csv, "list-xlsx": requests_xlsx}
