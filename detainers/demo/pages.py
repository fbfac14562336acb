"""An invented filled-in form drawn as a reader meets it: a PDF with a text layer, page images, a
faxed TIFF (standard or fine, with header line and specks), a scanned PDF, a PNG."""

import io
import os
import random
from dataclasses import dataclass

import reportlab
from PIL import Image, ImageDraw, ImageFilter, ImageFont
from reportlab.lib.utils import ImageReader, simpleSplit
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

from detainers.demo.filled_forms import (
    FONTS,
    FOOTERS,
    HOLD_SENTENCE,
    NOTIFY_SENTENCE,
    PAGE_HEIGHT,
    PAGE_WIDTH,
    PROBABLE_CAUSE_SENTENCES,
    RELAY_SENTENCE,
    TITLES,
    WARRANT_SENTENCE,
    FilledForm,
)

FONT_FOLDER = os.path.join(os.path.dirname(reportlab.__file__), "fonts")

# Labels in Bitstream Vera (bundled with reportlab), filled-in values in Courier, like a typewriter or
# the fillable PDF's text fields; both exist as files Pillow can load, so no system font is needed.
FONT_FILES = {
    "Vera": "Vera.ttf",
    "VeraBd": "VeraBd.ttf",
    "Courier": "com_____.pfb",
}
for _name in ("Vera", "VeraBd"):
    pdfmetrics.registerFont(TTFont(_name, os.path.join(FONT_FOLDER, FONT_FILES[_name])))


@dataclass(frozen=True)
class _Text:
    x: float
    y: float  # baseline, from the top of the page
    text: str
    font: str = "Vera"
    size: float = 9.0


@dataclass(frozen=True)
class _Box:
    x: float
    y: float  # baseline of the line it stands on
    ticked: bool


@dataclass(frozen=True)
class _Rule:
    x1: float
    y1: float
    x2: float
    y2: float


LEFT, RIGHT = 48.0, 564.0


class _Page:
    """A cursor down the page that appends drawing operations."""

    def __init__(self) -> None:
        self.ops: list[_Text | _Box | _Rule] = []
        self.y = 60.0

    def centred(self, text: str, *, size: float, font: str = "VeraBd") -> None:
        width = pdfmetrics.stringWidth(text, font, size)
        self.ops.append(_Text((PAGE_WIDTH - width) / 2, self.y, text, font, size))
        self.y += size * 1.5

    def fields(self, *pairs: tuple[float, str, str], gap: float = 18.0) -> None:
        """One row of "Label: value" pairs, each starting at its x."""
        for x, label, value in pairs:
            self.ops.append(_Text(x, self.y, label, "VeraBd", 9))
            value_x = x + pdfmetrics.stringWidth(label, "VeraBd", 9) + 6
            self.ops.append(_Text(value_x, self.y, value, "Courier", 10))
        self.y += gap

    def paragraph(self, text: str, *, x: float = LEFT, font: str = "Vera", size: float = 8.5):
        for line in simpleSplit(text, font, size, RIGHT - x):
            self.ops.append(_Text(x, self.y, line, font, size))
            self.y += size * 1.35
        self.y += 4

    def box(self, ticked: bool, text: str, *, x: float = LEFT + 12) -> None:
        self.ops.append(_Box(x, self.y, ticked))
        self.paragraph(text, x=x + 16)

    def rule(self) -> None:
        self.ops.append(_Rule(LEFT, self.y - 8, RIGHT, self.y - 8))
        self.y += 6


def _layout(form: FilledForm) -> list[list[_Text | _Box | _Rule]]:
    if form.form_type in ("I-200", "I-205"):
        return [_warrant_page(form, form.form_type)]
    pages = [_detainer_page(form)]
    if form.warrant_page:
        pages.append(_warrant_page(form, form.warrant_page))
    return pages


