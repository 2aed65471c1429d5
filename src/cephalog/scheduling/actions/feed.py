"""Calendar feed tokens: issue and revoke."""

from __future__ import annotations

import base64
import hashlib
import secrets
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac

from cephalog.accounts.models import Clinic
from cephalog.audit.actions import record
from cephalog.core.writes import save_recorded
from cephalog.patients.models import Patient
from cephalog.scheduling.models import (
    CalendarFeedToken,
)

_FEED_SALT = "cephalog.scheduling.calendar-feed"


def feed_token_value(token: CalendarFeedToken) -> str:
    """The secret in the feed address: HMAC(SECRET_KEY, seed), 43 URL-safe characters."""
    digest = salted_hmac(_FEED_SALT, token.seed, algorithm="sha256").digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def hash_token(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def _revoke_live(qs: Any, by: Any) -> int:
    return int(
        qs.filter(revoked_at__isnull=True).update(
            revoked_at=timezone.now(), revoked_by=by if getattr(by, "pk", None) else None
        )
    )


@transaction.atomic
def issue_feed_token(
    *, by: Any, patient: Patient | None = None, clinic: Clinic | None = None
) -> CalendarFeedToken:
    """A new secret feed address for a patient, or for a clinic held by `by` (each member of
    staff has their own); the previous one (of that patient, or of `by` for that clinic)
    stops working."""
    if (patient is None) == (clinic is None):
        raise ValueError("issue_feed_token: give a patient or a clinic")
    owner: dict[str, Any] = {"patient": patient} if patient else {"clinic": clinic, "holder": by}
    # Lock the owner so two renewals at once cannot both find no live token.
    if patient is not None:
        Patient.objects.select_for_update().only("pk").get(pk=patient.pk)
    else:
        Clinic.objects.select_for_update().only("pk").get(pk=clinic.pk)  # type: ignore[union-attr]
    replaced = _revoke_live(CalendarFeedToken.objects.filter(**owner), by)
    token = CalendarFeedToken(seed=secrets.token_urlsafe(32), **owner)
    token.token_hash = hash_token(feed_token_value(token))
    token.created_by = by if getattr(by, "pk", None) else None
    return save_recorded(
        token,
        action="create",
        category="calendar_feed",
        ref="feed",
        patient=patient,
        clinic_id=clinic.pk if clinic else None,
        user=by,
        detail={"replaced": replaced},
        clean=None,
    )


@transaction.atomic
def revoke_feed_token(
    *, by: Any, patient: Patient | None = None, clinic: Clinic | None = None
) -> int:
    """Stop the live feed address of a patient, or `by`'s own for a clinic; returns how many
    were revoked."""
    if (patient is None) == (clinic is None):
        raise ValueError("revoke_feed_token: give a patient or a clinic")
    owner: dict[str, Any] = {"patient": patient} if patient else {"clinic": clinic, "holder": by}
    revoked = _revoke_live(CalendarFeedToken.objects.filter(**owner), by)
    if revoked or clinic is not None:  # a member of staff stopping their own link: always
        record(
            action="delete",
            category="calendar_feed",
            patient=patient,
            clinic_id=clinic.pk if clinic else None,
            user=by,
            detail={"revoked": revoked},
        )
    return revoked
