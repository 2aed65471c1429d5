"""Whether the clinic has established the patient's chronic migraine.

Nothing stores a diagnosis as such: the patient's record holds the migraine history
the clinic enters (aura, chronic headache since, intractable...) from the day she is
added, before any screening. The diagnosis is established by the clinic's own acts:
a physician's decision to start treatment on the eligibility screening
(eligibility.StartDecision), or a treatment given (a completed session, which is how
imported histories arrive). Until then the summary she downloads states no diagnosis
and the FHIR Condition is only `provisional`.
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef

from cephalog.eligibility.models import StartDecision
from cephalog.patients.models import Patient
from cephalog.treatment.models import Session, SessionStatus


def chronic_migraine_established(patient: Patient) -> bool:
    """A physician decided to start treatment, or a treatment was given (one query)."""
    return (
        Patient.objects.filter(pk=patient.pk)
        .filter(
            Exists(StartDecision.objects.filter(patient=OuterRef("pk")))
            | Exists(Session.objects.filter(patient=OuterRef("pk"), status=SessionStatus.COMPLETED))
        )
        .exists()
    )
