"""Spreadsheet-safe CSV for Polars frames (issue 15.5): the text columns guarded as
`cephalog.domain.csvcells.guard_cell` guards a cell, in one vectorised expression."""

from __future__ import annotations

import polars as pl

#: A cell a spreadsheet could run as a formula (csvcells.is_risky, as a regex).
RISKY = r"^(?:[\t\r]|[ \t]*[=+\-@])"


def safe_frame(frame: pl.DataFrame) -> pl.DataFrame:
    """`frame` with every text cell that could run as a formula prefixed with `'`."""
    text = [name for name, kind in frame.schema.items() if kind in (pl.String, pl.Categorical)]
    if not text:
        return frame
    return frame.with_columns(
        pl.when(pl.col(name).cast(pl.String).str.contains(RISKY))
        .then(pl.lit("'") + pl.col(name).cast(pl.String))
        .otherwise(pl.col(name).cast(pl.String))
        .alias(name)
        for name in text
    )
