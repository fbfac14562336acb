"""A CSV file read as a stream, never held whole: a chunk at a time through a text wrapper
(io.TextIOWrapper) into the csv module. Its first chunk decides its encoding (text_decode) and its
delimiter (delimiter_sniff). What the agency's file says, and what is refused, is in agency_csv.
"""

import codecs
import csv
import io
from collections.abc import Iterable, Iterator
from typing import IO

from django.core.exceptions import ValidationError

CHUNK_BYTES = 64 * 1024
DELIMITERS = (",", ";", "\t", "|")
MAX_PROBLEMS_SHOWN = 5
WORKBOOK = "This is an Excel workbook, not a CSV file: open it in Excel, choose File › Save As › “CSV UTF-8”, and upload that."
SAVE_AS_CSV = (
    "ask for the agency's list as a spreadsheet, save it as “CSV UTF-8” (File › Save As), and "
    "upload that."
)
# What people upload instead of the list: the first bytes of each kind, in lower case.
NOT_CSV = (
    ((b"%pdf",), "a PDF document"),
    ((b"\x89png", b"\xff\xd8\xff", b"gif8", b"ii*\x00", b"mm\x00*"), "an image"),
    ((b"<!doctype", b"<html", b"<?xml", b"<table", b"<"), "a web page or XML file"),
    ((b"{\\rtf",), "a Word (RTF) document"),
    ((b"{", b"[{", b'["'), "a JSON file"),
)
NOT_TEXT = "This is not a text file the agency's CSV could be: save the list as CSV (UTF-8) and upload that."

Records = Iterator[tuple[int, list[str]]]  # (line in the file, cells)


class Problems:
    """What is wrong with a file, in words: the first few kept, every one counted."""

    def __init__(self) -> None:
        self.shown: list[str] = []
        self.count = 0

    def add(self, problem: str) -> None:
        self.count += 1
        if len(self.shown) < MAX_PROBLEMS_SHOWN:
            self.shown.append(problem)

    def refusal(self, advice: str) -> ValidationError:
        more = self.count - len(self.shown)
        return ValidationError([*self.shown, *([f"… and {more} more."] if more else []), advice])


def text_decode(content: bytes, *, final: bool = True) -> tuple[str, str]:
    """(text, encoding): UTF-8 with or without a byte-order mark, UTF-16 with one, else Windows-1252.

    On a file's first chunk (`final=False`: more follows) a character cut in two at the chunk's end
    waits for the next chunk. The encoding found there is the file's, unless a later chunk is not
    UTF-8 after all: agency_csv then reads the file again from its start as Windows-1252, which is
    what decoding the whole file at once chose. A later chunk that is not Windows-1252 (or UTF-16)
    either, or holds a NUL, refuses the file as not text, as it always did."""
    if content.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):
        raise ValidationError(WORKBOOK)
    for signatures, kind in NOT_CSV:
        if content.lstrip()[:16].lower().startswith(signatures):
            raise ValidationError(f"This is {kind}, not a CSV file: {SAVE_AS_CSV}")
    attempts = ["utf-8-sig", "cp1252"]
    if content.startswith((b"\xff\xfe", b"\xfe\xff")):
        attempts = ["utf-16"]
    for encoding in attempts:
        try:
            text = codecs.getincrementaldecoder(encoding)().decode(content, final=final)
        except UnicodeDecodeError:
            continue
        if "\x00" in text:
            break
        return text, encoding
    raise ValidationError(NOT_TEXT)


def delimiter_sniff(text: str) -> str:
    """The delimiter the header line uses most: comma, semicolon, tab or bar."""
    header = next((line for line in text.splitlines() if line.strip()), "")
    counts = {delimiter: header.count(delimiter) for delimiter in DELIMITERS}
    best = max(DELIMITERS, key=lambda delimiter: counts[delimiter])
    return best if counts[best] else ","


def csv_table(
    stream: IO[bytes], *, encoding: str, delimiter: str, problems: Problems
) -> tuple[list[str] | None, Records]:
    """(column names, data rows) from the file's start: the header's names (None: no header) and
    an iterator over the rows that are not blank, each as wide as the header or a problem. A record
    the csv module cannot read ends the rows, as a problem; a NUL refuses the file (not text); bytes
    that are not `encoding` raise UnicodeDecodeError. Close the iterator to stop early."""
    stream.seek(0)
    records = _records(stream, encoding, delimiter, problems)
    header = next(records, None)
    if header is None:
        return None, records
    return _column_names(header[1]), _fitted(records, len(header[1]), problems)


def file_blank(stream: IO[bytes]) -> bool:
    """Nothing in the file but spaces and line breaks (read a chunk at a time)."""
    stream.seek(0)
    return not any(chunk.strip() for chunk in iter(lambda: stream.read(CHUNK_BYTES), b""))


def _records(stream, encoding: str, delimiter: str, problems: Problems) -> Records:
    text = io.TextIOWrapper(stream, encoding=encoding, newline="")
    reader = csv.reader(_text_lines(text), delimiter=delimiter, strict=True)
    try:
        for record in reader:
            if "".join(record).strip():
                yield reader.line_num, record
    except csv.Error as error:
        problems.add(f"Line {reader.line_num}: {error} (a quote opened and not closed?).")
    finally:
        text.detach()  # closing the wrapper would close the caller's file


def _text_lines(text: Iterable[str]) -> Iterator[str]:
    for line in text:
        if "\x00" in line:
            raise ValidationError(NOT_TEXT)
        yield line


def _column_names(header: list[str]) -> list[str]:
    names: list[str] = []
    for position, raw in enumerate(header, start=1):
        name = raw.strip() or f"Column {position}"
        while name in names:
            name = f"{name} ({position})"
        names.append(name)
    return names


def _fitted(records: Records, width: int, problems: Problems) -> Records:
    try:
        for line, record in records:
            yield line, _fit(record, width, line, problems)
    finally:
        records.close()  # stopped early: the text wrapper lets go of the file now


def _fit(record: list[str], width: int, line: int, problems: Problems) -> list[str]:
    """A row as wide as the header: blank cells after the last column are dropped; anything else
    that does not fit is a problem (usually a line break or delimiter inside an unquoted value)."""
    while len(record) > width and not record[-1].strip():
        record = record[:-1]
    if len(record) != width:
        problems.add(f"Line {line} has {len(record)} values; the header names {width} columns.")
    return record
