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


@require_GET
@staff_view(CLINICAL_ROLES)
def medwatch_pdf(request: HttpRequest, event_id: int) -> HttpResponse:
    event, secs = _export_event(request, event_id)
    pdf = medwatch.to_pdf(secs, event=event, today=timezone.localdate())
    record(
        action="export",
        category="medwatch",
        patient=event.patient,
        object_ref=f"adverse_event:{event.pk}",
        detail={"format": "pdf"},
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="medwatch-event-{event.pk}.pdf"'
    return response


@require_GET
@staff_view(CLINICAL_ROLES)
def medwatch_csv(request: HttpRequest, event_id: int) -> HttpResponse:
    event, secs = _export_event(request, event_id)
    record(
        action="export",
        category="medwatch",
        patient=event.patient,
        object_ref=f"adverse_event:{event.pk}",
        detail={"format": "csv"},
    )
    response = HttpResponse(medwatch.to_csv(secs), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="medwatch-event-{event.pk}.csv"'
    return response


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
    record(
        action="export",
        category="yellow_card",
        patient=event.patient,
        object_ref=f"adverse_event:{event.pk}",
        detail={"format": "pdf"},
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="yellow-card-event-{event.pk}.pdf"'
    return response


@require_GET
@staff_view(CLINICAL_ROLES)
def yellow_card_csv(request: HttpRequest, event_id: int) -> HttpResponse:
    event, secs = _yellow_card(request, event_id)
    record(
        action="export",
        category="yellow_card",
        patient=event.patient,
        object_ref=f"adverse_event:{event.pk}",
        detail={"format": "csv"},
    )
    # The MedWatch CSV code path (formula-neutralising writer: the exchange issue).
    response = HttpResponse(medwatch.to_csv(secs), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="yellow-card-event-{event.pk}.csv"'
    return response
