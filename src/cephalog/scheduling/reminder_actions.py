"""Every write of the reminder claim rows (`ReminderSent`): the steps of
`cephalog.scheduling.reminders` ("Once only" there), each one conditional statement.

- `claim`: insert the row for a new key (unique: once, ever), enqueue after commit;
- `expire`: rows past `expires_at` become `skipped`;
- `requeue`: a failed, lost or abandoned row is enqueued again;
- `claim_for_sending`: pending/failed -> sending, attempts + 1 (one caller wins);
- `mark_sent`: the email went out (audited); a skip or a failure ends the attempt
  through `JOB` directly.

Sending is a job of `cephalog.core.jobs` (`JOB`): claimed by one caller, retried on the
next sweep, given up after MAX_ATTEMPTS, reclaimed after LEASE if its worker died.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet

from cephalog.audit.actions import record
from cephalog.core.jobs import Job, Retry
from cephalog.scheduling.models import ReminderSent, ReminderStatus

if TYPE_CHECKING:
    from cephalog.scheduling.reminders import Candidate

#: A claim older than this is presumed abandoned (far longer than the SMTP timeout).
LEASE = dt.timedelta(minutes=10)
#: Attempts before a failed reminder is left for staff to see.
MAX_ATTEMPTS = 5
#: Sending one reminder: no wait between attempts (the sweep's period is the wait).
JOB = Job(
    ReminderSent,
    ("claimed_at", "last_attempt_at"),
    running=ReminderStatus.SENDING,
    done=ReminderStatus.SENT,
    lease=LEASE,
    retry=Retry(max_attempts=MAX_ATTEMPTS),
)


def enqueue(reminder_id: int) -> None:
    from cephalog.scheduling.tasks import deliver_reminder

    deliver_reminder.enqueue(reminder_id)


def claim(
    candidate: Candidate, now: dt.datetime, then: Callable[[int], object] | None = None
) -> ReminderSent | None:
    """Insert the claim row; None if this key was claimed before (by anyone, ever)."""
    then = then or enqueue
    try:
        with transaction.atomic():
            reminder = ReminderSent.objects.create(
                key=candidate.key,
                kind=candidate.kind,
                patient=candidate.patient,
                appointment=candidate.appointment,
                for_date=candidate.for_date,
                expires_at=candidate.expires_at,
                created_at=now,
                enqueued_at=now,
            )
            transaction.on_commit(functools.partial(then, reminder.pk))
    except IntegrityError:
        return None
    return reminder


def expire(now: dt.datetime) -> int:
    """Rows past their `expires_at` that were not sent become `skipped`; how many."""
    return ReminderSent.objects.filter(
        Q(status__in=[ReminderStatus.PENDING, ReminderStatus.FAILED])
        | Q(status=ReminderStatus.SENDING, claimed_at__lt=now - LEASE),
        expires_at__lte=now,
    ).update(status=ReminderStatus.SKIPPED, last_error="Too late to send")


def requeue(
    retry: QuerySet[ReminderSent], reminder_id: int, now: dt.datetime, then: Callable[[int], Any]
) -> bool:
    """Enqueue `reminder_id` again if it is still one of `retry`; True when it was."""
    with transaction.atomic():
        if retry.filter(pk=reminder_id).update(enqueued_at=now):
            transaction.on_commit(functools.partial(then, reminder_id))
            return True
    return False


def claim_for_sending(reminder_id: int, now: dt.datetime) -> bool:
    """The one conditional UPDATE that lets one caller send `reminder_id` (before it expires)."""
    return JOB.claim(reminder_id, now, also=Q(expires_at__gt=now))


@transaction.atomic
def mark_sent(reminder: ReminderSent, now: dt.datetime) -> None:
    """The email went out: the row is `sent` and the audit trail says so."""
    JOB.finish(reminder.pk, now, sent_at=now, last_error="")
    record(
        action="create",
        category="reminder",
        patient=reminder.patient,
        object_ref=f"reminder:{reminder.pk}",
        detail={"kind": reminder.kind, "attempt": reminder.attempts},
    )
