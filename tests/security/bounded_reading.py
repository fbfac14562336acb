"""One email through the mailbox, read and shown, in a process limited to 512 MB of address space.

Run by test_document_budget.py as `python -m tests.security.bounded_reading EMAIL DATABASE MEDIA`,
from the project's folder, against a migrated SQLite copy of its own. The limit is set before
Django is imported; then the message is taken in (message_ingest: routing and reading run
in-process, as `make run` does), its request's page and each TIFF's first two pages are asked for
by a supervisor, and the state everything ended in is printed as one line of JSON. A MemoryError
or a crash shows as the process failing, with its traceback on stderr.
"""

import json
import os
import resource
import sys

ADDRESS_SPACE = 512 * 1024 * 1024


def main(email: str, database: str, media: str) -> dict:
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE, ADDRESS_SPACE))
    os.environ.pop("CELERY_BROKER_URL", None)  # tasks in this process
    os.environ.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DJANGO_DEBUG="True",
        DJANGO_ALLOWED_HOSTS="testserver",  # django.test.Client's host
        DATABASE_URL=f"sqlite:///{database}",
        MEDIA_ROOT=media,
    )
    import django

    django.setup()
    from django.contrib.auth.models import Group
    from django.test import Client
    from django.urls import reverse

    from accounts.models import User
    from detainers.mailbox import Origin, message_ingest
    from detainers.models import Extraction

    with open(email, "rb") as message:
        copy = message_ingest(raw=message.read(), origin=Origin(mailbox="file://bounded"))
    delivery = copy.delivery
    supervisor = User.objects.create(username="supervisor")
    supervisor.groups.add(Group.objects.get(name="Supervisor"))
    client = Client()
    client.force_login(supervisor)
    request = delivery.requests.order_by("pk").first()
    item = client.get(reverse("inbox-item", args=[request.pk]))
    readings = Extraction.objects.filter(document__delivery=delivery).select_related("document")
    return {
        "outcome": copy.outcome,
        "readings": {
            reading.document.content_type: [reading.status, reading.error] for reading in readings
        },
        "item_page": item.status_code,
        "item_text": item.content.decode(),
        "tiff_pages": [
            _page(client, reverse("document-page", args=[document.pk, n]))
            for document in delivery.documents.filter(content_type="image/tiff")
            for n in (1, 2)
        ],
    }


def _page(client, url: str) -> list:
    """[status, PNG width and height or the text of the answer]."""
    from PIL import Image

    answer = client.get(url)
    if answer.status_code == 200:
        import io

        with Image.open(io.BytesIO(answer.content)) as png:
            return [200, list(png.size)]
    return [answer.status_code, answer.content.decode(errors="replace")[:500]]


if __name__ == "__main__":
    print(json.dumps(main(*sys.argv[1:4])))
