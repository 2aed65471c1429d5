"""Server-side SVG charts: geometry computed here, markup in the templates.

No script and no inline style (CSP): colours and dashes come from CSS
classes (site.css for pages, the PDF template's own stylesheet for PDFs).
Every chart is paired with a table holding the same numbers.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

#: Distinct line styles for overlaid cycles (colour and dash, so they differ without colour).
#: Given as SVG presentation attributes too (not inline style, which CSP forbids), because
#: WeasyPrint does not apply the page stylesheet inside SVG; site.css sets the same values.
SERIES = (
    ("#0b5cad", ""),
    ("#b26a00", "6 3"),
    ("#1d6b35", "2 3"),
    ("#7b2d8b", "10 3 2 3"),
    ("#a4161a", "1 2"),
    ("#006d77", "8 2"),
)
SERIES_STYLES = len(SERIES)
MEDIAN = ("#1b1f24", "")
BAR_FILLS = {"bar": "#5b8fc7", "bar baseline": "#aab3bf", "bar current": "#0b5cad"}


@dataclass(frozen=True)
class Tick:
    pos: float
    label: str


@dataclass(frozen=True)
class Line:
    css: str
    colour: str
    dash: str
    width: float
    label: str
    points: str  # SVG polyline "x,y x,y"
    dots: tuple[tuple[float, float], ...]
    legend_y: float


@dataclass(frozen=True)
class LineChart:
    width: int
    height: int
    left: int
    right: int
    top: int
    bottom: int
    x_ticks: tuple[Tick, ...]
    y_ticks: tuple[Tick, ...]
    lines: tuple[Line, ...]
    marker_x: float | None
    marker_label: str
    x_title: str
    y_title: str

    @property
    def plot_right(self) -> int:
        return self.width - self.right

    @property
    def plot_bottom(self) -> int:
        return self.height - self.bottom


def _series(
    weekly: Sequence[Sequence[float | None]], medians: Sequence[float | None]
) -> list[tuple[str, str, tuple[str, str], list[float | None]]]:
    """(label, CSS class, (colour, dash), weekly values): one per cycle, then the median."""
    series = [
        (
            f"Cycle {i}",
            f"series-{(i - 1) % SERIES_STYLES + 1}",
            SERIES[(i - 1) % SERIES_STYLES],
            list(c),
        )
        for i, c in enumerate(weekly, start=1)
    ]
    if any(m is not None for m in medians):
        series.append(("Median", "series-median", MEDIAN, list(medians)))
    return series


def wearing_off_chart(
    weekly: Sequence[Sequence[float | None]],
    medians: Sequence[float | None] = (),
    marker_week: int | None = None,
    *,
    width: int = 640,
    height: int = 300,
) -> LineChart:
    """Headache days per week, weeks 1-12 after each injection, one line per cycle.

    `medians` (the estimate's weekly medians) is drawn as a thicker line;
    `marker_week` marks where wearing-off usually starts.
    """
    left, right, top, bottom = 44, 130, 14, 44
    pw, ph = width - left - right, height - top - bottom

    def x(week: int) -> float:
        return round(left + (week - 1) * pw / 11, 1)

    def y(value: float) -> float:
        return round(top + ph - value / 7 * ph, 1)

    lines: list[Line] = []
    for index, (label, css, (colour, dash), values) in enumerate(_series(weekly, medians)):
        pts = [(x(w), y(v)) for w, v in enumerate(values[:12], start=1) if v is not None]
        lines.append(
            Line(
                css=css,
                colour=colour,
                dash=dash,
                width=4 if css == "series-median" else 2,
                label=label,
                points=" ".join(f"{px},{py}" for px, py in pts),
                dots=tuple(pts),
                legend_y=top + 8 + index * 18,
            )
        )
    return LineChart(
        width=width,
        height=height,
        left=left,
        right=right,
        top=top,
        bottom=bottom,
        x_ticks=tuple(Tick(x(w), str(w)) for w in range(1, 13)),
        y_ticks=tuple(Tick(y(v), str(v)) for v in range(0, 8)),
        lines=tuple(lines),
        marker_x=None if marker_week is None else x(marker_week),
        marker_label="" if marker_week is None else f"week {marker_week}",
        x_title="Week after the injection",
        y_title="Headache days per week",
    )


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    css: str
    fill: str
    value_label: str
    label: str
    sublabel: str
    marked: bool  # a treatment session in this period

    @property
    def cx(self) -> float:
        return round(self.x + self.width / 2, 1)


@dataclass(frozen=True)
class BarChart:
    width: int
    height: int
    baseline_y: float | None
    bars: tuple[Bar, ...]
    y_ticks: tuple[Tick, ...]
    left: int
    plot_right: int
    plot_bottom: int


@dataclass(frozen=True)
class BarInput:
    value: float | None
    label: str
    sublabel: str = ""
    css: str = "bar"
    marked: bool = False


def bar_chart(
    bars: Sequence[BarInput],
    baseline: float | None = None,
    *,
    width: int = 360,
    height: int = 230,
    max_value: float = 28,
) -> BarChart:
    """Vertical bars of per-28 headache days (0-28), with an optional baseline line."""
    left, right, top, bottom = 30, 8, 22, 46
    pw, ph = width - left - right, height - top - bottom
    top_value = max([max_value / 2, *[b.value or 0 for b in bars], baseline or 0])
    top_value = min(max_value, float(int(top_value + 3.999) // 4 * 4)) or max_value

    def y(value: float) -> float:
        return round(top + ph - value / top_value * ph, 1)

    n = max(len(bars), 1)
    slot = pw / n
    bw = round(min(slot * 0.7, 48), 1)
    out = []
    for i, b in enumerate(bars):
        cx = left + slot * i + slot / 2
        value = b.value
        yy = y(value or 0)
        out.append(
            Bar(
                x=round(cx - bw / 2, 1),
                y=yy,
                width=bw,
                height=round(top + ph - yy, 1),
                css=b.css if value is not None else f"{b.css} missing",
                fill=BAR_FILLS.get(b.css, BAR_FILLS["bar"]) if value is not None else "none",
                value_label="?" if value is None else f"{value:g}",
                label=b.label,
                sublabel=b.sublabel,
                marked=b.marked,
            )
        )
    step = 4 if top_value > 12 else 2
    return BarChart(
        width=width,
        height=height,
        baseline_y=None if baseline is None else y(baseline),
        bars=tuple(out),
        y_ticks=tuple(Tick(y(v), str(v)) for v in range(0, int(top_value) + 1, step)),
        left=left,
        plot_right=width - right,
        plot_bottom=top + ph,
    )


_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def short_date(d: dt.date) -> str:
    """`12 Mar`, independent of the locale."""
    return f"{d.day} {_MONTHS[d.month - 1]}"
