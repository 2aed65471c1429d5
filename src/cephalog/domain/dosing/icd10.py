"""The ICD-10-CM code of chronic migraine (§9.1)."""

from __future__ import annotations

from typing import NamedTuple


class Icd10Code(NamedTuple):
    """A billable ICD-10-CM code and its description (clinical-reference §9.1)."""

    code: str
    description: str


def icd10_code(with_aura: bool, intractable: bool, status_migrainosus: bool) -> Icd10Code:
    """The billable ICD-10-CM chronic migraine code (clinical-reference §9.1, §14).

    Without aura G43.7-, with aura G43.E- (FY2024+); 5th character 1 =
    intractable, 0 = not intractable; 6th character 1 = with status
    migrainosus, 9 = without. "Intractable" includes pharmacoresistant,
    treatment-resistant, refractory and poorly controlled migraine.
    """
    stem = "G43.E" if with_aura else "G43.7"
    code = f"{stem}{1 if intractable else 0}{1 if status_migrainosus else 9}"
    description = (
        f"Chronic migraine {'with' if with_aura else 'without'} aura, "
        f"{'intractable' if intractable else 'not intractable'}, "
        f"{'with' if status_migrainosus else 'without'} status migrainosus"
    )
    return Icd10Code(code, description)
