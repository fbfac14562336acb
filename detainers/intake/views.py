from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse

from accounts.access import Role, role_required
from config.errors import form_error_add
from detainers.intake.forms import IntakeForm
from detainers.intake.selectors import precinct_recent_log
from detainers.intake.services import SUBMISSION_REUSED, IncomingFile, clerk_fax_log
from detainers.models import Delivery


@role_required(Role.CLERK)
def intake(request):
    """Who: clerks, for their own precinct only."""
    precinct = request.user.precinct
    if precinct is None:
        return render(request, "detainers/intake.html", {"precinct": None})
    posted = request.method == "POST"
    form = IntakeForm(
        request.POST if posted else None, request.FILES if posted else None, precinct=precinct
    )
    if posted and form.is_valid():
        delivery = _log_fax(form, request.user)
        if delivery is not None:
            messages.success(request, f"Fax logged. Receipt number {delivery.receipt_number}.")
            return redirect(f"{reverse('intake')}?receipt={delivery.pk}")
    context = {
        "form": form,
        "precinct": precinct,
        "receipt": _receipt(request.GET.get("receipt", ""), precinct.pk),
        "log": precinct_recent_log(precinct_id=precinct.pk),
    }
    return render(request, "detainers/intake.html", context)


def _log_fax(form: IntakeForm, clerk) -> Delivery | None:
    """Hand the fax to the intake service; its refusals become errors on the form."""
    data = form.cleaned_data
    try:
        return clerk_fax_log(
            clerk=clerk,
            precinct=form.precinct,
            submission=data["submission"],
            scan=IncomingFile(data["scan"].name, data["scan"].read()),
            received_at=data["received_at"],
            fax_number=data["fax_number"],
            from_address=data["from_address"],
            pages=data["pages"],
            notes=data["notes"],
            late_reason=data["late_reason"],
        ).delivery
    except ValidationError as refusal:
        if getattr(refusal, "code", None) == SUBMISSION_REUSED:
            form_error_add(form, refusal)  # about the whole form: above it
            form.submission_renew()  # so that sending it again logs this fax
        else:
            form_error_add(form, refusal, field="scan")  # a refusal of the file
        return None


def _receipt(pk: str, precinct_id: int) -> Delivery | None:
    """The delivery named in ?receipt=, only if it is this precinct's; anything else is ignored."""
    if not pk.isascii() or not pk.isdigit():
        return None
    return (
        Delivery.objects.filter(pk=int(pk), precinct_id=precinct_id)
        .select_related("fax_number")
        .first()
    )
