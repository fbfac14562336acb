"""bench/extraction's unseen-format set: identifiers of shapes the demo never prints.

Forms from detainers.demo.filled_forms.filled_form_other_formats (Subject IDs of 7 or 11 digits,
2 letters and 8 digits, "2019-004512", ...; Event #s of 12 digits, "BOS-2021-004512", ...), each
read as a text-layer PDF, a fine fax, a scanned PDF and a standard fax, in two states:

- never confirmed: no reviewed request holds a value of these shapes (a new office's first forms);
- confirmed: reviewers confirmed each shape CONFIRMED_TIMES times (the department's own reviews).

Per kind and state: identifiers (Subject ID and Event #) read exactly, filled in by themselves
(confidence >= triage.APPLY_CONFIDENCE) and filled in wrong; every other field filled in wrong too.
"""

import random
from collections import defaultdict

IDENTIFIERS = ("subject_id", "event_number")
CONFIRMED_TIMES = 20
KINDS = ("text PDF", "fax TIFF", "scanned PDF", "std fax")
AIM_FILLED = {"fax TIFF": 90.0, "scanned PDF": 90.0, "std fax": 80.0}


def unseen_formats_measured(*, forms: int, seed: int) -> int:
    """Prints the set's table and aims; 1 when an aim is missed."""
    from detainers.demo import filled_forms as demo_forms
    from detainers.extraction.shapes import NONE_CONFIRMED, ConfirmedShapes

    rng = random.Random(seed + 2)  # a stream of its own: the main set's documents are unchanged
    filled = [demo_forms.filled_form_other_formats(rng) for _ in range(forms)]
    texts = _texts(filled, random.Random(seed + 3))
    confirmed = ConfirmedShapes(
        {
            "subject_id": dict.fromkeys(demo_forms.OTHER_SUBJECT_ID_SHAPES, CONFIRMED_TIMES),
            "event_number": dict.fromkeys(demo_forms.OTHER_EVENT_NUMBER_SHAPES, CONFIRMED_TIMES),
        }
    )
    print(f"\nUnseen-format set: {forms} forms, identifiers of other shapes than the demo's")
    print(f"{'':34}" + "".join(f"{kind:>13}" for kind in KINDS))
    status = 0
    for state, shapes in (("never confirmed", NONE_CONFIRMED), ("confirmed", confirmed)):
        counts = _counted(texts, filled, shapes)
        status |= _printed(state, counts, aims=state == "confirmed")
    return status


def _texts(filled, rng: random.Random) -> dict:
    """Each form's DocumentText per kind (read once; the states differ in the parsing only)."""
    from detainers.demo import pages as demo_pages
    from detainers.extraction.reading import document_text

    texts = defaultdict(list)
    for number, form in enumerate(filled, start=1):
        documents = {
            "text PDF": (demo_pages.form_pdf_text_layer(form), "application/pdf"),
            "fax TIFF": (demo_pages.form_fax_tiff(form, rng=rng), "image/tiff"),
            "scanned PDF": (demo_pages.form_scanned_pdf(form, rng=rng), "application/pdf"),
            "std fax": (demo_pages.form_fax_tiff(form, rng=rng, fine=False), "image/tiff"),
        }
        for kind, (content, content_type) in documents.items():
            texts[kind].append(document_text(content=content, content_type=content_type))
        print(f"  unseen-format form {number}/{len(filled)} read", end="\r", flush=True)
    return texts


def _counted(texts: dict, filled, shapes) -> dict:
    from detainers.demo.filled_forms import expected_fields
    from detainers.extraction.fields import form_fields
    from detainers.triage.services import APPLY_CONFIDENCE

    counts = {kind: defaultdict(int) for kind in KINDS}
    for kind in KINDS:
        for form, text in zip(filled, texts[kind], strict=True):
            found = form_fields(text, shapes=shapes)
            for field, value in expected_fields(form).items():
                reading = found.get(field)
                right = reading is not None and reading.value == value
                written = reading is not None and reading.confidence >= APPLY_CONFIDENCE
                group = "identifier" if field in IDENTIFIERS else "other"
                counts[kind][f"{group} total"] += 1
                counts[kind][f"{group} right"] += right
                counts[kind][f"{group} written"] += written
                counts[kind][f"{group} written wrong"] += written and not right
    return counts


def _percent(part: int, whole: int) -> float:
    return 100.0 * part / whole if whole else 0.0


def _printed(state: str, counts: dict, *, aims: bool) -> int:
    rows = {
        "identifiers exact %": lambda c: _percent(c["identifier right"], c["identifier total"]),
        "identifiers filled in %": lambda c: _percent(
            c["identifier written"], c["identifier total"]
        ),
        "  of which wrong": lambda c: c["identifier written wrong"],
        "other fields filled in wrong": lambda c: c["other written wrong"],
    }
    print(f"{state}:")
    for name, figure in rows.items():
        cells = [figure(counts[kind]) for kind in KINDS]
        print(f"  {name:32}" + "".join(f"{cell:13.1f}" for cell in cells))
    wrong = sum(
        counts[kind]["identifier written wrong"] + counts[kind]["other written wrong"]
        for kind in KINDS
    )
    met = [wrong == 0]
    print(
        f"  {'wrong values filled in':32}{wrong:13d}   aim 0      {'OK' if wrong == 0 else 'MISS'}"
    )
    if aims:
        for kind, aim in AIM_FILLED.items():
            filled_in = rows["identifiers filled in %"](counts[kind])
            met.append(filled_in >= aim)
            print(
                f"  {kind + ' identifiers filled in':32}{filled_in:13.1f}   aim >= {aim:.0f} %  "
                f"{'OK' if filled_in >= aim else 'MISS'}"
            )
    return 0 if all(met) else 1
