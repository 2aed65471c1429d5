"""Reading the medical history: conditions, allergies, preventives, other medicines and
botulinum toxin given for other reasons (unsaved rows; the writer stores them through the import actions)."""

from __future__ import annotations

from typing import Any

from cephalog.eligibility.models import (
    Allergy,
    Condition,
    ConditionCode,
    Medication,
    Preventive,
    ToxinExposure,
)
from cephalog.interop import codes as c
from cephalog.interop.fhir import Json
from cephalog.interop.fhir_import.reader import _Reader
from cephalog.interop.fhir_import.values import _choice, _date, _int, _need_date, code_of, extension


def read_history(reader: _Reader) -> list[Any]:
    """Unsaved history rows: conditions, then allergies, then medicines."""
    return [*_conditions(reader), *_allergies(reader), *_medication_statements(reader)]


def _conditions(reader: _Reader) -> list[Condition]:
    rows: list[Condition] = []
    for _, cond in reader.of_type("Condition"):
        code = code_of(cond.get("code"), c.CONDITION)
        if id(cond) in reader.used:
            continue  # the chronic-migraine Condition, read with the Patient
        where = f"Condition {code}"
        if code is None:
            reader.ignore(
                "Condition",
                cond,
                "not a condition in cephalog's history list (enter it by hand if relevant)",
            )
            continue
        reader.use(cond)
        rows.append(
            Condition(
                code=_choice(code, ConditionCode.values, where, reader.problems),
                noted_on=_date(cond.get("onsetDateTime"), f"{where}.onset", reader.problems),
                resolved_on=_date(
                    cond.get("abatementDateTime"), f"{where}.abatement", reader.problems
                ),
            )
        )
    return rows


def _allergies(reader: _Reader) -> list[Allergy]:
    rows: list[Allergy] = []
    for _, allergy in reader.of_type("AllergyIntolerance"):
        code = code_of(allergy.get("code"), c.ALLERGY)
        if code is None:
            reader.ignore(
                "AllergyIntolerance",
                allergy,
                "not an allergy in cephalog's list (enter it by hand if relevant)",
            )
            continue
        reader.use(allergy)
        reaction = " ".join(
            m.get("text", "")
            for r in allergy.get("reaction") or []
            for m in r.get("manifestation") or []
        ).strip()
        rows.append(Allergy(code=code, reaction=reaction))
    return rows


def _medication_statements(reader: _Reader) -> list[Any]:
    """Preventives, other medicines and toxin given for other reasons; acute medicines
    are left out (cephalog's acute-medicine summaries are derived from the diary)."""
    rows: list[Any] = []
    for _, ms in reader.of_type("MedicationStatement"):
        use = code_of(ms.get("category"), c.MEDICATION_USE)
        if use not in ("preventive", "other", "toxin-other-indication"):
            reader.ignore(
                "MedicationStatement",
                ms,
                "acute medicines are counted from the diary"
                if use
                else "not marked as a preventive or other medicine in cephalog's terms",
            )
            continue
        reader.use(ms)
        rows.append(_medicine(reader, ms, use))
    return rows


def _medicine(reader: _Reader, ms: Json, use: str) -> Any:
    med = ms.get("medicationCodeableConcept") or {}
    period = ms.get("effectivePeriod") or {}
    where = f"MedicationStatement {med.get('text', '')}".strip()
    start = _date(period.get("start"), f"{where}.start", reader.problems)
    stop = _date(period.get("end"), f"{where}.end", reader.problems)
    if use == "preventive":
        outcome = code_of(extension(ms, c.EXT_PREVENTIVE_OUTCOME), c.PREVENTIVE_OUTCOME)
        return Preventive(
            name=med.get("text", ""),
            drug_class=code_of(med, c.PREVENTIVE_CLASS) or "other",
            dose=" ".join(d.get("text", "") for d in ms.get("dosage") or []).strip(),
            start=start,
            stop=stop,
            outcome=outcome or "",
        )
    if use == "other":
        return Medication(
            name=med.get("text", ""),
            drug_class=code_of(med, c.MEDICATION_CLASS) or "other",
            start=start,
            stop=stop,
        )
    dose = ((ms.get("dosage") or [{}])[0].get("doseAndRate") or [{}])[0]
    return ToxinExposure(
        date=_need_date(ms.get("effectiveDateTime"), f"{where}.effective", reader.problems),
        product=med.get("text", ""),
        units=_int(dose.get("doseQuantity")) or 0,
        indication=" ".join(r.get("text", "") for r in ms.get("reasonCode") or []),
    )
