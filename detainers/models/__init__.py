"""The domain's tables, one module per concern. Everything is importable from here."""

from detainers.models.audit import Event
from detainers.models.counting import ClosedYear, CountCell
from detainers.models.deliveries import (
    Channel,
    Delivery,
    Document,
    InboxEntry,
    NumberMatch,
    Source,
    document_path,
)
from detainers.models.extraction import Extraction
from detainers.models.faxlines import LineDay, MissedFax, ProviderEvent
from detainers.models.mailbox import MailboxState, MailMessage
from detainers.models.reconciliation import Reconciliation, ReconciliationRow, reconciliation_path
from detainers.models.records import (
    DestructionLog,
    LegalHold,
    LegalHoldRequest,
    PurgeApproval,
    RecordKind,
    RetentionRule,
)
from detainers.models.requests import DetainerRequest, Disposition, FormType, ProbableCause

__all__ = [
    "Channel",
    "Source",
    "NumberMatch",
    "Delivery",
    "document_path",
    "Document",
    "FormType",
    "ProbableCause",
    "Disposition",
    "DetainerRequest",
    "Extraction",
    "LineDay",
    "MissedFax",
    "ProviderEvent",
    "InboxEntry",
    "Event",
    "MailMessage",
    "MailboxState",
    "CountCell",
    "ClosedYear",
    "reconciliation_path",
    "Reconciliation",
    "ReconciliationRow",
    "RecordKind",
    "RetentionRule",
    "LegalHold",
    "LegalHoldRequest",
    "PurgeApproval",
    "DestructionLog",
]
