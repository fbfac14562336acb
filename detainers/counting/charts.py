"""Server-drawn bar charts: the geometry is computed here and written as inline SVG (`svg`).
No JavaScript, no library, nothing from a CDN.

A chart is a picture with a text alternative (its <title> lists every figure); the table drawn under
it carries the same figures as links, for keyboard and screen-reader users. Bars and their numbers
link to the same lists for people with a mouse.
"""

from dataclasses import dataclass
from html import escape

from django.utils.safestring import SafeString, mark_safe

WIDTH = 480  # about the width a chart gets on the page, so its text is drawn near 1:1
# Horizontal bars: each row is a label line with its bar under it (long labels never get cut).
LABEL_HEIGHT = 18
BAR_HEIGHT = 18
ROW_GAP = 10
VALUE_ROOM = 72  # right of the longest bar, for its number
PAD = 4
# Columns (months): values above, labels below.
PLOT_HEIGHT = 160
ABOVE = 20
BELOW = 22
COLUMN_SHARE = 0.6  # of each slot's width


@dataclass(frozen=True)
class Figure:
    """A number shown on a page and the list of requests behind it."""

    count: int
    url: str

    @property
    def shown(self) -> str:
        return f"{self.count:,}"

    @property
    def plain(self) -> str:
        """The number for attributes (data-count), never localised."""
        return str(self.count)


@dataclass(frozen=True)
class Series:
    key: str  # CSS class suffix: series-fax, series-email, series-total
    label: str


TOTAL = Series("total", "Requests")


@dataclass(frozen=True)
class Row:
    label: str
    parts: tuple[Figure, ...]  # one per series of the table
    total: Figure
    short: str = ""  # the chart's label when the table's is long (month names)
    note: str = ""  # an extra column (the email share of a year)


@dataclass(frozen=True)
class Table:
    title: str
    series: tuple[Series, ...]
    rows: tuple[Row, ...]
    category: str = ""  # the heading of the label column: "Year", "Precinct"...
    note_heading: str = ""

    @property
    def split(self) -> bool:
        """More than one series: the table shows a column for each, then the total."""
        return len(self.series) > 1


@dataclass(frozen=True)
class Rect:
    x: str
    y: str
    width: str
    height: str
    series: str
    figure: Figure
    tip: str


@dataclass(frozen=True)
class Text:
    x: str
    y: str
    text: str
    anchor: str = "start"
    figure: Figure | None = None


@dataclass(frozen=True)
class Drawing:
    width: str
    height: str
    summary: str
    rects: tuple[Rect, ...]
    texts: tuple[Text, ...]
    baseline: tuple[str, str, str, str] | None = None  # x1, y1, x2, y2


def _n(value: float) -> str:
    """SVG coordinates as plain text with one decimal, whatever the locale does to floats."""
    return f"{value:.1f}".removesuffix(".0")


def summary(table: Table) -> str:
    """The chart's text alternative: its title and every figure."""
    parts = []
    for row in table.rows:
        text = f"{row.label}: {row.total.shown}"
        if table.split:
            text += (
                " ("
                + ", ".join(
                    f"{s.label} {f.shown}" for s, f in zip(table.series, row.parts, strict=True)
                )
                + ")"
            )
        parts.append(text)
    return f"{table.title}. " + ("; ".join(parts) if parts else "No requests.")


def _segments(table: Table, row: Row, scale: float):
    """(offset, length, series, figure) of each non-empty part of a stacked bar."""
    offset = 0.0
    for series, figure in zip(table.series, row.parts, strict=True):
        if figure.count:
            length = max(figure.count * scale, 1.0)
            yield offset, length, series, figure
            offset += length


def _tip(table: Table, row: Row, series: Series) -> str:
    return f"{row.label}, {series.label.lower()}" if table.split else row.label


