"""Reading detainer forms: text out of documents (reading.py), the form's fields out of that text
(fields.py), and the extractions that routing makes and a task works (services.py)."""
