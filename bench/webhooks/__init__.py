"""bench/webhooks: signed Telnyx fax events against POST /api/v1/faxes/ (see run.py)."""
