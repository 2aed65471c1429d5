"""Claim, retry and finish the row of a background job: the one loop the safety outbox,
the reminders and the FHIR bulk export share (issue 20.2).

A job is a row with a `status`. A worker claims it with one conditional UPDATE
(healthchecks' `sendalerts` pattern): the row moves from a waiting state to the running
state only if it is still claimable, so of two workers (or a task and a sweep) exactly one
wins; on PostgreSQL the second waits for the first's row lock and then finds the row no
longer claimable, on SQLite writes are serialised. Only the winner attempts the work.
The attempt ends in one of:

- `finish`: done (or another final state the job names, e.g. `skipped`);
- `fail`: `failed` with the error, and the next attempt is scheduled after a backoff
  (`Retry.waits`, the last wait repeating: the cap) until `Retry.max_attempts` attempts
  have been made. A row that gave up stays `failed`, with its attempts and error for
  staff to see (its due time is its last attempt's); it is never claimed again.

A worker that dies mid-attempt leaves the row running: after the job's `lease` it is
claimable again. Each outcome is written only by the attempt that holds the claim (its
claim time is on the row), so a worker that outlived its lease cannot overwrite the
attempt that took over from it. Audit rows are the job's business (each writes them as
before, in its actions module); nothing here reads or logs the row's content.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db import models
from django.db.models import F, Q


def exponential(
    first: dt.timedelta, cap: dt.timedelta, factor: int = 2
) -> tuple[dt.timedelta, ...]:
    """Waits growing by `factor` from `first` up to `cap` (the last, repeating)."""
    if first <= dt.timedelta(0) or cap < first or factor < 2:
        raise ValueError("exponential backoff needs 0 < first <= cap and factor >= 2")
    waits = [first]
    while waits[-1] * factor < cap:
        waits.append(waits[-1] * factor)
    return (*waits, cap) if waits[-1] < cap else tuple(waits)


@dataclass(frozen=True)
class Retry:
    """When a failed attempt is tried again, and when to stop trying."""

    #: The wait after the 1st, 2nd, ... failed attempt; the last one repeats (the cap).
    #: Empty: a failed row is claimable again at once (the sweep's period is the wait).
    waits: tuple[dt.timedelta, ...] = ()
    #: Attempts after which a failed row is left failed for good; None: retried forever.
    max_attempts: int | None = None

    def wait(self, attempts: int) -> dt.timedelta:
        """The wait after `attempts` failed attempts."""
        if not self.waits:
            return dt.timedelta(0)
        return self.waits[min(max(attempts, 1), len(self.waits)) - 1]

    def gives_up(self, attempts: int) -> bool:
        return self.max_attempts is not None and attempts >= self.max_attempts


#: A job whose failure is final (the first attempt is the only one).
NO_RETRY = Retry(max_attempts=1)


@dataclass(frozen=True)
class Job[M: models.Model]:
    """How one model's rows are claimed, retried and finished: its states and fields."""

    model: type[M]
    #: Fields set to the claim's time. The first tells whose claim the row is under and
    #: starts its lease.
    stamps: tuple[str, ...]
    #: The states: waiting for an attempt, in one, ended well, ended badly.
    pending: str = "pending"
    running: str = "running"
    done: str = "done"
    failed: str = "failed"
    #: A running row claimed longer ago than this is presumed abandoned and claimable
    #: again; None: never (a row left running stays so).
    lease: dt.timedelta | None = None
    retry: Retry = field(default_factory=Retry)
    #: The field with the time a waiting row becomes due (the backoff is written there);
    #: None: a waiting row is due at once.
    due: str | None = None
    #: The field counting attempts; None: not counted (only with a single attempt).
    attempts: str | None = "attempts"
    #: The field that keeps the last error (cut to its length).
    error: str = "last_error"

    def __post_init__(self) -> None:
        if self.attempts is None and self.retry.max_attempts not in (None, 1):
            raise ValueError("a job that gives up after several attempts must count them")

    def gave_up(self, row: M) -> bool:
        """True when `row` failed and will not be attempted again (for staff to see)."""
        if getattr(row, "status", None) != self.failed:
            return False
        if self.retry.max_attempts == 1:
            return True
        return self.attempts is not None and self.retry.gives_up(getattr(row, self.attempts))

    @property
    def waiting(self) -> tuple[str, ...]:
        """The states a row is claimed from: pending, and failed unless failing is final."""
        return (self.pending,) if self.retry.max_attempts == 1 else (self.pending, self.failed)

    def claimable(self, now: dt.datetime) -> Q:
        """Rows an attempt may start on at `now`: waiting and due (and not given up), or
        running under a claim whose lease is over."""
        waiting = Q(status__in=self.waiting)
        if self.retry.max_attempts is not None and self.attempts is not None:
            waiting &= Q(**{f"{self.attempts}__lt": self.retry.max_attempts})
        if self.due is not None:
            waiting &= Q(**{f"{self.due}__lte": now})
        if self.lease is None:
            return waiting
        return waiting | Q(status=self.running, **{f"{self.stamps[0]}__lte": now - self.lease})

    def due_rows(self, now: dt.datetime) -> models.QuerySet[M]:
        """The rows a sweep would attempt at `now`."""
        return self.model._default_manager.filter(self.claimable(now))

    def claim(self, pk: Any, now: dt.datetime, *, also: Q | None = None) -> bool:
        """Claim row `pk` for one attempt starting at `now` (and matching `also`): True for
        the one caller that wins it. The attempt then ends with `finish` or `fail`, given
        the same `now`."""
        values: dict[str, Any] = {"status": self.running}
        values.update(dict.fromkeys(self.stamps, now))
        if self.attempts is not None:
            values[self.attempts] = F(self.attempts) + 1
        if self.due is not None and self.lease is not None:
            values[self.due] = now + self.lease  # when it is tried again if this worker dies
        rows = self.model._default_manager.filter(self.claimable(now), pk=pk)
        if also is not None:
            rows = rows.filter(also)
        return bool(rows.update(**values))

    def _mine(self, pk: Any, claimed_at: dt.datetime) -> models.QuerySet[M]:
        """The row while it is under the claim made at `claimed_at` (no later claim)."""
        return self.model._default_manager.filter(pk=pk, **{self.stamps[0]: claimed_at})

    def finish(
        self, pk: Any, claimed_at: dt.datetime, *, status: str | None = None, **values: Any
    ) -> bool:
        """End the attempt claimed at `claimed_at` in `status` (default: done), with
        `values`. False if another attempt has claimed the row since."""
        return bool(self._mine(pk, claimed_at).update(status=status or self.done, **values))

    def fail(self, row: M, claimed_at: dt.datetime, error: str, **values: Any) -> bool:
        """End the attempt claimed at `claimed_at` as failed, keeping `error`: the next
        attempt is due after the backoff, unless this was the last one. `row` is the row
        as read after the claim (its attempt count). False if another attempt has claimed
        the row since."""
        length = getattr(self.model._meta.get_field(self.error), "max_length", None)
        values[self.error] = error[:length] if length else error
        attempts = getattr(row, self.attempts) if self.attempts is not None else 1
        if self.due is not None:  # the last attempt's time once it gives up: none is next
            gives_up = self.retry.gives_up(attempts)
            values[self.due] = claimed_at + (
                dt.timedelta(0) if gives_up else self.retry.wait(attempts)
            )
        return bool(self._mine(row.pk, claimed_at).update(status=self.failed, **values))
