# One image for every Django process: web (gunicorn), worker and beat (Celery), and the one-shot migrate.
# docker-compose.yml chooses the command; see docs/deploy.md.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore \
    PYTHONPATH=/app \
    DJANGO_SETTINGS_MODULE=config.settings

RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --create-home --home-dir /home/app \
        --shell /usr/sbin/nologin app

WORKDIR /app

# Tesseract reads faxes and scanned PDFs (detainers/extraction, the extraction worker).
# pg_dump and pg_restore for `manage.py backup` and `restore` (docs/deploy.md "Backups"): from the
# PostgreSQL project's own Debian repository (set up by Debian's postgresql-common), because they
# must be at least the server's major version, 16 (docker-compose.yml's postgres image): keep the two equal.
RUN apt-get update \
    && apt-get install -y --no-install-recommends tesseract-ocr tesseract-ocr-eng postgresql-common \
    && /usr/share/postgresql-common/pgdg/apt.postgresql.org.sh -y \
    && apt-get install -y --no-install-recommends postgresql-client-16 \
    && rm -rf /var/lib/apt/lists/*

# Dependencies first, from the pins in pyproject.toml, so a code change does not reinstall them.
# The project itself is not pip-installed: it runs from /app (PYTHONPATH), where settings.py
# finds templates/ and static/ beside it; an installed copy in site-packages would not.
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" \
        > /tmp/requirements.txt \
    && pip install -r /tmp/requirements.txt \
    && rm /tmp/requirements.txt

COPY . .

# Static files are collected into the image (served by WhiteNoise). Settings fail closed when
# DJANGO_DEBUG is False, so this one command gets placeholder values: nothing connects to them,
# and none of them stays in the image's environment.
RUN DJANGO_DEBUG=False \
    DJANGO_SECRET_KEY=build-only-placeholder-never-used-at-run-time-0123456789abcdef \
    DATABASE_URL=postgres://build:build@build.invalid:5432/build \
    CELERY_BROKER_URL=redis://build.invalid:6379/0 \
    python manage.py collectstatic --noinput \
    && python -m compileall -q /app

# Documents (MEDIA_ROOT) and beat's schedule live in volumes mounted here, owned by the app user.
RUN mkdir -p /data/media /data/beat && chown app:app /data/media /data/beat

USER app
EXPOSE 8000
CMD ["gunicorn", "config.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3", "--timeout", "60"]
