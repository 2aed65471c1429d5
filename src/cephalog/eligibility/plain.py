"""The screening in plain language, for the patient's own page.

Same screening as the clinic's page (cephalog.eligibility.queries), told
without jargon: what the diary shows, why the rules are or are not met yet,
and what happens next (keep the diary for 28 days, the consultation, the
first session).
"""

from __future__ import annotations

from dataclasses import dataclass

from cephalog.domain.criteria import MOH_WINDOWS
from cephalog.domain.intervals import IntervalRule, weeks_text
from cephalog.domain.windows import WINDOW_DAYS
from cephalog.eligibility.queries import Screening

PREVENTIVE_MEANING = (
    "A preventive is a medicine you take every day to make headaches happen less often, "
    "not a painkiller you take when a headache starts."
)

_CONDITION_WORDS = {
    "myasthenia_gravis": "myasthenia gravis",
    "lambert_eaton": "Lambert–Eaton syndrome",
    "als": "motor neurone disease (ALS)",
    "motor_neuropathy": "a condition of the nerves to your muscles",
    "dysphagia": "trouble swallowing",
    "respiratory_compromise": "a breathing problem",
    "pregnancy": "a pregnancy",
    "breastfeeding": "breastfeeding",
    "immunocompromised": "a weakened immune system",
    "multiple_sclerosis": "multiple sclerosis",
    "cerebral_palsy": "cerebral palsy",
}
_MEDICINE_WORDS = {
    "aminoglycoside": "an antibiotic of the aminoglycoside kind",
    "neuromuscular_blocker": "a medicine that relaxes muscles during an operation",
    "anticholinergic": "a medicine such as one for an overactive bladder",
    "muscle_relaxant": "a muscle relaxant",
}


@dataclass(frozen=True)
class Step:
    title: str
    text: str
    state: str  # done, current or later


@dataclass(frozen=True)
class PlainSummary:
    headline: str
    tone: str  # good, info (the diary comes first), wait or stop
    diary: list[str]
    reasons: list[str]
    steps: list[Step]


def _days(n: int) -> str:
    return f"{n} day" if n == 1 else f"{n} days"


def _diary_sentences(s: Screening) -> list[str]:
    b = s.baseline
    span = f"{b['start_date']:%-d %B} to {b['end_date']:%-d %B %Y}"
    headache, migraine = b["headache_days"], b["migraine_days"]
    when = (
        "In the 4 weeks before your first treatment"
        if s.has_injections
        else ("In the last 4 weeks")
    )
    if not b["evaluable"]:
        return [
            (
                f"{when} ({span}) you filled in {b['recorded_days']} of the 28 days."
                if b["recorded_days"]
                else "Your diary has no days filled in yet."
            ),
            f"We need at least {b['needed']} of the 28 days filled in to count your headache "
            "days fairly.",
        ]
    sentences = [
        f"{when} ({span}) your diary shows {_days(headache)} with a headache, "
        f"and {migraine} of them were migraine days.",
        f"You filled in {b['recorded_days']} of the 28 days.",
    ]
    if b["recorded_days"] < b["days"]:
        sentences.append(
            f"Allowing for the days not filled in, that is about "
            f"{b['per_28']['headache_days']:g} headache days in 4 weeks."
        )
    return sentences


def _hard_stop_reason(code: str) -> str:
    if code.startswith("age_under_"):
        age = code.removeprefix("age_under_")
        return f"Botox for chronic migraine is only for adults aged {age} and over."
    if code == "toxin_hypersensitivity":
        return (
            "Your records say you have had an allergic reaction to botulinum toxin, the "
            "medicine in Botox. It is not safe to have it again."
        )
    if code == "injection_site_infection":
        return (
            "There is an infection in the skin where the injections would go. Treatment has "
            "to wait until it has cleared."
        )
    return "Something in your records means Botox is not safe for you at the moment."


