"""English formats, as in config/settings.py: one date format across the app (2026-12-07 14:05).

Django always uses the locale's formats over the DATE_FORMAT settings (USE_L10N is gone in
Django 5), so the settings are only heard through this module (FORMAT_MODULE_PATH)."""

from django.conf import settings

DATE_FORMAT = settings.DATE_FORMAT
DATETIME_FORMAT = settings.DATETIME_FORMAT
SHORT_DATE_FORMAT = settings.SHORT_DATE_FORMAT
SHORT_DATETIME_FORMAT = settings.SHORT_DATETIME_FORMAT
TIME_FORMAT = settings.TIME_FORMAT
