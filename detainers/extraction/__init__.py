"""Reading detainer forms: text out of documents (reading.py, with OCR in ocr.py), the form's fields
out of that text (fields.py for labelled values, boxes.py for the form type and ticked boxes), the
shapes they pass on (text.py), and the extractions that routing makes and a task works (services.py)."""