def bars(table: Table) -> Drawing:
    """Horizontal bars, one row per category, stacked by series."""
    longest = max((row.total.count for row in table.rows), default=0)
    scale = (WIDTH - VALUE_ROOM) / max(longest, 1)
    step = LABEL_HEIGHT + BAR_HEIGHT + ROW_GAP
    rects, texts = [], []
    for index, row in enumerate(table.rows):
        top = PAD + index * step
        bar_y = top + LABEL_HEIGHT
        texts.append(Text("0", _n(top + 13), row.short or row.label))
        end = 0.0
        for offset, length, series, figure in _segments(table, row, scale):
            tip = f"{_tip(table, row, series)}: {figure.shown}"
            rects.append(
                Rect(_n(offset), _n(bar_y), _n(length), _n(BAR_HEIGHT), series.key, figure, tip)
            )
            end = offset + length
        texts.append(Text(_n(end + 6), _n(bar_y + 14), row.total.shown, figure=row.total))
    height = max(PAD * 2 + len(table.rows) * step - ROW_GAP, 1)
    return Drawing(str(WIDTH), _n(height), summary(table), tuple(rects), tuple(texts))


def columns(table: Table) -> Drawing:
    """Vertical columns (months), stacked by series, with a baseline."""
    highest = max((row.total.count for row in table.rows), default=0)
    scale = PLOT_HEIGHT / max(highest, 1)
    slot = WIDTH / max(len(table.rows), 1)
    width = slot * COLUMN_SHARE
    base = ABOVE + PLOT_HEIGHT
    rects, texts = [], []
    for index, row in enumerate(table.rows):
        left, middle = index * slot + (slot - width) / 2, index * slot + slot / 2
        top = base
        for offset, length, series, figure in _segments(table, row, scale):
            top = base - offset - length
            tip = f"{_tip(table, row, series)}: {figure.shown}"
            rects.append(Rect(_n(left), _n(top), _n(width), _n(length), series.key, figure, tip))
        texts.append(Text(_n(middle), _n(top - 6), row.total.shown, "middle", row.total))
        texts.append(Text(_n(middle), _n(base + 16), row.short or row.label, "middle"))
    baseline = ("0", _n(base), str(WIDTH), _n(base))
    return Drawing(
        str(WIDTH), _n(base + BELOW), summary(table), tuple(rects), tuple(texts), baseline
    )


def _link(figure: Figure, inner: str) -> str:
    # Mouse only (tabindex -1): the table's links are the keyboard's.
    return f'<a href="{escape(figure.url)}" data-count="{figure.count}" tabindex="-1">{inner}</a>'


def _rect(rect: Rect) -> str:
    shape = (
        f'<rect class="series-{escape(rect.series)}" x="{rect.x}" y="{rect.y}" width="{rect.width}" '
        f'height="{rect.height}"><title>{escape(rect.tip)}</title></rect>'
    )
    return _link(rect.figure, shape)


def _text(text: Text) -> str:
    kind = ' class="chart-value"' if text.figure else ""
    shape = f'<text{kind} x="{text.x}" y="{text.y}" text-anchor="{text.anchor}">{escape(text.text)}</text>'
    return _link(text.figure, shape) if text.figure else shape


def svg(drawing: Drawing, id: str) -> SafeString:
    """The drawing as inline SVG: a group whose title lists every figure. Not role="img": a
    picture's content is hidden from screen readers, and links may not be inside one.

    Written here rather than in a template: a chart is a few hundred small elements, and drawing
    them with string formatting costs a fraction of a millisecond, a template loop many."""
    title = f"{escape(id)}-svg-title"
    parts = [
        f'<svg class="chart" viewBox="0 0 {drawing.width} {drawing.height}" width="{drawing.width}" '
        f'height="{drawing.height}" role="group" aria-labelledby="{title}" focusable="false" '
        f'xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{title}">{escape(drawing.summary)}</title>',
    ]
    if drawing.baseline:
        x1, y1, x2, y2 = drawing.baseline
        parts.append(f'<line class="chart-axis" x1="{x1}" y1="{y1}" x2="{x2}" y2="{y2}"/>')
    parts += [_rect(rect) for rect in drawing.rects]
    parts += [_text(text) for text in drawing.texts]
    parts.append("</svg>")
    return mark_safe("\n".join(parts))  # noqa: S308 - every text and attribute above is escaped


@dataclass(frozen=True)
class Chart:
    """One figure block on a page: its heading (the table's title), picture and table."""

    id: str  # unique on the page: the SVG's title and the table's heading hang on it
    table: Table
    drawing: Drawing

    @property
    def svg(self) -> SafeString:
        return svg(self.drawing, self.id)


def chart(id: str, table: Table, *, kind: str = "bars") -> Chart:
    return Chart(id, table, columns(table) if kind == "columns" else bars(table))
