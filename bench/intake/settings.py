"""The project's settings with the bench URLs: one bare view to compare the fax endpoint with.

Everything else (database, broker, DEBUG, security) comes from the environment as in production;
run.py sets it.
"""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "bench.intake.urls"
