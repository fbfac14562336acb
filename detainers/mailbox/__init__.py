"""The central mailbox: each detainer emailed to the central address read once, kept, never deleted.

    address.py   CENTRAL_MAILBOX_URL read into an address
    imap.py      the only code that talks IMAP: reads the folder, moves each copy after the commit
    signin.py    signing in: the URL's password, or XOAUTH2 with a token when MAILBOX_OAUTH2_* are set
    oauth2.py    tokens from the client-credentials grant, kept in the process and renewed
    parsing.py   a message's bytes into its headers, body and files (hostile mail included)
    messages.py  each message's bytes into one delivery, exactly once, a chunk per transaction;
                 retrying a quarantined one
    lease.py     the lease each reader holds, and the state it leaves
    health.py    what the central inbox shows about the mailbox
    tasks.py     the minute's task and each reader's share

A message is stored first (its raw bytes become the delivery's message/rfc822 document, in the same
commit as everything read from it) and moved on the server only after that commit, to `Processed`
or `Quarantine`. A crash between the two leaves the copy in the folder; the next run finds it by
(mailbox, UIDVALIDITY, UID), does not read it again, and only moves it. Several readers
(MAILBOX_READERS) each take the copies whose UID leaves their remainder, under leases of their own.
"""

from detainers.mailbox.address import MailboxAddress, MailboxNotConfigured, mailbox_address_parse
from detainers.mailbox.health import MailboxHealth, mailbox_health
from detainers.mailbox.imap import mailbox_ingest
from detainers.mailbox.messages import (
    IngestSummary,
    Origin,
    mailbox_retry_quarantined,
    message_ingest,
    messages_ingest,
)

__all__ = [
    "IngestSummary",
    "MailboxAddress",
    "MailboxHealth",
    "MailboxNotConfigured",
    "Origin",
    "mailbox_address_parse",
    "mailbox_health",
    "mailbox_ingest",
    "mailbox_retry_quarantined",
    "message_ingest",
    "messages_ingest",
]
