"""Chart geometry for the agency report: rectangles and labels as plain data.

The template draws them as inline SVG; nothing here knows about markup.
Coordinates are Decimals rounded to 0.01 (exact, printable), in the SVG's
own units: the charts scale with the page through their viewBox.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from site_builder.receivables.figures import BUCKET_LABELS, BUCKETS, CurrencyFigures

AGING_WIDTH, AGING_HEIGHT = Decimal(640), Decimal(28)
CHART_WIDTH, CHART_HEIGHT = Decimal(640), Decimal(220)
PLOT_LEFT, PLOT_TOP, PLOT_BOTTOM = Decimal(8), Decimal(16), Decimal(24)  # margins
BAR_SHARE = Decimal("0.36")  # of a month's slot, per bar; two bars and a gap fill it
MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_CENT = Decimal("0.01")


def _q(value: Decimal) -> Decimal:
    return value.quantize(_CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Segment:
    bucket: str
    label: str
    amount: int
    text: str  # the amount, formatted
    x: Decimal
    width: Decimal


@dataclass(frozen=True)
class AgingBar:
    currency: str
    width: Decimal
    height: Decimal
    total_text: str
    segments: list[Segment]  # every bucket, in order; empty ones have width 0


def aging_bar(figures: CurrencyFigures, money: Callable[[int], str]) -> AgingBar:
    """One stacked bar: each aging bucket's share of what is open, left to right.

    Edges are placed from the running sum, so the widths add up to the whole
    bar exactly and no rounding gap or overlap shows.
    """
    total = figures.open
    segments, running, left = [], 0, Decimal(0)
    for bucket in BUCKETS:
        amount = figures.aging[bucket]
        running += amount
        right = _q(AGING_WIDTH * running / total) if total else Decimal(0)
        segments.append(
            Segment(bucket, BUCKET_LABELS[bucket], amount, money(amount), left, right - left)
        )
        left = right
    return AgingBar(figures.currency, AGING_WIDTH, AGING_HEIGHT, money(total), segments)


@dataclass(frozen=True)
class Bar:
    series: str  # "invoiced" or "collected"
    month: str
    amount: int
    text: str
    x: Decimal
    y: Decimal
    width: Decimal
    height: Decimal


@dataclass(frozen=True)
class MonthLabel:
    text: str
    x: Decimal  # the middle of the month's slot


@dataclass(frozen=True)
class MonthlyChart:
    currency: str
    width: Decimal
    height: Decimal
    baseline: Decimal  # y of the zero line
    top: Decimal  # y of the scale's maximum
    scale_text: str  # the maximum, formatted
    bars: list[Bar]
    labels: list[MonthLabel]


def monthly_chart(figures: CurrencyFigures, money: Callable[[int], str]) -> MonthlyChart:
    """Invoiced and collected per month, side by side, on one scale per currency."""
    plot_width = CHART_WIDTH - 2 * PLOT_LEFT
    plot_height = CHART_HEIGHT - PLOT_TOP - PLOT_BOTTOM
    baseline = PLOT_TOP + plot_height
    peak = max((max(m.invoiced, m.collected) for m in figures.months), default=0)
    slot = plot_width / max(len(figures.months), 1)
    bar_width = _q(slot * BAR_SHARE)
    bars, labels = [], []
    for i, month in enumerate(figures.months):
        start = PLOT_LEFT + slot * i
        gap = (slot - 2 * bar_width) / 3
        for k, (series, amount) in enumerate(
            (("invoiced", month.invoiced), ("collected", month.collected))
        ):
            height = _q(plot_height * amount / peak) if peak else Decimal(0)
            bars.append(
                Bar(
                    series,
                    month.month,
                    amount,
                    money(amount),
                    _q(start + gap + k * (bar_width + gap)),
                    baseline - height,
                    bar_width,
                    height,
                )
            )
        year, number = month.month.split("-")
        name = MONTH_NAMES[int(number) - 1]
        text = f"{name} {year[2:]}" if number == "01" or i == 0 else name
        labels.append(MonthLabel(text, _q(start + slot / 2)))
    return MonthlyChart(
        figures.currency,
        CHART_WIDTH,
        CHART_HEIGHT,
        baseline,
        PLOT_TOP,
        money(peak),
        bars,
        labels,
    )
