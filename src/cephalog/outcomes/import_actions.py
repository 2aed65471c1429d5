"""Storing questionnaires and bridging treatments as another system recorded them (a FHIR
import).

The outcomes actions (`cephalog.outcomes.actions`) take a response or a treatment
entered now, by someone whose role and source they check, on a date not in the future,
with staff named as who entered it. An imported one was entered where it came from, so
it has its own actions: the row is checked by its model (`full_clean`), saved and audited in one
step. Who may import is checked by the importer
(`cephalog.interop.fhir_import.import_bundle`).
"""

from __future__ import annotations

from typing import Any

from cephalog.core.writes import save_audited
from cephalog.outcomes.models import BridgingTreatment, QuestionnaireResponse


def import_questionnaire(*, response: QuestionnaireResponse, by: Any) -> QuestionnaireResponse:
    """Store an imported, scored questionnaire response (unsaved, with its patient); a
    patient's own response has no `entered_by`."""
    return save_audited(
        response,
        action="import",
        category="questionnaire",
        patient=response.patient,
        user=by,
        # entered_by is null for a patient's own response (null=True, blank=False).
        exclude=["entered_by"],
    )


def import_bridging(*, treatment: BridgingTreatment, by: Any) -> BridgingTreatment:
    """Store an imported bridging treatment (unsaved, with its patient)."""
    return save_audited(
        treatment,
        action="import",
        category="bridging_treatment",
        patient=treatment.patient,
        user=by,
    )
