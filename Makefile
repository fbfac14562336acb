# Detainer Desk. `make run` and `make test` are the two commands a newcomer needs (see README).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: optional-parts run test test-faults lint bench bench-intake bench-dashboard bench-mailbox bench-extraction bench-reconcile bench-webhooks bench-lists clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test]"
	touch $(STAMP)

# What this machine lacks (Tesseract: faxes and scans are not read), with the command that adds it;
# the first thing `make run` and `make test` print, nothing when all is there.
optional-parts:
	@scripts/tesseract/check.sh

# Development server on SQLite with tasks in-process and demo data, on port 8000 or
# another one: make run PORT=8001.
PORT ?= 8000
run: optional-parts $(STAMP)
	@echo "Second factor for supervisor and admin: MFA_REQUIRED=$${MFA_REQUIRED:-False} (off by default in development)."
	@echo "  To try it: MFA_REQUIRED=True make run; they enrol an authenticator app at first sign-in (QR code or key shown)."
	DJANGO_DEBUG=True $(PY) manage.py migrate --noinput
	DJANGO_DEBUG=True $(PY) manage.py seed_demo --port $(PORT)
	DJANGO_DEBUG=True $(PY) manage.py runserver 127.0.0.1:$(PORT)

# The whole suite. Uses DATABASE_URL / CELERY_BROKER_URL when set (CI sets both), SQLite otherwise.
test: optional-parts $(STAMP)
	DJANGO_DEBUG=True $(PY) -m pytest $(PYTEST_ARGS)

# The fault suite (faults/run.py, README "Reliability"): stops Redis, kills the worker, restarts the
# machine's PostgreSQL once and stops an IMAP server under real traffic; exits 1 if anything accepted
# was lost, doubled or half-written. Needs the local PostgreSQL (superuser postgres), redis-server
# and Dovecot (scripts/dovecot/install.sh); about two minutes.
test-faults: $(STAMP)
	$(PY) faults/run.py $(FAULTS_ARGS)

# Style and the import rules ([tool.importlinter] in pyproject.toml, docs/architecture.md).
lint: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(VENV)/bin/lint-imports

# Benchmarks (bench/README.md): each prints ratios against a baseline measured in the same run.
# They need the local PostgreSQL (superuser postgres, role detainers) and Redis on 127.0.0.1.
bench: bench-intake bench-dashboard bench-mailbox bench-extraction bench-reconcile bench-webhooks bench-lists

bench-intake: $(STAMP)
	$(PY) bench/intake/run.py $(BENCH_ARGS)

# Loads 10 million requests by default (about 3 minutes on 2 quiet cores). Its own arguments, so that
# `make bench BENCH_ARGS=...` stays about bench-intake: make bench-dashboard DASHBOARD_ARGS="--rows 1000000".
bench-dashboard: $(STAMP)
	$(PY) bench/dashboard/run.py $(DASHBOARD_ARGS)

# 10,000 emails from a Dovecot of its own (scripts/dovecot/install.sh): MAILBOX_ARGS="--messages 2000".
bench-mailbox: $(STAMP)
	$(PY) bench/mailbox/run.py $(MAILBOX_ARGS)

# Reads its own filled-in forms (text-layer PDFs, fax images, scans, email bodies) with Tesseract,
# which it installs first when missing (scripts/tesseract/install.sh: Debian's packages).
bench-extraction: $(STAMP)
	scripts/tesseract/install.sh
	$(PY) bench/extraction/run.py $(EXTRACTION_ARGS)

# A 600,000-row agency list through the reconciliation upload and run (SQLite in a temporary folder,
# no services; about 5 minutes): RECONCILE_ARGS="--rows 100000".
bench-reconcile: $(STAMP)
	$(PY) bench/reconcile/run.py $(RECONCILE_ARGS)

# Signed Telnyx fax events against POST /api/v1/faxes/ of the same fax (PostgreSQL and Redis, like
# bench-intake; about a minute): WEBHOOKS_ARGS="--requests 300".
bench-webhooks: $(STAMP)
	$(PY) bench/webhooks/run.py $(WEBHOOKS_ARGS)

# Search and the long lists at 10 million requests (PostgreSQL; about 8 minutes): LISTS_ARGS="--rows 1000000".
bench-lists: $(STAMP)
	$(PY) bench/lists/run.py $(LISTS_ARGS)

clean:
	rm -rf $(VENV) db.sqlite3 media staticfiles .pytest_cache