def _detainer_page(form: FilledForm) -> list[_Text | _Box | _Rule]:
    page = _Page()
    page.centred("DEPARTMENT OF HOMELAND SECURITY (DHS)", size=10)
    page.centred(TITLES[form.form_type], size=12 if form.form_type != "I-247N" else 10)
    page.y += 6
    page.fields((LEFT, "Subject ID:", form.subject_id), (330, "File No:", form.a_number_printed))
    page.fields(
        (LEFT, "Event #:", form.event_number), (330, "Date:", form.form_date.strftime("%m/%d/%Y"))
    )
    page.paragraph(
        "TO: (Name and Title of Institution - OR Any Subsequent Law Enforcement Agency)", size=8
    )
    page.paragraph(form.institution, font="Courier", size=10)
    page.paragraph("FROM: (DHS Office Address)", size=8)
    page.paragraph(form.dhs_office, font="Courier", size=10)
    page.rule()
    name_label = "Name of Alien:" if form.form_type == "I-247A" else "Name of Subject:"
    page.fields((LEFT, name_label, form.subject_name))
    page.fields(
        (LEFT, "Date of Birth:", form.date_of_birth.strftime("%m/%d/%Y")),
        (250, "Citizenship:", form.citizenship),
        (460, "Sex:", form.sex),
    )
    page.rule()
    if form.form_type == "I-247A":
        _detainer_boxes(page, form)
    else:
        page.paragraph(
            "1. DHS HAS DETERMINED THAT THE SUBJECT IS AN IMMIGRATION ENFORCEMENT PRIORITY. This "
            "form was rescinded on April 2, 2017; detainers issued on it remain in effect.",
            font="VeraBd",
        )
    _signature_and_footer(page, form.form_type)
    return page.ops


def _detainer_boxes(page: _Page, form: FilledForm) -> None:
    page.paragraph(
        "1. DHS HAS DETERMINED THAT PROBABLE CAUSE EXISTS THAT THE SUBJECT IS A REMOVABLE ALIEN. "
        "THIS DETERMINATION IS BASED ON (complete box 1 or 2):",
        font="VeraBd",
    )
    for basis, sentence in PROBABLE_CAUSE_SENTENCES.items():
        page.box(form.probable_cause == basis, sentence)
    page.paragraph(
        "2. DHS TRANSFERRED THE ALIEN TO YOUR CUSTODY FOR A PROCEEDING OR INVESTIGATION (complete "
        "box 1 or 2). Upon completion of the proceeding or investigation for which the alien was "
        "transferred to your custody, DHS intends to resume custody of the alien.",
        font="VeraBd",
    )
    page.rule()
    page.paragraph("IT IS THEREFORE REQUESTED THAT YOU:", font="VeraBd", size=9)
    page.box(form.notify_before_release, NOTIFY_SENTENCE)
    page.box(form.hold_up_to_48_hours, HOLD_SENTENCE)
    page.box(form.relay, RELAY_SENTENCE)
    page.box(form.warrant_box, WARRANT_SENTENCE)


def _warrant_page(form: FilledForm, form_type: str) -> list[_Text | _Box | _Rule]:
    page = _Page()
    page.centred("U.S. DEPARTMENT OF HOMELAND SECURITY", size=10)
    page.centred(TITLES[form_type], size=13)
    page.y += 10
    page.fields((330, "File No:", form.a_number_printed))
    page.fields((330, "Date:", form.form_date.strftime("%m/%d/%Y")))
    page.paragraph(
        "To: Any immigration officer authorized pursuant to sections 236 and 287 of the "
        "Immigration and Nationality Act and part 287 of title 8, Code of Federal Regulations.",
    )
    page.paragraph("I have determined that there is probable cause to believe that")
    page.fields((LEFT, "Name of Alien:", form.subject_name))
    page.paragraph(
        "is removable from the United States. This determination is based upon the execution of "
        "a charging document and the pendency of removal proceedings against the subject."
    )
    _signature_and_footer(page, form_type)
    return page.ops


def _signature_and_footer(page: _Page, form_type: str) -> None:
    page.y += 30
    page.ops.append(_Rule(330, page.y, RIGHT, page.y))
    page.y += 12
    page.ops.append(_Text(330, page.y, "(Signature of Authorized Immigration Officer)", "Vera", 7))
    page.ops.append(_Text(LEFT, 750, FOOTERS[form_type], "Vera", 8))
    page.ops.append(_Text(500, 750, "Page 1 of 1", "Vera", 8))


# --- Renderings -----------------------------------------------------------------------------------


def form_pdf_text_layer(form: FilledForm) -> bytes:
    """The form as a PDF with a real text layer (what a fillable PDF saved as PDF looks like)."""
    output = io.BytesIO()
    pdf = canvas.Canvas(output, pagesize=(PAGE_WIDTH, PAGE_HEIGHT))
    for ops in _layout(form):
        for op in ops:
            _pdf_draw(pdf, op)
        pdf.showPage()
    pdf.save()
    return output.getvalue()


