"""What each eligibility code means, for clinicians, with the reference section behind it.

Codes are the domain's (spec section 6); the explanations paraphrase
../shared/domain/clinical-reference.md (cited as "ref n.n").
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CodeText:
    code: str
    label: str
    explanation: str


_NEUROMUSCULAR = (
    "Neuromuscular disorder: higher risk of generalised weakness, double vision, ptosis, "
    "severe dysphagia and breathing problems even at usual doses; monitor closely (ref 2.5)."
)
_SPASTICITY = (
    "Distant spread of toxin effect is reported most often in spasticity and in people with "
    "predisposing conditions (boxed warning, ref 2.3); weigh the risk before starting."
)

HARD_STOPS: dict[str, tuple[str, str]] = {
    "toxin_hypersensitivity": (
        "Botulinum toxin hypersensitivity",
        "Contraindicated: known hypersensitivity to any botulinum toxin preparation or "
        "component (ref 2.4).",
    ),
    "injection_site_infection": (
        "Infection at the injection sites",
        "Contraindicated while the infection lasts (ref 2.4). Record it as resolved once it "
        "has cleared.",
    ),
}

FLAGS: dict[str, tuple[str, str]] = {
    "myasthenia_gravis": ("Myasthenia gravis", _NEUROMUSCULAR),
    "lambert_eaton": ("Lambert–Eaton syndrome", _NEUROMUSCULAR),
    "als": ("Amyotrophic lateral sclerosis", _NEUROMUSCULAR),
    "motor_neuropathy": ("Motor neuropathy", _NEUROMUSCULAR),
    "dysphagia": (
        "Dysphagia",
        "Pre-existing swallowing problems: the toxin can worsen dysphagia (ref 2.5).",
    ),
    "respiratory_compromise": (
        "Compromised breathing",
        "Compromised respiratory function needs caution: breathing difficulties can follow "
        "spread or weakening of respiratory muscles (ref 2.5).",
    ),
    "pregnancy": (
        "Pregnancy",
        "No adequate human data; fetal harm in some animal studies; clinicians usually avoid "
        "use (ref 2.5, 2.9).",
    ),
    "breastfeeding": (
        "Breastfeeding",
        "No adequate human data; clinicians usually avoid use (ref 2.9).",
    ),
    "immunocompromised": (
        "Weakened immune system",
        "On cephalog's sign-off list (spec section 6); the reference gives no specific rule, "
        "so this is the physician's judgement.",
    ),
    "multiple_sclerosis": ("Multiple sclerosis", _SPASTICITY),
    "cerebral_palsy": ("Cerebral palsy", _SPASTICITY),
    "interacting_medication:aminoglycoside": (
        "Current aminoglycoside",
        "May potentiate the toxin's effect; use with caution (ref 2.6).",
    ),
    "interacting_medication:neuromuscular_blocker": (
        "Current neuromuscular blocker",
        "Interferes with neuromuscular transmission and may potentiate the toxin (ref 2.6).",
    ),
    "interacting_medication:anticholinergic": (
        "Current anticholinergic",
        "May potentiate systemic anticholinergic effects (ref 2.6).",
    ),
    "interacting_medication:muscle_relaxant": (
        "Current muscle relaxant",
        "May exaggerate weakness (ref 2.6).",
    ),
    "recent_toxin_exposure": (
        "Botulinum toxin in the last 90 days",
        "A second toxin before the first has worn off may worsen weakness (ref 2.6); it also "
        "counts towards the 400 U per 3 months cap (ref 2.2).",
    ),
    "medication_overuse": (
        "Medication overuse",
        "The ICHD-3 8.2 screen is positive. EHF: withdraw overused medication first where "
        "feasible, though treatment can be tried in overusers (ref 5.2).",
    ),
}

CRITERIA: dict[str, str] = {
    "chronic_migraine": "Chronic migraine, from the diary",
    "failed_preventives": "Preventives that failed",
    "medication_overuse_managed": "Medication overuse managed",
}

#: Where on the screening page the evidence for each criterion is shown.
EVIDENCE_ANCHORS: dict[str, str] = {
    "chronic_migraine": "baseline",
    "failed_preventives": "preventives",
    "medication_overuse_managed": "overuse",
}


def hard_stop_text(code: str) -> CodeText:
    if code.startswith("age_under_"):
        age = code.removeprefix("age_under_")
        return CodeText(
            code,
            f"Under {age}",
            f"The chronic migraine indication covers adults only; this policy's minimum age is "
            f"{age} (ref 2.1, 2.9).",
        )
    label, explanation = HARD_STOPS.get(code, (code, ""))
    return CodeText(code, label, explanation)


def flag_text(code: str) -> CodeText:
    label, explanation = FLAGS.get(code, (code, ""))
    return CodeText(code, label, explanation)


def criterion_title(code: str) -> str:
    return CRITERIA.get(code, code.replace("_", " "))


def problem_text(problem: str) -> str:
    """A `flag:<code>` or `criterion:<code>` problem as a sentence fragment."""
    kind, _, code = problem.partition(":")
    if kind == "flag":
        return f"flag not signed off: {flag_text(code).label}"
    return f"criterion not met or unknown: {criterion_title(code)}"
