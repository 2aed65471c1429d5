"""Storing check-ins and adverse events as another system recorded them (a FHIR import).

The safety actions (`cephalog.safety.actions`) take a report happening now: a red flag
raises an alert and emails the clinic. An imported report already happened (and was
acted on where it came from), so it has its own actions: the row is checked by its model
(`full_clean`), saved and audited in one step, and no alert is raised again. Who may
import is checked by the importer (`cephalog.interop.fhir_import.import_bundle`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction

from cephalog.core.writes import save_audited
from cephalog.safety.models import AdverseEvent, CheckIn


def import_checkin(*, checkin: CheckIn, by: Any) -> CheckIn:
    """Store an imported side-effect check-in (unsaved, with its patient)."""
    return save_audited(
        checkin, action="import", category="checkin", patient=checkin.patient, user=by
    )


@transaction.atomic
def import_adverse_event(
    *, event: AdverseEvent, by: Any, reported_at: dt.datetime | None = None
) -> AdverseEvent:
    """Store an imported adverse event (unsaved, with its patient). It keeps the source's
    report time `reported_at` when given (the field is `auto_now_add`, so it is set after
    the save)."""
    save_audited(event, action="import", category="adverse_event", patient=event.patient, user=by)
    if reported_at is not None:
        AdverseEvent.objects.filter(pk=event.pk).update(reported_at=reported_at)
        event.reported_at = reported_at
    return event
