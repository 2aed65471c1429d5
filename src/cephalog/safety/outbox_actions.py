"""Every write of the safety email outbox (`OutboundEmail`), the steps of
`cephalog.safety.outbox`: `queue` (in the caller's transaction), then the sending job
`JOB` (`cephalog.core.jobs`): claimed by one sender, retried with backoff forever.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from functools import partial

from django.db import transaction

from cephalog.accounts.models import Clinic
from cephalog.core.jobs import Job, Retry
from cephalog.safety.models import EmailStatus, OutboundEmail, SafetyAlert

#: Minutes to wait after the 1st, 2nd, ... failed attempt; the last value repeats.
RETRY_MINUTES = (1, 2, 5, 10, 30)
#: A row claimed by a sender that died is retried after this long.
CLAIM_LEASE = dt.timedelta(minutes=5)
NO_RECIPIENT = "no recipient: set the clinic's safety email address (Clinic.safety_email)"

#: Sending one email: pending/failed -> sending (attempts + 1) -> sent, or failed with the
#: error and the next attempt due after RETRY_MINUTES; never given up (a safety email).
JOB = Job(
    OutboundEmail,
    ("last_attempt_at",),
    running=EmailStatus.SENDING,
    done=EmailStatus.SENT,
    lease=CLAIM_LEASE,
    retry=Retry(waits=tuple(dt.timedelta(minutes=m) for m in RETRY_MINUTES)),
    due="next_attempt_at",
)
#: The wait after `attempts` failed attempts (1 → 1 minute ... ≥5 → 30 minutes).
retry_delay = JOB.retry.wait


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
