from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse

from accounts.access import Role, role_required
from config.errors import form_error_add
from detainers.intake.forms import ClerkLogFilterForm, IntakeForm
from detainers.intake.selectors import clerk_log, precinct_recent_log, scan_logged_before
from detainers.intake.services import (
    SUBMISSION_REUSED,
    IncomingFile,
    clerk_fax_log,
    clerk_submission_key,
)
from detainers.intake.staging import kept_scan_discard, scan_keep
from detainers.models import Delivery, Document

CLERK_LOG_PAGE_SIZE = 25


@role_required(Role.CLERK)
def intake(request):
    """Who: clerks, for their own precinct only."""
    precinct = request.user.precinct
    if precinct is None:
        return render(request, "detainers/intake.html", {"precinct": None})
    posted = request.method == "POST"
    form = IntakeForm(
        request.POST if posted else None,
        request.FILES if posted else None,
        precinct=precinct,
        clerk=request.user,
    )
    logged_before = None
    if posted and form.is_valid():
        logged_before = _scan_logged_before(form)
        delivery = _log_fax(form, request.user) if logged_before is None else None
        if delivery is not None:
            if form.cleaned_data["kept_scan"] is not None:  # used: not kept any longer
                kept_scan_discard(clerk=request.user, signed=form.cleaned_data["kept_scan"].signed)
            messages.success(request, f"Fax logged. Receipt number {delivery.receipt_number}.")
            return redirect(f"{reverse('intake')}?receipt={delivery.pk}")
    if posted:
        _scan_keep(form, request.user)
    context = {
        "form": form,
        "precinct": precinct,
        "logged_before": logged_before,
        "receipt": _receipt(request.GET.get("receipt", ""), precinct.pk),
        "log": precinct_recent_log(precinct_id=precinct.pk),
    }
    return render(request, "detainers/intake.html", context)


def _scan_logged_before(form: IntakeForm) -> Document | None:
    """The precinct's earlier document with the same content, unless the clerk chose to log this
    scan anyway (the confirmation names the scan by its hash: it holds for that scan only)."""
    scan = form.cleaned_data["scan"]
    if form.cleaned_data["log_anyway"] == scan.sha256:
        return None
    key = clerk_submission_key(
        clerk=form.clerk, precinct=form.precinct, submission=form.cleaned_data["submission"]
    )
    return scan_logged_before(precinct_id=form.precinct.pk, sha256=scan.sha256, submission_key=key)


def _scan_keep(form: IntakeForm, clerk) -> None:
    """The form comes back: keep a good scan for its next send (browsers cannot refill a file
    input). One the clerk just replaced, or that was refused, is not offered again."""
    scan = form.cleaned_data.get("scan") if not form.has_error("scan") else None
    kept = form.cleaned_data.get("kept_scan")
    if scan is None:
        return
    if kept is not None and kept.sha256 == scan.sha256:
        form.kept = kept
        return
    if kept is not None:
        kept_scan_discard(clerk=clerk, signed=kept.signed)
    form.scan_keep(scan_keep(clerk=clerk, scan=scan))


def _log_fax(form: IntakeForm, clerk) -> Delivery | None:
    """Hand the fax to the intake service; its refusals become errors on the form."""
    data = form.cleaned_data
    try:
        return clerk_fax_log(
            clerk=clerk,
            precinct=form.precinct,
            submission=data["submission"],
            scan=IncomingFile(data["scan"].name, data["scan"].content),
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


@role_required(Role.CLERK)
def clerk_log_page(request):
    """Who: clerks; the faxes each logged at their own precinct."""
    if request.user.precinct is None:
        return render(request, "detainers/clerk_log.html", {"precinct": None})
    search = ClerkLogFilterForm(request.GET or None)
    terms = search.cleaned_data if search.is_valid() else {}
    faxes = clerk_log(
        clerk=request.user,
        receipt=terms.get("receipt", ""),
        received_on=terms.get("received_on"),
    )
    if search.errors:  # a receipt number mistyped finds nothing rather than everything
        faxes = faxes.none()
    page = Paginator(faxes, CLERK_LOG_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "precinct": request.user.precinct,
        "search": search,
        "searched": bool(terms.get("receipt") or terms.get("received_on")),
        "page": page,
    }
    return render(request, "detainers/clerk_log.html", context)
