"""The app's pages, each capability's own (its package's urls.py says who may use each view)."""

from detainers.counting import urls as counting
from detainers.extraction import urls as extraction
from detainers.inbox import urls as inbox
from detainers.intake import urls as intake
from detainers.reconcile import urls as reconcile
from detainers.records import urls as records

urlpatterns = (
    intake.urlpatterns
    + inbox.urlpatterns
    + extraction.urlpatterns
    + counting.urlpatterns
    + reconcile.urlpatterns
    + records.urlpatterns
)
