"""What to expect, in plain language (clinical-reference §6, §7, §2.3, §2.8)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from cephalog.domain.intervals import (
    IntervalRule,
)
from cephalog.domain.schedule.dates import _sorted_unique, format_date
from cephalog.domain.schedule.events import _D


def what_to_expect(
    today: dt.date, sessions: Sequence[dt.date], rule: IntervalRule | None = None
) -> list[str]:
    """A plain-language timeline for the patient (clinical-reference §6, §7, §2.3, §2.8; what-users-want §4–5).

    Sessions after `today` are ignored (they are plans, not treatments). The
    interval is stated from `rule` (the clinic's and the policy's numbers,
    `intervals.IntervalRule`), never as a fixed "12 weeks, not sooner".
    """
    rule = rule or IntervalRule()
    done = [d for d in _sorted_unique(sessions, "sessions") if d <= today]
    n = len(done)
    lines = [
        "This treatment prevents headaches over time. It does not stop a headache that has "
        "already started, and you should not expect relief straight away."
    ]
    soreness = (
        "After a treatment you may have soreness, redness or a slight headache where the "
        "injections went in, for a few hours."
    )
    if n == 0:
        lines += [
            soreness,
            "Many people notice an improvement about two weeks after their second treatment. "
            "The full effect often comes only after the second or third treatment.",
            f"{rule.rule_sentence()} Doses given too often can make your body produce "
            "antibodies that stop the medicine working.",
        ]
    else:
        lines += _after_treatment(today, done, rule, soreness)
    lines.append(
        "Get emergency help straight away if you have trouble swallowing, speaking or "
        "breathing, at any time in the weeks after a treatment."
    )
    return lines


def _after_treatment(
    today: dt.date, done: Sequence[dt.date], rule: IntervalRule, soreness: str
) -> list[str]:
    """What to expect once the patient has had treatments (`done`, sorted)."""
    n = len(done)
    lines: list[str] = []
    last = done[-1]
    days = (today - last).days
    if days <= 1:
        lines.append(soreness)
    if n == 1:
        lines.append(
            "After the first treatment a big change is not expected yet: improvement is "
            "often noticed about two weeks after the second treatment."
        )
    elif n == 2:
        improve = last + _D(days=14)
        if today < improve:
            lines.append(
                "Many people notice an improvement about two weeks after their second "
                f"treatment, around {format_date(improve)}."
            )
        else:
            lines.append(
                "Many people notice an improvement from about two weeks after their second "
                "treatment. The full effect often comes after the second or third treatment."
            )
    else:
        lines.append(
            f"You have had {n} treatments. The full effect usually shows after the second or "
            "third, so your diary now shows how well it works for you."
        )
    if n in (2, 3):
        lines.append(
            "At the end of this 12-week cycle the clinic will look at your diary with you "
            "and decide together whether to continue."
        )
    if days >= 56:
        lines.append(
            "Some people notice the effect wearing off in the last weeks before the next "
            "treatment. Keep filling in your diary so the clinic can see it."
        )
    lines.append(
        f"Your next treatment is due around {format_date(rule.due_on(last))}. "
        f"{rule.rule_sentence()} Doses given too often can make your body produce "
        "antibodies that stop the medicine working."
    )
    return lines
