"""Background work for the calendar, on Django's task framework (`cephalog worker` runs it).

Thin wrappers: the logic and the once-only argument are in cephalog.scheduling.reminders.
"""

from __future__ import annotations

from django.tasks import task
from django.utils import timezone

from cephalog.scheduling import reminders


@task()
def deliver_reminder(reminder_id: int) -> str:
    """Send one claimed reminder (enqueued by the sweep after its claim commits)."""
    return reminders.deliver(reminder_id)


@task()
def send_due_reminders() -> dict[str, int]:
    """The sweep as a task, for deployments that enqueue it instead of running the command."""
    return reminders.send_due_reminders(timezone.now()).as_dict()
