"""The filing to the City Clerk as a PDF letter. It only writes what it is given (filing.FilingLetter).

Every page carries "Page X of Y" (the canvas keeps its pages until the letter is saved, when Y is
known) and, while the year is open, "DRAFT": a letter printed before the year is closed must not
pass for the one filed. The list's header row repeats on every page the list runs onto.
"""

import io
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import LETTER
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import inch
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from detainers.counting.filing import FilingLetter

WIDTH, HEIGHT = LETTER
MARGIN = inch
GRID = colors.HexColor("#c9d1d9")
HEADER_FILL = colors.HexColor("#eef1f4")

LIST_STYLE = TableStyle(
    [
        ("FONT", (0, 0), (-1, 0), "Helvetica-Bold", 9),
        ("FONT", (0, 1), (-1, -1), "Helvetica", 9),
        ("BACKGROUND", (0, 0), (-1, 0), HEADER_FILL),
        ("LINEBELOW", (0, 0), (-1, -1), 0.5, GRID),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ]
)
FIGURE_STYLE = TableStyle(
    [
        ("LINEBELOW", (0, 0), (-1, -1), 0.5, GRID),
        ("ALIGN", (1, 0), (1, -1), "RIGHT"),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ]
)


def _styles() -> dict[str, ParagraphStyle]:
    sample = getSampleStyleSheet()
    body = sample["BodyText"]
    return {
        "department": ParagraphStyle("department", body, fontName="Helvetica-Bold", fontSize=14),
        "body": body,
        "bold": ParagraphStyle("bold", body, fontName="Helvetica-Bold"),
        "heading": sample["Heading3"],
        "cell": ParagraphStyle("cell", body, fontSize=9, leading=11),
        "detail": ParagraphStyle("detail", body, leftIndent=18),
        "value": ParagraphStyle("value", body, alignment=TA_RIGHT),
        "draft": ParagraphStyle("draft", body, textColor=colors.HexColor("#b42318")),
    }


def _text(text: str, style: ParagraphStyle) -> Paragraph:
    return Paragraph(escape(text), style)


def _letterhead(letter: FilingLetter, styles) -> list:
    story = [_text(letter.department, styles["department"])]
    story += [_text(line, styles["body"]) for line in letter.address]
    dated = letter.dated
    story += [Spacer(1, 0.2 * inch), _text(f"{dated:%B} {dated.day}, {dated.year}", styles["body"])]
    story += [Spacer(1, 0.1 * inch)]
    story += [_text(line, styles["body"]) for line in letter.profile.recipient]
    story += [Spacer(1, 0.15 * inch), _text(letter.words(letter.profile.subject), styles["bold"])]
    if letter.draft:
        story.append(
            _text(
                f"DRAFT: {letter.year} is not closed, so these figures may still change. "
                "File the letter printed once the year is closed.",
                styles["draft"],
            )
        )
    return story


def _figures(letter: FilingLetter, styles) -> list:
    rows = [
        [
            _text(line.label, styles["detail" if line.detail else "bold"]),
            _text(line.shown, styles["value"]),
        ]
        for line in letter.figures
    ]
    table = Table(rows, colWidths=[5.3 * inch, 1.2 * inch])
    table.setStyle(FIGURE_STYLE)
    return [_text(letter.words(letter.profile.figures_heading), styles["heading"]), table]


def _request_list(letter: FilingLetter, styles) -> list:
    heading = _text(letter.words(letter.profile.table_heading), styles["heading"])
    if not letter.rows:
        return [heading, _text(f"No request was counted in {letter.year}.", styles["body"])]
    header = [column.heading for column in letter.columns]
    rows = [[_text(cell, styles["cell"]) for cell in row] for row in letter.rows]
    widths = [column.width * inch for column in letter.columns]
    table = Table([header, *rows], colWidths=widths, repeatRows=1)
    table.setStyle(LIST_STYLE)
    return [heading, table]


def _page_decoration(letter: FilingLetter):
    """Drawn under each page's text: the watermark of an open year, the running header after page 1."""

    def draw(canvas: Canvas, document) -> None:
        canvas.saveState()
        if letter.draft:
            canvas.setFillColor(colors.Color(0.85, 0.2, 0.15, alpha=0.12))
            canvas.setFont("Helvetica-Bold", 110)
            canvas.translate(WIDTH / 2, HEIGHT / 2)
            canvas.rotate(45)
            canvas.drawCentredString(0, -40, "DRAFT")
        canvas.restoreState()
        if document.page > 1:
            canvas.saveState()
            canvas.setFont("Helvetica", 8)
            title = f"{letter.department} · {letter.profile.title} {letter.year}"
            canvas.drawString(MARGIN, HEIGHT - 0.6 * inch, title)
            canvas.restoreState()

    return draw


def _page_counting_canvas(footer: str) -> type[Canvas]:
    class PageCountingCanvas(Canvas):
        """Keeps each finished page until the letter is saved, then numbers them "Page X of Y"."""

        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self._finished_pages: list[dict] = []

        def showPage(self) -> None:  # noqa: N802 (reportlab's name)
            self._finished_pages.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._finished_pages)
            for number, page in enumerate(self._finished_pages, start=1):
                self.__dict__.update(page)
                self.setFont("Helvetica", 8)
                self.drawString(MARGIN, 0.5 * inch, footer)
                self.drawRightString(WIDTH - MARGIN, 0.5 * inch, f"Page {number} of {total}")
                super().showPage()
            super().save()

    return PageCountingCanvas


def filing_pdf(letter: FilingLetter) -> bytes:
    styles = _styles()
    title = f"{letter.profile.title} {letter.year}"
    out = io.BytesIO()
    document = SimpleDocTemplate(
        out,
        pagesize=LETTER,
        title=title,
        author=letter.department,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=0.8 * inch,
        bottomMargin=0.8 * inch,
    )
    story = _letterhead(letter, styles)
    story += [Spacer(1, 0.15 * inch)]
    story += [
        _text(letter.words(paragraph), styles["body"]) for paragraph in letter.profile.opening
    ]
    story += _figures(letter, styles)
    story += _request_list(letter, styles)
    story += [Spacer(1, 0.2 * inch)]
    story += [
        _text(letter.words(paragraph), styles["body"]) for paragraph in letter.profile.closing
    ]
    story += [Spacer(1, 0.3 * inch), _text(letter.department, styles["body"])]
    decoration = _page_decoration(letter)
    document.build(
        story,
        onFirstPage=decoration,
        onLaterPages=decoration,
        canvasmaker=_page_counting_canvas(f"{letter.department} · {title}"),
    )
    return out.getvalue()
