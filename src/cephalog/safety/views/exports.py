"""The MedWatch and Yellow Card exports of one adverse event (PDF and CSV)."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.utils import timezone
from django.views.decorators.http import require_GET

from cephalog.accounts.access import CLINICAL_ROLES, staff_view
from cephalog.audit.actions import record
from cephalog.safety import medwatch, queries, yellow_card
from cephalog.safety.models import AdverseEvent
from cephalog.safety.views.clinic import _user

_Sections = Callable[..., tuple[medwatch.Section, ...]]

#: Each form: its fields for one event, and the PDF's template.
_FORMS: dict[str, tuple[_Sections, str]] = {
    "medwatch": (medwatch.sections, "safety/medwatch_pdf.html"),
    "yellow_card": (yellow_card.sections, "safety/yellow_card_pdf.html"),
}
_CONTENT_TYPES = {"pdf": "application/pdf", "csv": "text/csv; charset=utf-8"}


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


def _export_view(category: str, fmt: str) -> Callable[..., HttpResponseBase]:
    """The view that downloads one event's form (`_FORMS`) as a PDF or a CSV."""
    sections, template = _FORMS[category]

    @require_GET
    @staff_view(CLINICAL_ROLES)
    def export(request: HttpRequest, event_id: int) -> HttpResponse:
        event = queries.event_for(request.user, event_id)
        today = timezone.localdate()
        secs = sections(event, reporter=_user(request), today=today)
        # Both forms' CSV take the MedWatch code path (its formula-neutralising writer).
        body = (
            medwatch.to_pdf(secs, event=event, today=today, template=template)
            if fmt == "pdf"
            else medwatch.to_csv(secs)
        )
        return _download(event, body, category=category, fmt=fmt, content_type=_CONTENT_TYPES[fmt])

    return export


medwatch_pdf = _export_view("medwatch", "pdf")
medwatch_csv = _export_view("medwatch", "csv")
yellow_card_pdf = _export_view("yellow_card", "pdf")
yellow_card_csv = _export_view("yellow_card", "csv")