def _pdf_draw(pdf: canvas.Canvas, op: _Text | _Box | _Rule) -> None:
    if isinstance(op, _Text):
        pdf.setFont(op.font, op.size)
        pdf.drawString(op.x, PAGE_HEIGHT - op.y, op.text)
    elif isinstance(op, _Box):
        pdf.rect(op.x, PAGE_HEIGHT - op.y - 1, 9, 9, stroke=1, fill=0)
        if op.ticked:
            pdf.setFont("Courier", 11)
            pdf.drawString(op.x + 1.2, PAGE_HEIGHT - op.y, "X")
    else:
        pdf.line(op.x1, PAGE_HEIGHT - op.y1, op.x2, PAGE_HEIGHT - op.y2)


def form_page_images(form: FilledForm, *, dpi: int = 300) -> list[Image.Image]:
    """Each page drawn as a clean greyscale image (the paper before it goes through a machine)."""
    return [_page_image(ops, dpi=dpi) for ops in _layout(form)]


def _page_image(ops: list[_Text | _Box | _Rule], *, dpi: int) -> Image.Image:
    scale = dpi / 72
    image = Image.new("L", (round(PAGE_WIDTH * scale), round(PAGE_HEIGHT * scale)), 255)
    draw = ImageDraw.Draw(image)
    stroke = max(1, round(scale * 0.8))
    for op in ops:
        if isinstance(op, _Text):
            font = _font(op.font, round(op.size * scale))
            draw.text((op.x * scale, op.y * scale), op.text, font=font, fill=0, anchor="ls")
        elif isinstance(op, _Box):
            x, y = op.x * scale, (op.y + 1) * scale
            draw.rectangle((x, y - 9 * scale, x + 9 * scale, y), outline=0, width=stroke)
            if op.ticked:
                draw.text((x + 1.2 * scale, y - scale), "X", font=_font("Courier", round(11 * scale)), fill=0, anchor="ls")  # fmt: skip
        else:
            draw.line(
                (op.x1 * scale, op.y1 * scale, op.x2 * scale, op.y2 * scale), fill=0, width=stroke
            )
    return image


def _font(name: str, pixels: int) -> ImageFont.FreeTypeFont:
    if (name, pixels) not in FONTS:
        FONTS[name, pixels] = ImageFont.truetype(
            os.path.join(FONT_FOLDER, FONT_FILES[name]), pixels
        )
    return FONTS[name, pixels]


FAX_WIDTH = 1728  # pixels across an ITU-T T.4 fax line

FAX_DPI_X = 204


def form_fax_tiff(
    form: FilledForm,
    *,
    rng: random.Random,
    noise: float = 1.0,
    skew_degrees: float | None = None,
    fine: bool = True,
) -> bytes:
    """The form as a received fax: bilevel Group 4 TIFF, 1728 px wide, 204x196 dpi (98 with fine=False).

    Realistic damage: the page a little skewed (random up to 1.5 degrees unless given), blur and a
    jittered threshold (thin or fat strokes), speckles and the odd dropout line in proportion to
    `noise` (0 = clean), and the sending machine's header line on top.
    """
    line_dpi = 196 if fine else 98
    skew = rng.uniform(-1.5, 1.5) if skew_degrees is None else skew_degrees
    pages = form_page_images(form)
    frames = []
    for number, page in enumerate(pages, start=1):
        _fax_header(page, form, rng=rng, page=number, of=len(pages))
        page = page.rotate(skew, resample=Image.Resampling.BICUBIC, fillcolor=255)
        page = page.filter(ImageFilter.GaussianBlur(rng.uniform(0.5, 1.2)))
        height = round(PAGE_HEIGHT / 72 * line_dpi)
        page = page.resize((FAX_WIDTH, height), Image.Resampling.BOX)
        threshold = 128 + rng.randint(-25, 25) * min(noise, 1.0)
        page = page.point(lambda value, cut=threshold: 255 if value > cut else 0)
        _speckle(page, rng=rng, noise=noise)
        frames.append(page.convert("1"))
    output = io.BytesIO()
    frames[0].save(
        output,
        format="TIFF",
        compression="group4",
        dpi=(FAX_DPI_X, line_dpi),
        save_all=True,
        append_images=frames[1:],
    )
    return output.getvalue()


