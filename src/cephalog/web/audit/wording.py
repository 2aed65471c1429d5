"""The audit trail in words, for the audit page: who did what, to which patient, when.

Presentation only: the rows themselves (and their chain) are cephalog.audit's.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cephalog.accounts.models import Role

#: What a data category is called in a sentence ("Viewed the diary").
CATEGORY_WORDS: dict[str, str] = {
    "account": "a diary or staff login",
    "adverse_event": "an adverse event",
    "adverse_event_rates": "the adverse-event rates",
    "adverse_event_register": "the adverse-event register",
    "adverse_events": "the adverse events",
    "aftercare": "the aftercare advice",
    "checkin": "a side-effect check-in",
    "appointment": "an appointment",
    "audit": "the audit trail",
    "bridging_treatment": "a bridging treatment",
    "calendar_feed": "a calendar link",
    "care_team": "the care team",
    "cautions": "the cautions",
    "chart": "the chart",
    "clinic": "the clinic settings",
    "clinic_policy": "a clinic policy",
    "clinic_schedule": "the clinic schedule",
    "cohort": "the cohort report",
    "consent": "the diary consent",
    "consultation": "the consultation record",
    "contact_details": "the contact details",
    "content_pack": "a questionnaire pack",
    "continuation_decision": "a continuation decision",
    "cycle_summary": "the cycle summary",
    "demo": "demo data",
    "diary": "the diary",
    "diary_attack": "a diary attack",
    "diary_import": "a diary import",
    "diary_settings": "the diary reminder settings",
    "eligibility": "the eligibility screening",
    "export": "an export",
    "fhir": "the FHIR record",
    "fhir_bulk": "a FHIR bulk export",
    "flag_sign_off": "a flag sign-off",
    "injector_training": "an injector training record",
    "item_labels": "the questionnaire item labels",
    "login_throttle": "sign-in attempts",
    "medication": "a medicine",
    "medwatch": "a MedWatch adverse-event report",
    "mfa": "the authenticator app",
    "mfa_replace": "the authenticator app",
    "mfa_recovery": "the second-factor recovery",
    "passkey": "a passkey",
    "password_reset_throttle": "password-reset attempts",
    "migraine_history": "the migraine history",
    "outcomes": "the outcomes",
    "outcomes_dashboard": "the outcomes dashboard",
    "patient": "the patient record",
    "patient_list": "the patient list",
    "portability": "the patient's data download",
    "preventive": "a preventive treatment",
    "prior_auth_letter": "a prior-authorisation letter",
    "protocol_template": "a protocol template",
    "questionnaire": "a questionnaire",
    "reminder": "a reminder",
    "renewal_letter": "a renewal letter",
    "role": "a role",
    "safety_alert": "a red-flag alert",
    "safety_alerts": "the red-flag alerts",
    "safety_report": "a side-effect report",
    "safety_settings": "the safety numbers and alert settings",
    "session": "a treatment session",
    "session_addendum": "a session addendum",
    "session_check": "the checks before a session",
    "session_flag_sign_off": "a session flag sign-off",
    "session_list": "the treatment sessions",
    "session_vial": "a vial",
    "staff": "the staff list",
    "start_decision": "a decision to start treatment",
    "toxin_exposure": "a toxin exposure",
    "treatment_calendar": "the treatment calendar",
    "yellow_card": "a Yellow Card adverse-event report",
    "letter": "a letter",
    "gp_letter": "a GP letter",
    "continuation_letter": "a continuation letter",
}

VERBS = {
    "read": "Viewed",
    "create": "Added",
    "update": "Changed",
    "delete": "Removed",
    "export": "Exported",
    "import": "Imported",
    "privilege": "Changed",
}

_ROLE_CHANGE_STATUS = {
    "pending": " (waiting for a second clinic admin)",
    "applied": "",
    "rejected": " (turned down)",
    "withdrawn": " (withdrawn)",
}


def category_words(category: str) -> str:
    if category.startswith("admin:"):
        return f"{category.removeprefix('admin:')} rows in the Django admin"
    return CATEGORY_WORDS.get(category, category.replace("_", " "))


def _role(value: Any) -> str:
    if value in Role.values:
        return str(Role(value).label)
    return "no role" if value is None else str(value)


def describe(*, action: str, category: str, detail: Mapping[str, Any], target: str = "") -> str:
    """One sentence for an audit row; `target` names the person an `object_ref` user:N is."""
    if action == "login":
        return "Signed in"
    if action == "logout":
        return "Signed out"
    if action == "login_failed":
        return "Sign-in failed" + (" (too many attempts)" if category == "login_throttle" else "")
    who = target or "a colleague"
    if category == "role" and ("after" in detail or "role" in detail):
        after = detail.get("after", detail.get("role"))
        if detail.get("invited"):
            return f"Invited {who} as {_role(after).lower()}"
        if detail.get("before") is None:
            return f"Gave {who} the role {_role(after).lower()}"
        status = _ROLE_CHANGE_STATUS.get(str(detail.get("status", "applied")), "")
        verb = "Asked to change" if detail.get("status") == "pending" else "Changed"
        if detail.get("status") in ("rejected", "withdrawn"):
            verb = "Did not change"
        return f"{verb} the role of {who}: {_role(detail.get('before'))} → {_role(after)}{status}"
    if category == "account" and action == "privilege":
        return (
            "Disabled" if detail.get("after") == "disabled" else "Enabled"
        ) + f" the login of {who}"
    if category == "account" and "invited" in detail:
        return "Sent a diary invitation" if detail["invited"] else "Diary invitation refused"
    if target and category == "staff":
        return f"Viewed the staff record of {target}"
    sentence = f"{VERBS.get(action, action.capitalize())} {category_words(category)}"
    if target and category == "injector_training":
        sentence += f" for {target}"
    changed = detail.get("changed")
    if isinstance(changed, list) and changed and all(isinstance(c, str) for c in changed):
        sentence += ": " + ", ".join(c.replace("_", " ") for c in changed)
    if detail.get("confirmed_by_patient"):
        sentence += " (confirmed by the patient)"
    return sentence
