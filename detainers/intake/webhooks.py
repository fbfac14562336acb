"""Cloud fax providers' webhooks (CONTRACT.md "Fax lines"): POST /api/v1/fax-providers/{telnyx,
phaxio,documo}/. Each view checks the provider's proof (detainers.intake.providers), reads the
event and hands it to provider_events; its 200 is sent only once the event is committed.

Who may use them: the provider alone, proven by its signature or credentials on each request, not
by a user: no session or token authentication runs, and CSRF does not apply (nothing here reads a
cookie). A request without a valid proof is answered 401 and nothing of it is stored.
"""

import hashlib
import logging
import time
from dataclasses import replace

from django.conf import settings
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api_schema import DetailSerializer, field_errors_response
from detainers.intake import providers
from detainers.intake.provider_events import provider_event_record
from detainers.intake.providers import EventUnreadable, ProviderFax, SignatureRefused
from detainers.intake.services import IncomingFile
from detainers.models import ProviderEvent

logger = logging.getLogger(__name__)

Provider = ProviderEvent.Provider
NOT_OURS = "Not a fax received on one of our lines; nothing to record."


class ProviderEventAnswerSerializer(serializers.Serializer):
    created = serializers.BooleanField(help_text="False for a replayed event or one not recorded.")
    event_id = serializers.IntegerField(allow_null=True)
    state = serializers.ChoiceField(choices=ProviderEvent.State.choices, allow_null=True)
    detail = serializers.CharField()


def _schema(provider: str, proof: str, request) -> extend_schema:
    return extend_schema(
        summary=f"{Provider(provider).label} fax events",
        description=(
            f"Who: {Provider(provider).label} only, proven by {proof} on each request; no user, "
            "session or API token. Answered 200 once the event is stored (a replayed event: 200, "
            "nothing new stored); a failed reception becomes a missed fax at once, a received "
            "fax's document is fetched in the background."
        ),
        auth=[],
        request=request,
        responses={
            200: OpenApiResponse(ProviderEventAnswerSerializer, description="Stored, or a replay."),
            400: field_errors_response({"detail": "The body is not JSON."}),
            401: OpenApiResponse(
                DetailSerializer,
                description="Not proven to come from the provider, or the provider is not set up "
                "here: nothing stored.",
            ),
        },
    )


class _ProviderWebhook(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]
    # The body is read raw, and only after its proof is checked; no parser runs before.
    parser_classes: list = []
    provider = ""
    challenge = ""  # WWW-Authenticate of a 401

    def post(self, request):
        try:
            fax = self.read(request)
        except SignatureRefused as refusal:
            logger.warning("%s webhook refused: %s", self.provider, refusal)
            headers = {"WWW-Authenticate": self.challenge} if self.challenge else None
            return Response({"detail": str(refusal)}, status=401, headers=headers)
        except EventUnreadable as unreadable:
            return Response({"detail": str(unreadable)}, status=400)
        if fax is None:
            return Response({"created": False, "event_id": None, "state": None, "detail": NOT_OURS})
        receipt = provider_event_record(fax=fax)
        detail = "Stored." if receipt.created else "Already stored; nothing new."
        return Response(
            {
                "created": receipt.created,
                "event_id": receipt.event.pk,
                "state": receipt.event.state,
                "detail": detail,
            }
        )

    def read(self, request) -> ProviderFax | None:
        raise NotImplementedError


class TelnyxWebhook(_ProviderWebhook):
    """Who: Telnyx (Ed25519 signature). Programmable Fax events fax.received and fax.failed."""

    provider = Provider.TELNYX

    @_schema(
        Provider.TELNYX,
        "its Ed25519 signature (headers telnyx-signature-ed25519 and telnyx-timestamp)",
        {"application/json": OpenApiTypes.OBJECT},
    )
    def post(self, request):
        return super().post(request)

    def read(self, request) -> ProviderFax | None:
        body = request.body
        providers.telnyx_verify(
            body=body,
            signature=request.headers.get("telnyx-signature-ed25519", ""),
            timestamp=request.headers.get("telnyx-timestamp", ""),
            now=time.time(),
        )
        return providers.provider_fax_read(Provider.TELNYX, providers.json_event(body))


class DocumoWebhook(_ProviderWebhook):
    """Who: Documo (HTTP basic auth set on its webhook). mFax inbound fax events."""

    provider = Provider.DOCUMO
    challenge = 'Basic realm="Detainer Desk fax providers"'

    @_schema(
        Provider.DOCUMO,
        "the basic-auth user name and password set on its webhook",
        {"application/json": OpenApiTypes.OBJECT},
    )
    def post(self, request):
        return super().post(request)

    def read(self, request) -> ProviderFax | None:
        providers.documo_verify(authorization=request.headers.get("Authorization", ""))
        return providers.provider_fax_read(Provider.DOCUMO, providers.json_event(request.body))


PHAXIO_CALLBACK = inline_serializer(
    name="PhaxioCallback",
    fields={
        "fax": serializers.CharField(help_text="The fax object, as JSON."),
        "direction": serializers.CharField(required=False),
        "is_test": serializers.CharField(required=False),
        "success": serializers.CharField(required=False),
        "file": serializers.FileField(required=False, help_text="The received fax (v2)."),
        "filename": serializers.FileField(required=False, help_text="The received fax (v1)."),
    },
)


class PhaxioWebhook(_ProviderWebhook):
    """Who: Phaxio/Sinch (HMAC-SHA1 X-Phaxio-Signature). Receive-fax callbacks, file included."""

    provider = Provider.PHAXIO
    parser_classes = [MultiPartParser, FormParser]

    @_schema(
        Provider.PHAXIO,
        "its X-Phaxio-Signature (HMAC-SHA1 keyed by the callback token)",
        {"multipart/form-data": PHAXIO_CALLBACK},
    )
    def post(self, request):
        return super().post(request)

    def read(self, request) -> ProviderFax | None:
        length = request.META.get("CONTENT_LENGTH") or "0"
        # Before the form is decoded at all.
        providers.phaxio_configured(content_length=int(length) if length.isdigit() else 0)
        fields = [(name, value) for name, values in request.POST.lists() for value in values]
        uploads = [(name, upload) for name, items in request.FILES.lists() for upload in items]
        providers.phaxio_verify(
            signature=request.headers.get("X-Phaxio-Signature", ""),
            urls=[
                settings.SITE_URL.rstrip("/") + request.get_full_path(),
                request.build_absolute_uri(),
            ],
            fields=fields,
            files=[(name, _sha1(upload)) for name, upload in uploads],
        )
        fax = providers.provider_fax_read(Provider.PHAXIO, dict(fields))
        upload = next((item for name, item in uploads if name in ("file", "filename")), None)
        if fax is None or fax.kind == ProviderEvent.Kind.FAILED or upload is None:
            return fax
        upload.seek(0)
        return replace(fax, document=IncomingFile(upload.name or "fax.pdf", upload.read()))


def _sha1(upload) -> str:
    digest = hashlib.sha1()  # noqa: S324 - Phaxio's signature scheme, not our choice of hash
    for chunk in upload.chunks():
        digest.update(chunk)
    return digest.hexdigest()