def _fax_header(image: Image.Image, form: FilledForm, *, rng: random.Random, page: int, of: int):
    sent = (
        form.form_date.strftime("%b %d %Y").upper()
        + f" {rng.randint(7, 18):02d}:{rng.randint(0, 59):02d}"
    )
    header = f"{sent}  FROM: ICE ERO BOSTON 781-555-{rng.randint(0, 9999):04d}  TO: 617 555 0133  P.{page:03d}/{of:03d}"  # fmt: skip
    ImageDraw.Draw(image).text((60, 50), header, font=_font("Courier", 30), fill=0, anchor="ls")


def _speckle(page: Image.Image, *, rng: random.Random, noise: float) -> None:
    """Black specks of one to three pixels over the page, and a few white dropout streaks."""
    draw = ImageDraw.Draw(page)
    width, height = page.size
    for _ in range(int(1500 * noise)):
        x, y, size = rng.randrange(width), rng.randrange(height), rng.choice([0, 0, 1, 1, 2])
        draw.rectangle((x, y, x + size, y + size), fill=0)
    for _ in range(rng.randint(0, int(3 * noise))):
        y = rng.randrange(height)
        draw.line((0, y, width, y), fill=255)


def form_scanned_pdf(form: FilledForm, *, rng: random.Random, ocr_layer: str = "") -> bytes:
    """An image-only PDF, one greyscale JPEG per page at 200 dpi, as an office scanner makes.

    `ocr_layer` adds the invisible text a scanner's OCR writes over each picture: "good" (the
    page's text where it is printed), "garbage" (what a lost font encoding or a bad OCR makes of
    it) or "partial" (the top third of the page only, as when its OCR gave up)."""
    output = io.BytesIO()
    pdf = canvas.Canvas(output, pagesize=(PAGE_WIDTH, PAGE_HEIGHT))
    for ops, page in zip(_layout(form), form_page_images(form, dpi=200), strict=True):
        page = page.rotate(rng.uniform(-1.0, 1.0), resample=Image.Resampling.BICUBIC, fillcolor=255)
        page = page.filter(ImageFilter.GaussianBlur(rng.uniform(0.3, 0.8)))
        page = page.point(lambda value: 40 + value * 0.75)  # grey paper, toner not quite black
        scan = io.BytesIO()
        page.save(scan, format="JPEG", quality=rng.randint(60, 80))
        scan.seek(0)
        pdf.drawImage(ImageReader(scan), 0, 0, PAGE_WIDTH, PAGE_HEIGHT)
        if ocr_layer:
            _invisible_text(pdf, ops, kind=ocr_layer)
        pdf.showPage()
    pdf.save()
    return output.getvalue()


GARBLED = str.maketrans(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
    "Æ¦ÞŦ§¥ÐĦ|ĴĶĿ¤ŊØ¶ŒŘŠŦŲ¥ŴӾ¥Ƶæƀ¢đ€ƒ¶ħ¡ĵĸłɱŋø¶ɋŗšŧµ√ŵ×¥ƶ°¹²³¤%¶&*(",
)


def _invisible_text(pdf: canvas.Canvas, ops: list[_Text | _Box | _Rule], *, kind: str) -> None:
    """The page's text drawn invisibly (render mode 3) where it is printed, as a scanner's OCR;
    a box as the "[X]" or "[ ]" such OCR makes of it."""
    for op in ops:
        if isinstance(op, _Box):
            op = _Text(op.x, op.y, "[X]" if op.ticked else "[ ]", size=9)
        if not isinstance(op, _Text) or (kind == "partial" and op.y > PAGE_HEIGHT / 3):
            continue
        text = pdf.beginText(op.x, PAGE_HEIGHT - op.y)
        text.setTextRenderMode(3)
        text.setFont("Vera", op.size)  # a scanner's OCR writes one font of its own
        text.textOut(op.text.translate(GARBLED) if kind == "garbage" else op.text)
        pdf.drawText(text)


def form_png(form: FilledForm, *, dpi: int = 150) -> bytes:
    """The first page as a PNG photo-scan without a resolution in it (the reader has to guess)."""
    output = io.BytesIO()
    form_page_images(form, dpi=dpi)[0].save(output, format="PNG")
    return output.getvalue()
