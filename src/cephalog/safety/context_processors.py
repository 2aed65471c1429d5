"""The red-flag banner on every staff page, the check-in prompt on patient pages, and the
clinic's numbers to call for patient pages outside this app (treatment sits below safety).

Both are lazy: nothing is queried unless base.html renders the banner, and a
failure to load never breaks the page (the banner then says so instead).
"""

from __future__ import annotations

import logging
from functools import cached_property
from typing import Any

from django.http import HttpRequest

from cephalog.accounts.mfa import past_second_factor
from cephalog.accounts.models import User
from cephalog.core.time import patient_today
from cephalog.patients.models import Patient
from cephalog.safety import queries
from cephalog.safety.models import SafetyAlert

logger = logging.getLogger(__name__)


class SafetyBanner:
    def __init__(self, request: HttpRequest) -> None:
        self._user = getattr(request, "user", None)

    @cached_property
    def alerts(self) -> list[SafetyAlert]:
        try:
            return queries.open_alerts_for(self._user)
        except Exception:  # the page must render; the banner says the alerts did not load
            logger.exception("open safety alerts could not be loaded")
            self.failed = True
            return []

    failed = False

    @cached_property
    def patient(self) -> Patient | None:
        if self._user is not None and User.patient.is_cached(self._user):
            loaded: Patient = self._user.patient  # by the page (accounts.access.patient_only)
            return loaded
        try:
            return Patient.objects.filter(user=self._user).first()
        except Exception:
            logger.exception("patient could not be loaded for the safety prompt")
            return None

    @cached_property
    def due_checkin(self) -> queries.DueCheckIn | None:
        """The patient's open check-in, for a prompt on their pages."""
        if self.patient is None:
            return None
        try:
            return queries.due_checkin(self.patient, patient_today(self.patient))
        except Exception:
            logger.exception("due check-in could not be loaded")
            return None

    @cached_property
    def call_numbers(self) -> queries.CallNumbers | None:
        """The patient's clinic's numbers, for pages of other apps that tell her to call."""
        return None if self.patient is None else queries.call_numbers(self.patient)


def safety(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not past_second_factor(user):
        return {}  # nothing about patients before the second factor (issue 18.2)
    return {"safety_banner": SafetyBanner(request)}
