"""The MedWatch and Yellow Card exports of one adverse event (PDF and CSV)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.http import require_GET

from cephalog.accounts.access import CLINICAL_ROLES, staff_view
from cephalog.audit.actions import record
from cephalog.safety import medwatch, queries, yellow_card
from cephalog.safety.models import AdverseEvent
from cephalog.safety.views.clinic import _user


def _export_event(
    request: HttpRequest, event_id: int
) -> tuple[AdverseEvent, tuple[medwatch.Section, ...]]:
    event = queries.event_for(request.user, event_id)
    today = timezone.localdate()
    secs = medwatch.sections(event, reporter=_user(request), today=today)
    return event, secs


def _download(
    event: AdverseEvent, body: bytes | str, *, category: str, fmt: str, content_type: str
) -> HttpResponse:
    """Audit the export of one event's form, then hand it over as an attachment named
    `<category>-event-<id>.<fmt>` (underscores of the category become hyphens)."""
    record(
        action="export",
        category=category,
        patient=event.patient,
        object_ref=f"adverse_event:{event.pk}",
        detail={"format": fmt},
    )
    response = HttpResponse(body, content_type=content_type)
    stem = category.replace("_", "-")
    response["Content-Disposition"] = f'attachment; filename="{stem}-event-{event.pk}.{fmt}"'
    return response


_PDF = "application/pdf"
_CSV = "text/csv; charset=utf-8"


@require_GET
@staff_view(CLINICAL_ROLES)
def medwatch_pdf(request: HttpRequest, event_id: int) -> HttpResponse:
    event, secs = _export_event(request, event_id)
    pdf = medwatch.to_pdf(secs, event=event, today=timezone.localdate())
    return _download(event, pdf, category="medwatch", fmt="pdf", content_type=_PDF)


@require_GET
@staff_view(CLINICAL_ROLES)
def medwatch_csv(request: HttpRequest, event_id: int) -> HttpResponse:
    event, secs = _export_event(request, event_id)
    csv = medwatch.to_csv(secs)
    return _download(event, csv, category="medwatch", fmt="csv", content_type=_CSV)


def _yellow_card(request: HttpRequest, event_id: int) -> tuple[AdverseEvent, Any]:
    event = queries.event_for(request.user, event_id)
    return event, yellow_card.sections(event, reporter=_user(request), today=timezone.localdate())


@require_GET
@staff_view(CLINICAL_ROLES)
def yellow_card_pdf(request: HttpRequest, event_id: int) -> HttpResponse:
    event, secs = _yellow_card(request, event_id)
    pdf = medwatch.to_pdf(
        secs, event=event, today=timezone.localdate(), template="safety/yellow_card_pdf.html"
    )
    return _download(event, pdf, category="yellow_card", fmt="pdf", content_type=_PDF)


@require_GET
@staff_view(CLINICAL_ROLES)
def yellow_card_csv(request: HttpRequest, event_id: int) -> HttpResponse:
    event, secs = _yellow_card(request, event_id)
    # The MedWatch CSV code path (formula-neutralising writer: the exchange issue).
    csv = medwatch.to_csv(secs)
    return _download(event, csv, category="yellow_card", fmt="csv", content_type=_CSV)
