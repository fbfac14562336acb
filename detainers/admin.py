"""The detainers app's admin pages: Django looks for them here; each capability keeps its own."""

from detainers.records import admin as records  # noqa: F401 - registers the retention rules
