"""The project's URLs plus /bench/bare-insert/, the floor POST /api/v1/faxes/ is measured against.

The bare view does the least a fax endpoint must: parse the same multipart body (the whole upload
is read) and insert one Delivery row with the same fields. No authentication, no validation, no
document storage, no page counting, no routing.
"""

from datetime import datetime

from django.http import JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from config.urls import urlpatterns as project_urlpatterns
from detainers.models import Channel, Delivery, Source


@csrf_exempt
@require_POST
def bare_insert(request):
    request.FILES["document"].read()
    delivery = Delivery.objects.create(
        channel=Channel.FAX,
        source=Source.GATEWAY,
        received_at=datetime.fromisoformat(request.POST["received_at"]),
        to_number=request.POST["to_number"],
        from_address=request.POST["from_number"],
        external_id=request.POST["gateway_id"],
    )
    return JsonResponse({"id": delivery.pk}, status=201)


urlpatterns = [
    *project_urlpatterns,
    path("bench/bare-insert/", bare_insert, name="bench-bare-insert"),
]
