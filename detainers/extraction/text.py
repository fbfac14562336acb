"""What the steps of reading a form hand each other: no reading, no parsing, only the shapes.

reading.py and ocr.py turn a document into a `DocumentText` (pages of `Line`s of `Word`s, each word
with the confidence OCR gave it) or raise `ReadingError`; fields.py and boxes.py turn that text into
`FieldReading`s, comparing the words read with the words printed on the form through `fold`.
It is a module of its own so that those four import it and not each other in a circle.
"""

import unicodedata
from dataclasses import dataclass


class ReadingError(Exception):
    """The document cannot be read; str(error) is a reason for the supervisor, no personal data."""


class OcrMissing(ReadingError):
    """Tesseract is not installed here: pictures cannot be read, text layers and plain text can."""


@dataclass(frozen=True)
class Word:
    text: str
    confidence: float  # 0..1, 1.0 for a text layer or plain text
    # On the words of an identifier's value: what the other, independent readings of its cut-out
    # read (rereading.py), one text each; fields.py counts how many agree with the page's reading.
    readings: tuple[str, ...] = ()


@dataclass(frozen=True)
class Line:
    page: int  # from 1
    words: tuple[Word, ...]

    @property
    def text(self) -> str:
        return " ".join(word.text for word in self.words)


@dataclass(frozen=True)
class DocumentText:
    method: str  # "text_layer", "ocr" (at least one page was OCRed) or "plain_text"
    pages: int  # pages read
    lines: tuple[Line, ...]
    pages_skipped: int = 0  # pages after MAX_PAGES, not read

    @property
    def text(self) -> str:
        """The lines, pages separated by a form feed: what full-text search stores."""
        pages = [
            "\n".join(line.text for line in self.lines if line.page == number)
            for number in range(1, self.pages + 1)
        ]
        return "\f".join(pages)


@dataclass(frozen=True)
class FieldReading:
    value: object
    confidence: float  # 0..1


def fold(text: str) -> str:
    """A label or word as compared: no accents, no punctuation but '#', and I/l/1, O/0 as one."""
    text = unicodedata.normalize("NFKD", text).lower()
    text = text.translate(str.maketrans({"1": "l", "i": "l", "|": "l", "!": "l", "0": "o"}))
    return "".join(character for character in text if character.isalnum() or character == "#")


def has_alnum(text: str) -> bool:
    return any(character.isalnum() for character in text)
