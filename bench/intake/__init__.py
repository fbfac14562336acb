"""bench/intake: POST /api/v1/faxes/ against a bare view that inserts the same row (see run.py)."""
