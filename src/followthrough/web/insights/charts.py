"""Server-side SVG charts: geometry computed here, drawn by templates.

Readable without JavaScript, printable, and no inline style (colours are SVG presentation
attributes), so a strict Content-Security-Policy does not break them. Every chart comes
with its numbers as a table beside it, for screen readers and for anyone who wants the
exact figure.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from followthrough.core.effectiveness import Metric, Series

WIDTH = 640
HEIGHT = 220
LEFT = 48
RIGHT = 12
TOP = 12
BOTTOM = 36
#: colour-blind-safe (Okabe-Ito), organisation first in black
PALETTE = ("#222222", "#0072B2", "#E69F00", "#009E73", "#CC79A7", "#D55E00", "#56B4E9")
MAX_LINES = len(PALETTE)


def fmt(value: float | None, unit: str) -> str:
    """A metric value as people read it: 42%, 31.5 h, 4.2 d, 7."""
    if value is None:
        return "—"
    if unit == "ratio":
        return f"{value * 100:.0f}%"
    if unit == "hours":
        return f"{value:.1f} h"
    if unit == "days":
        return f"{value:.1f} d"
    return f"{value:.0f}"


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    text: str  # "2026-03: 42%"


@dataclass(frozen=True)
class Line:
    name: str
    colour: str
    width: float
    points: list[Point]
    path: str  # "M x y L x y ..." (gaps where a period has no value)


@dataclass(frozen=True)
class Tick:
    pos: float
    text: str


@dataclass(frozen=True)
class Chart:
    key: str
    title: str
    description: str
    width: int
    height: int
    lines: list[Line]
    y_ticks: list[Tick]
    x_ticks: list[Tick]
    plot_left: int
    plot_right: int
    plot_top: int
    plot_bottom: int


def _nice_max(value: float, unit: str) -> float:
    """The top of the axis: 100% for ratios, else the smallest 1, 2 or 5 x 10^n >= value."""
    if unit == "ratio" or value <= 0:
        return 1.0
    magnitude = 10.0 ** math.floor(math.log10(value))
    return next(magnitude * f for f in (1, 2, 5, 10) if magnitude * f >= value)


def line_chart(metric: Metric, series: list[Series]) -> Chart:
    """One metric over the periods: the organisation's line (thick) and up to
    ``MAX_LINES - 1`` teams' lines."""
    shown = series[:MAX_LINES]
    labels = [p.label for p in shown[0].periods] if shown else []
    n = len(labels)
    values = [v for s in shown for v in (p.values[metric.key] for p in s.periods) if v is not None]
    top = _nice_max(max(values, default=0.0), metric.unit)
    plot_w = WIDTH - LEFT - RIGHT
    plot_h = HEIGHT - TOP - BOTTOM

    def x_at(i: int) -> float:
        return LEFT + (plot_w * (i + 0.5) / n if n else 0)

    def y_at(v: float) -> float:
        return TOP + plot_h * (1 - v / top)

    lines = []
    for index, s in enumerate(shown):
        points = []
        parts = []
        pen_down = False
        for i, p in enumerate(s.periods):
            v = p.values[metric.key]
            if v is None:
                pen_down = False
                continue
            x, y = round(x_at(i), 1), round(y_at(v), 1)
            points.append(Point(x, y, f"{s.name}, {p.label}: {fmt(v, metric.unit)}"))
            parts.append(f"{'L' if pen_down else 'M'}{x} {y}")
            pen_down = True
        lines.append(
            Line(
                s.name,
                PALETTE[index],
                3.0 if index == 0 else 1.5,
                points,
                " ".join(parts),
            )
        )
    y_ticks = [Tick(round(y_at(top * f), 1), fmt(top * f, metric.unit)) for f in (0, 0.5, 1)]
    every = max(1, n // 8)
    x_ticks = [Tick(round(x_at(i), 1), labels[i]) for i in range(0, n, every)]
    return Chart(
        metric.key,
        metric.label,
        metric.description,
        WIDTH,
        HEIGHT,
        lines,
        y_ticks,
        x_ticks,
        LEFT,
        WIDTH - RIGHT,
        TOP,
        HEIGHT - BOTTOM,
    )


@dataclass(frozen=True)
class Bar:
    label: str
    value: float | None
    text: str
    y: float
    width: float
    href: str


@dataclass(frozen=True)
class BarChart:
    title: str
    width: int
    height: int
    label_width: int
    bars: list[Bar]
    bar_height: int


def bar_chart(title: str, rows: list[tuple[str, float | None, str]], unit: str) -> BarChart:
    """Horizontal bars (one per row: label, value, link) scaled to 100% for ratios."""
    label_width = 260
    bar_height = 22
    gap = 8
    plot_w = WIDTH - label_width - 60
    top = _nice_max(max((v for _, v, _ in rows if v is not None), default=0.0), unit)
    bars = []
    for i, (label, value, href) in enumerate(rows):
        width = 0.0 if value is None else plot_w * value / top
        bars.append(
            Bar(label, value, fmt(value, unit), i * (bar_height + gap), round(width, 1), href)
        )
    height = len(rows) * (bar_height + gap)
    return BarChart(title, WIDTH, height, label_width, bars, bar_height)