def _criterion_reason(s: Screening, code: str, met: bool | None) -> str:
    b = s.baseline
    if code == "chronic_migraine":
        if met is None and not b["evaluable"]:
            return (
                "Your diary does not have enough days filled in yet to show how often you "
                "have headaches."
            )
        frequent = (
            b["evaluable"]
            and b["per_28"]["headache_days"] >= 15
            and b["per_28"]["migraine_days"] >= 8
        )
        if met is True:
            return (
                "Your diary shows chronic migraine: a headache on 15 or more days in 4 weeks, "
                "with at least 8 migraine days."
            )
        if frequent and met is None:
            return (
                "Your headaches need to have been this frequent for more than 3 months. Your "
                "doctor will ask you about this at your consultation."
            )
        if frequent:
            return "Your headaches need to have been this frequent for more than 3 months."
        return (
            "Botox is for chronic migraine: a headache on 15 or more days in 4 weeks, with at "
            "least 8 migraine days. Your diary shows fewer than that."
        )
    if code == "failed_preventives":
        required = s.policy.failed_preventives_required or 0
        tried = s.failed_count
        if met:
            return (
                f"You have tried {tried} preventive medicines that did not help enough or that "
                f"you could not take. The rules ask for at least {required}."
            )
        return (
            f"The rules your clinic follows ask that you try at least {required} preventive "
            f"medicines first. Your records show {tried} so far."
        )
    if code == "medication_overuse_managed":
        if met is None:
            return (
                f"We need about {weeks_text(MOH_WINDOWS * WINDOW_DAYS)} of diary to check how "
                "often you take headache medicines."
            )
        if met:
            return "You are not taking headache medicines on too many days."
        return (
            "You are taking headache medicines on so many days that they may be making the "
            "headaches more frequent (this is called medication overuse). Your clinic will "
            "help you cut down first."
        )
    return "One of the rules is not met yet."


def _flag_reason(code: str, signed: bool) -> str:
    if code in _CONDITION_WORDS:
        what = f"You have {_CONDITION_WORDS[code]}, so your doctor looks at whether treatment is "
        what += "safe for you."
    elif code.startswith("interacting_medication:"):
        kind = _MEDICINE_WORDS.get(code.partition(":")[2], "another medicine")
        what = f"You take {kind}, which can add to the effect of Botox on your muscles."
    elif code == "recent_toxin_exposure":
        what = (
            "You had botulinum toxin for something else in the last 3 months, so the timing and "
            "the total dose matter."
        )
    elif code == "medication_overuse":
        what = (
            "You take headache medicines on many days (possible medication overuse); cutting "
            "down may help."
        )
    else:
        what = "Something in your records needs a check."
    return f"{what} {'Your doctor has checked this.' if signed else 'Your doctor will check it.'}"


def summarise(s: Screening) -> PlainSummary:
    """The patient's page: headline, what the diary shows, why, and the next steps."""
    status = s.status
    decided = s.gate.allowed
    hard_stops = s.eligibility.hard_stops
    if hard_stops:
        # A contraindication is the whole answer; the other rules do not matter then.
        reasons = [_hard_stop_reason(code) for code in hard_stops]
    else:
        reasons = [_criterion_reason(s, c.code, c.met) for c in s.criteria if c.met is True]
        reasons += [_criterion_reason(s, c.code, c.met) for c in s.criteria if c.met is not True]
        reasons += [_flag_reason(flag.text.code, flag.signed) for flag in s.flags]

    if hard_stops:
        headline, tone = "Botox is not suitable for you at the moment", "stop"
    elif s.has_injections:
        # Treatment has started: "not eligible yet" or "needs a check first" (a screening
        # with no recorded decision, e.g. sessions from before cephalog) would contradict
        # the steps below, all done.
        headline, tone = "You have started Botox treatment", "good"
    elif decided:
        headline, tone = "Your doctor has decided you can start Botox treatment", "good"
    elif not s.baseline["evaluable"]:
        # Too few diary days to screen: the diary is the next step, not a refusal.
        headline = f"Your clinic needs {weeks_text(WINDOW_DAYS)} of your diary first"
        tone = "info"
    elif status == "not_eligible":
        headline, tone = "You are not eligible for Botox yet", "stop"
    elif status == "needs_review":
        headline, tone = "Your doctor needs to check a few things first", "wait"
    else:
        headline, tone = "Your diary and records fit the rules for Botox treatment", "good"

    diary_done = s.baseline["evaluable"] or s.has_injections
    steps = [
        Step(
            "Keep your diary every day for 4 weeks",
            "Fill it in every day, also on days without a headache. "
            + (
                f"You filled in {s.baseline['recorded_days']} of the 28 days before your "
                "first treatment."
                if s.has_injections
                else f"You have filled in {s.baseline['recorded_days']} of the last 28 days."
            ),
            "done" if diary_done else "current",
        ),
        Step(
            "Consultation with your doctor",
            "Your doctor goes through your diary, the preventive medicines you have tried and "
            "the other medicines you take, and decides with you whether to start.",
            "done" if decided or s.has_injections else ("current" if diary_done else "later"),
        ),
        Step(
            "First treatment session",
            "31 small injections into the muscles of the forehead, the sides and back of the "
            "head, the neck and the shoulders. "
            + IntervalRule(earliest_days=s.policy.earliest_interval_days).rule_sentence(),
            "done" if s.has_injections else ("current" if decided else "later"),
        ),
    ]
    return PlainSummary(
        headline=headline,
        tone=tone,
        diary=_diary_sentences(s),
        reasons=reasons,
        steps=steps,
    )
