"""The safety email outbox: write in the caller's transaction, send after commit, retry on failure.

An email is a row first. `queue` adds it inside the transaction that stores
what it reports (a red flag, an escalation), so either both exist or
neither. After commit the row is handed to the task worker; whoever sends
it first claims it with a conditional update (healthchecks' `sendalerts`
pattern), so a task and the sweep never send the same row twice. A failed
send leaves the row `failed` with its error and the time of the next
attempt; `cephalog safety-sweep` (every minute) retries due rows forever,
backing off to every 30 minutes. Nothing here ever raises into a request.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from functools import partial

from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from cephalog.accounts.models import Clinic
from cephalog.safety.models import EmailStatus, OutboundEmail, SafetyAlert

logger = logging.getLogger(__name__)

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


def _claim(email_id: int, now: dt.datetime) -> bool:
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


def deliver(email_id: int, *, now: dt.datetime | None = None) -> bool:
    """Try to send one email if it is due and unsent. True when it was sent now.

    Every exception from the mail backend is caught and stored on the row.
    """
    now = now or timezone.now()
    if not _claim(email_id, now):
        return False
    email = OutboundEmail.objects.get(pk=email_id)
    try:
        if not email.to:
            raise ValueError(NO_RECIPIENT)
        EmailMessage(subject=email.subject, body=email.body, to=list(email.to)).send()
    except Exception as error:  # any failure is stored on the row and retried
        message = f"{type(error).__name__}: {error}"[:300]
        logger.warning(
            "safety email %s not sent (attempt %s): %s", email.pk, email.attempts, message
        )
        OutboundEmail.objects.filter(pk=email.pk).update(
            status=EmailStatus.FAILED,
            last_error=message,
            next_attempt_at=now + retry_delay(email.attempts),
        )
        return False
    OutboundEmail.objects.filter(pk=email.pk).update(
        status=EmailStatus.SENT, sent_at=now, last_error=""
    )
    return True


@dataclass(frozen=True)
class DeliveryRun:
    sent: int
    failed: int


def deliver_due(*, now: dt.datetime | None = None, limit: int = 200) -> DeliveryRun:
    """Send every unsent email whose next attempt is due (the sweep's delivery step)."""
    now = now or timezone.now()
    ids = list(
        OutboundEmail.objects.filter(next_attempt_at__lte=now)
        .exclude(status=EmailStatus.SENT)
        .order_by("next_attempt_at", "id")
        .values_list("id", flat=True)[:limit]
    )
    sent = failed = 0
    for email_id in ids:
        if deliver(email_id, now=now):
            sent += 1
        elif OutboundEmail.objects.filter(pk=email_id, status=EmailStatus.FAILED).exists():
            failed += 1
    return DeliveryRun(sent=sent, failed=failed)
