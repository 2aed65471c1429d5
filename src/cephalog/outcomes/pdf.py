"""The one-page cycle summary and the renewal letter: context and PDF rendering.

PDFs are rendered by WeasyPrint from our own HTML with a URL fetcher that
refuses everything but `data:` URIs: no network, no file system, so nothing
in a record can make the server fetch a resource.
"""

from __future__ import annotations

from typing import Any

from django.template.loader import render_to_string

from cephalog.accounts.access import role_in
from cephalog.accounts.models import Role, User
from cephalog.accounts.rules_queries import earliest_interval_days
from cephalog.core.pdf import html_to_pdf
from cephalog.domain.policies import POLICIES
from cephalog.domain.schedule import format_date
from cephalog.outcomes import charts
from cephalog.outcomes.queries import (
    REASON_LABELS,
    RECOMMENDATION_LABELS,
    CycleSummary,
    band_label,
    decision_title,
    interval_rule,
)


def render_pdf(template: str, context: dict[str, Any]) -> bytes:
    html = render_to_string(template, context)
    return html_to_pdf(html)


def _questionnaire(pair: tuple[Any, Any]) -> dict[str, Any] | None:
    first, latest = pair
    if first is None:
        return None
    out: dict[str, Any] = {
        "first": first,
        "first_label": band_label(first.instrument, first.band),
        "latest": latest,
        "latest_label": band_label(latest.instrument, latest.band) if latest else "",
        "change": None if latest is None else latest.total - first.total,
    }
    return out


def _signer(summary: CycleSummary, user: User) -> str:
    """The physician who took the latest decision, else the user if a physician, else blank."""
    physician = summary.decision.decided_by if summary.decision else None
    if physician is None and role_in(user, summary.outcomes.patient.clinic) == Role.PHYSICIAN:
        physician = user
    if physician is None:
        return ""
    return physician.get_full_name() or physician.username


def summary_context(summary: CycleSummary, user: User) -> dict[str, Any]:
    """Everything the summary page, its PDF and the renewal letter show."""
    outcomes = summary.outcomes
    cycle = summary.cycle
    baseline = outcomes.baseline
    complete = outcomes.complete_cycles
    bars = [
        charts.BarInput(baseline["per_28"]["headache_days"], "Baseline", "", "bar baseline"),
        *[
            charts.BarInput(
                c.headache_28,
                f"Cycle {c.number}",
                "",
                "bar current" if cycle and c.number == cycle.number else "bar",
            )
            for c in complete[-6:]
        ],
    ]
    continuation = outcomes.continuation
    decision = summary.decision
    estimate = outcomes.estimate
    return {
        "patient": outcomes.patient,
        "today": outcomes.today,
        "today_text": format_date(outcomes.today),
        "policy": POLICIES[outcomes.policy],
        "baseline": baseline,
        "cycle": cycle,
        "cycles_complete": len(complete),
        "cycles": outcomes.cycles,
        "overuse": summary.overuse,
        "adverse_events": summary.adverse_events,
        "bridging": summary.bridging,
        "hit6": _questionnaire(summary.hit6),
        "midas": _questionnaire(summary.midas),
        "continuation": continuation,
        "recommendation_label": RECOMMENDATION_LABELS.get(continuation.recommendation, ""),
        "reasons": [REASON_LABELS.get(r, r) for r in continuation.reasons],
        "decision": decision,
        "decision_title": decision_title(decision) if decision else "",
        "effect": outcomes.effect,
        "next_due": outcomes.next_due,
        "next_injection": outcomes.assessment.next_injection,
        "ruleset": outcomes.ruleset,
        "interval_sentence": interval_rule(
            outcomes.patient, earliest_interval_days(outcomes.patient.clinic)
        ).letter_sentence(),
        "day_definition": outcomes.day_definition,
        "estimate": estimate,
        "wearing_off_text": outcomes.wearing_off_text,
        "chart": charts.bar_chart(bars, baseline["per_28"]["headache_days"], width=300, height=170),
        "user": user,
        "signer": _signer(summary, user),
        "eligibility": outcomes.assessment.eligibility,
        "chronic_migraine": outcomes.assessment.chronic_migraine,
    }
