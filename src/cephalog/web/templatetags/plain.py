"""Plain words for patients (issue 16.7): relative times that read like speech; time zones
as places; the clinical rules' explanations with dates and names as people write them."""

from __future__ import annotations

import datetime as dt
import re

from django import template
from django.utils import timezone

from cephalog.accounts.time_zones import time_zone_label
from cephalog.core.time import written_dates

register = template.Library()


def _unit(count: int, word: str) -> str:
    return f"{count} {word}" + ("" if count == 1 else "s")


def ago(value: dt.datetime | None, now: dt.datetime | None = None) -> str:
    """ "just now", "5 minutes ago", "2 hours ago", "yesterday", "3 days ago", "on 4 May":
    never "0 minutes ago", one unit only (not "2 hours, 3 minutes"). A time ahead of
    `now` (a clock a little off) is "just now"."""
    if value is None:
        return ""
    now = now or timezone.now()
    seconds = (now - value).total_seconds()
    if seconds < 60:
        return "just now"
    minutes = int(seconds // 60)
    if minutes < 60:
        return _unit(minutes, "minute") + " ago"
    hours = minutes // 60
    if hours < 24:
        return _unit(hours, "hour") + " ago"
    local_now, local_then = timezone.localtime(now), timezone.localtime(value)
    days = (local_now.date() - local_then.date()).days
    if days <= 1:
        return "yesterday"
    if days < 7:
        return f"{days} days ago"
    when = local_then.date()
    return f"on {when.day} {when:%B}" + ("" if when.year == local_now.year else f" {when.year}")


register.filter("ago", ago)
#: "Europe/London" as "London (UK)": the value is the IANA name, the words are a place.
register.filter("time_zone", time_zone_label)


_ICHD3 = re.compile(r"\bichd3\b")


def written(value: object) -> str:
    """The clinical rules' words as staff read them on a page. The rules (and `cephalog
    assess`'s output, which keeps them) name dates as ISO text ("the windows from
    2025-11-21 to 2025-12-18") and the ICHD-3 day definition by its key, "ichd3"; here
    they read "21 Nov 2025 to 18 Dec 2025", as the dates beside them, and "ICHD-3"."""
    text = str(getattr(value, "value", value) if value is not None else "")
    return _ICHD3.sub("ICHD-3", written_dates(text))


register.filter("written", written)
