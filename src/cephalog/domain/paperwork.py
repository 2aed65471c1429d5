"""Which paperwork a clinic's country uses: paper size, letters, adverse-event report.

A fact table, not a rule engine: the United Kingdom prints on A4, writes a
continuation (funding) letter under NICE TA260 and a letter to the GP, and
reports suspected adverse reactions to the MHRA on a Yellow Card; the United
States prints on US Letter, writes a prior-authorisation letter (NPI, CPT/HCPCS
codes) and reports to the FDA on MedWatch Form 3500. Sources:
clinical-reference.md §5 (NICE TA260 continuation), §9 (US billing codes) and
the MHRA Yellow Card / FDA MedWatch forms themselves.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class PaperSize(StrEnum):
    A4 = "A4"
    LETTER = "letter"


class Letter(StrEnum):
    PRIOR_AUTHORISATION = "prior_authorisation"
    CONTINUATION = "continuation"
    GP = "gp"


class AdverseEventReport(StrEnum):
    MEDWATCH = "medwatch"
    YELLOW_CARD = "yellow_card"


@dataclass(frozen=True)
class Paperwork:
    country: str
    paper: PaperSize
    letters: tuple[Letter, ...]
    adverse_event_report: AdverseEventReport

    @property
    def css_page_size(self) -> str:
        """The CSS `@page { size: ... }` value (WeasyPrint knows both names)."""
        return str(self.paper)

    @property
    def adverse_event_report_name(self) -> str:
        return {
            AdverseEventReport.MEDWATCH: "FDA MedWatch Form 3500",
            AdverseEventReport.YELLOW_CARD: "MHRA Yellow Card",
        }[self.adverse_event_report]


PAPERWORK = {
    "GB": Paperwork(
        "GB", PaperSize.A4, (Letter.CONTINUATION, Letter.GP), AdverseEventReport.YELLOW_CARD
    ),
    "US": Paperwork(
        "US", PaperSize.LETTER, (Letter.PRIOR_AUTHORISATION,), AdverseEventReport.MEDWATCH
    ),
}


def paperwork_for(country: str) -> Paperwork:
    """The paperwork of a country code (ISO 3166-1 alpha-2); unknown codes are refused."""
    try:
        return PAPERWORK[country]
    except KeyError:
        raise ValueError(
            f"country: no paperwork for {country!r}; known: {sorted(PAPERWORK)}"
        ) from None


__all__ = ["PAPERWORK", "AdverseEventReport", "Letter", "PaperSize", "Paperwork", "paperwork_for"]
