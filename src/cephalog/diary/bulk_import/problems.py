"""Messages for the problem lines, worded by the per-patient import's own code."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import polars as pl

from cephalog.diary.actions import MAX_MEDICINE_NAME, MAX_MEDICINES_PER_DAY
from cephalog.diary.bulk_import.common import (
    MAX_AURA_MINUTES,
    MAX_PROBLEMS,
    PATIENT_COLUMN,
)
from cephalog.domain.case import describe, parse_diary_entry
from cephalog.domain.importing.files import day_data


def _row_messages(row: dict[str, Any]) -> list[str]:
    """The problems of one row, worded by the same code as `read_days_csv` and the forms."""
    messages: list[str] = []
    mrn = row[PATIENT_COLUMN]
    if not mrn:
        messages.append(f"{PATIENT_COLUMN}: required")
    elif row["p"] is None:
        messages.append(f"{PATIENT_COLUMN}: no patient with the MRN {describe(mrn)} in this clinic")
    # The cells are already stripped and unguarded, as read_days_csv reads them.
    data, cell_problems = day_data(row)
    messages.extend(cell_problems)
    day, problems = parse_diary_entry(data, "")
    messages.extend(problems)
    if day is not None:
        if day.aura_minutes > MAX_AURA_MINUTES:
            messages.append(
                f"aura_minutes: Ensure this value is less than or equal to {MAX_AURA_MINUTES}."
            )
        if len(day.acute_medications) > MAX_MEDICINES_PER_DAY:
            messages.append(
                f"acute_medications: at most {MAX_MEDICINES_PER_DAY} medicines in a day"
            )
        messages.extend(
            f"acute_medications[{i}].name: at most {MAX_MEDICINE_NAME} characters"
            for i, m in enumerate(day.acute_medications)
            if len(m.name or "") > MAX_MEDICINE_NAME
        )
        if row["bad_future"]:
            messages.append(f"date: {day.date.isoformat()} is in the future")
        if row["bad_duplicate"]:
            messages.append(
                f"date: {day.date.isoformat()} is also on line {row['first_line']} "
                f"for this {PATIENT_COLUMN}"
            )
    if not messages:  # the vectorised rules and these disagree: still say where
        broken = [k[4:] for k, v in row.items() if k.startswith("bad_") and v is True]
        messages.append(f"row: not valid ({', '.join(broken) or 'unknown rule'})")
    return messages


def render_problems(
    structural: Iterable[tuple[int, str]], bad: pl.DataFrame, limit: int = MAX_PROBLEMS
) -> tuple[list[str], int]:
    """The first `limit` problems in line order (then a line counting the rest), and the
    number of lines with problems."""
    problems = sorted(structural)
    lines_total = len({line for line, _ in problems} | set(bad["_line"].to_list()))
    for row in bad.sort("_line").head(limit).iter_rows(named=True):
        problems.extend((row["_line"], message) for message in _row_messages(row))
    problems.sort(key=lambda p: p[0])
    shown = problems[:limit]
    listed = [f"line {line}: {message}" if line else message for line, message in shown]
    unlisted = lines_total - len({line for line, _ in shown if line})
    if unlisted > 0:
        listed.append(
            f"file: {unlisted:,} more line(s) with problems are not listed; "
            "fix the lines above and check the file again"
        )
    elif len(problems) > limit:
        listed.append("file: more problems on the lines above are not listed")
    return listed, lines_total
