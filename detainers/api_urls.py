"""The app's endpoints under /api/v1/ (CONTRACT.md), each capability's own."""

from detainers.counting import urls as counting
from detainers.inbox import urls as inbox
from detainers.intake import urls as intake
from detainers.reconcile import urls as reconcile

urlpatterns = (
    intake.api_urlpatterns
    + inbox.api_urlpatterns
    + counting.api_urlpatterns
    + reconcile.api_urlpatterns
)
