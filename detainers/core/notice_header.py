"""The header that marks the app's own notices, so the central mailbox can skip them.

Routing signs it into every notice; the mailbox's parser checks it. Its own module, so that neither
of the two imports the other.
"""

from django.core import signing

# Every notice carries this header, signed with the secret key, so that the central mailbox skips
# the app's own mail (when sent to the address it reads) and nobody else can make it skip theirs.
NOTICE_HEADER = "X-Detainer-Desk"
_NOTICE_SIGNER = signing.Signer(salt="detainers.routing.notice")


def notice_header_value(receipt_number: str) -> str:
    return _NOTICE_SIGNER.sign(f"notice {receipt_number}")


def is_own_notice(header_value: str) -> bool:
    try:
        return _NOTICE_SIGNER.unsign(" ".join(header_value.split())).startswith("notice ")
    except (signing.BadSignature, UnicodeError):
        # UnicodeError: a header with bytes that are not UTF-8 (held as surrogates) is not ours.
        return False
