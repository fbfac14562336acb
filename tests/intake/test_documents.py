"""Counting a document's pages (detainers.core.documents.page_count), which the mailbox does for every
attachment: the PDF page tree's declared total when it is sane, else the pages walked one by one."""

import pytest

from detainers.core.documents import PDF, TIFF, page_count
from tests.factories import image_bytes, pdf_bytes


@pytest.mark.parametrize("pages", [1, 3])
def test_a_pdf_counts_the_pages_it_declares(pages):
    assert page_count(pdf_bytes(pages=pages), PDF) == pages


@pytest.mark.parametrize("declared", [b"0", b"-3", b"3000"])
def test_a_pdf_whose_declared_total_is_absurd_is_counted_page_by_page(declared):
    content = pdf_bytes(pages=3)
    assert content.count(b"/Count 3") == 1
    assert page_count(content.replace(b"/Count 3", b"/Count " + declared), PDF) == 3


def test_a_tiff_counts_its_frames_and_a_broken_file_counts_none():
    assert page_count(image_bytes("TIFF", pages=2), TIFF) == 2
    assert page_count(b"%PDF-1.4 cut short", PDF) is None
