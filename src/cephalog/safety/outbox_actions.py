"""Every write of the safety email outbox (`OutboundEmail`), the steps of
`cephalog.safety.outbox`: `queue` (in the caller's transaction), `claim` (one sender
wins), `mark_failed` (retried with backoff) and `mark_sent`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from functools import partial

from django.db import transaction
from django.db.models import F

from cephalog.accounts.models import Clinic
from cephalog.safety.models import EmailStatus, OutboundEmail, SafetyAlert

#: Minutes to wait after the 1st, 2nd, ... failed attempt; the last value repeats.
RETRY_MINUTES = (1, 2, 5, 10, 30)
#: A row claimed by a sender that died is retried after this long.
CLAIM_LEASE = dt.timedelta(minutes=5)
NO_RECIPIENT = "no recipient: set the clinic's safety email address (Clinic.safety_email)"


def retry_delay(attempts: int) -> dt.timedelta:
    """The wait after `attempts` failed attempts (1 → 1 minute ... ≥5 → 30 minutes)."""
    index = min(max(attempts, 1), len(RETRY_MINUTES)) - 1
    return dt.timedelta(minutes=RETRY_MINUTES[index])


def _enqueue(email_id: int) -> None:
    # Imported late: the task module pulls in the task framework only when used.
    from cephalog.safety.tasks import deliver_email

    deliver_email.enqueue(email_id)


def queue(
    *,
    kind: str,
    to: Iterable[str],
    subject: str,
    body: str,
    clinic: Clinic | None,
    alert: SafetyAlert | None,
    now: dt.datetime,
) -> OutboundEmail:
    """Store an email in the current transaction; after commit, hand it to the worker.

    If handing over fails (no worker, task table unavailable), the row stays
    pending and the sweep sends it: `robust=True` keeps that failure out of
    the request.
    """
    recipients = sorted({a.strip().lower() for a in to if a and a.strip()})
    email = OutboundEmail(
        clinic=clinic,
        alert=alert,
        kind=kind,
        to=recipients,
        subject=subject[:200],
        body=body,
        status=EmailStatus.PENDING,
        created_at=now,
        next_attempt_at=now,
    )
    email.full_clean()
    email.save()
    transaction.on_commit(partial(_enqueue, email.pk), robust=True)
    return email


def claim(email_id: int, now: dt.datetime) -> bool:
    """pending/failed -> sending, attempts + 1: the one conditional UPDATE one sender wins."""
    return bool(
        OutboundEmail.objects.filter(pk=email_id, next_attempt_at__lte=now)
        .exclude(status=EmailStatus.SENT)
        .update(
            status=EmailStatus.SENDING,
            attempts=F("attempts") + 1,
            last_attempt_at=now,
            next_attempt_at=now + CLAIM_LEASE,
        )
    )


def mark_failed(email: OutboundEmail, message: str, now: dt.datetime) -> None:
    """The attempt failed: the error is kept and the next attempt backs off."""
    OutboundEmail.objects.filter(pk=email.pk).update(
        status=EmailStatus.FAILED,
        last_error=message,
        next_attempt_at=now + retry_delay(email.attempts),
    )


def mark_sent(email: OutboundEmail, now: dt.datetime) -> None:
    OutboundEmail.objects.filter(pk=email.pk).update(
        status=EmailStatus.SENT, sent_at=now, last_error=""
    )
