"""A safety email whose sender died after claiming it is sent by the sweep once the claim's
lease is over, and not before (the outbox on cephalog.core.jobs, issue 20.2)."""

from __future__ import annotations

import datetime as dt

from django.core import mail

from cephalog.safety import outbox, outbox_actions
from cephalog.safety.models import EmailKind, EmailStatus, OutboundEmail
from tests.personas import Cast


def test_an_email_claimed_by_a_sender_that_died_is_sent_after_the_lease(
    cast: Cast, now: dt.datetime
) -> None:
    email = outbox.queue(
        kind=EmailKind.RED_FLAG,
        to=["safety@leeds.example.org"],
        subject="RED FLAG",
        body="An alert is waiting.",
        clinic=cast.clinic,
        alert=None,
        now=now,
    )
    assert outbox_actions.JOB.claim(email.pk, now)  # claimed, then the worker was killed
    run = outbox.deliver_due(now=now + outbox.CLAIM_LEASE - dt.timedelta(seconds=1))
    assert (run.sent, run.failed, mail.outbox) == (0, 0, [])
    assert not outbox.deliver(email.pk, now=now + dt.timedelta(minutes=1))  # still claimed
    run = outbox.deliver_due(now=now + outbox.CLAIM_LEASE)
    assert (run.sent, run.failed) == (1, 0)
    email = OutboundEmail.objects.get(pk=email.pk)
    assert (email.status, email.attempts) == (EmailStatus.SENT, 2)
    assert len(mail.outbox) == 1
    # Sent: the sweep never picks it again.
    assert outbox.deliver_due(now=now + dt.timedelta(days=1)).sent == 0
    assert len(mail.outbox) == 1
