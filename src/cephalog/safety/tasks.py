"""Background work for safety emails: thin wrappers over cephalog.safety.outbox."""

from __future__ import annotations

from django.tasks import task

from cephalog.safety import outbox


@task
def deliver_email(email_id: int) -> bool:
    """Send one queued safety email (enqueued on commit by outbox.queue)."""
    return outbox.deliver(email_id)
