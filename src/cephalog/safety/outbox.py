"""The safety email outbox: write in the caller's transaction, send after commit, retry on failure.

An email is a row first. `queue` adds it inside the transaction that stores
what it reports (a red flag, an escalation), so either both exist or
neither. After commit the row is handed to the task worker; whoever sends
it first claims it (`cephalog.core.jobs`: one conditional update), so a task
and the sweep never send the same row twice. A failed send leaves the row
`failed` with its error and the time of the next attempt; `cephalog
safety-sweep` (every minute) retries due rows forever, backing off to every
30 minutes. Nothing here ever raises into a request.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from django.core.mail import EmailMessage
from django.utils import timezone

from cephalog.safety import outbox_actions
from cephalog.safety.models import EmailStatus, OutboundEmail

logger = logging.getLogger(__name__)

# The rows' writes: `queue` in outbox_actions, the sending job's steps through its JOB.
RETRY_MINUTES = outbox_actions.RETRY_MINUTES
CLAIM_LEASE = outbox_actions.CLAIM_LEASE
NO_RECIPIENT = outbox_actions.NO_RECIPIENT
retry_delay = outbox_actions.retry_delay
queue = outbox_actions.queue


def deliver(email_id: int, *, now: dt.datetime | None = None) -> bool:
    """Try to send one email if it is due and unsent. True when it was sent now.

    Every exception from the mail backend is caught and stored on the row.
    """
    now = now or timezone.now()
    if not outbox_actions.JOB.claim(email_id, now):
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
        outbox_actions.JOB.fail(email, now, message)
        return False
    outbox_actions.JOB.finish(email_id, now, sent_at=now, last_error="")
    return True


@dataclass(frozen=True)
class DeliveryRun:
    sent: int
    failed: int


def deliver_due(*, now: dt.datetime | None = None, limit: int = 200) -> DeliveryRun:
    """Send every unsent email whose next attempt is due (the sweep's delivery step)."""
    now = now or timezone.now()
    ids = list(
        outbox_actions.JOB.due_rows(now)
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
