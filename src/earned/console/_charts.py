"""Server-side SVG charts: pure functions from numbers to markup, no script, no style.

Each function returns the chart as `Markup` (an `<svg>` element ready to drop into a
template): a line chart with axes, ticks and a legend (metrics over time, eval scores over
runs), a bar chart (cost per day, tool success), and the stage ladder of a capability. Every
text in the picture is escaped; colours are presentation attributes (`fill=`, `stroke=`),
which the console's Content-Security-Policy allows where `style=` is refused. The same input
gives the same bytes, so tests compare the output directly.

```python
svg = line_chart([Series("p95", [(t0, 820.0), (t1, 910.0)])], title="latency (ms)",
                 x_format=day_label, y_format=lambda v: f"{v:.0f} ms")
```
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from markupsafe import Markup, escape

__all__ = [
    "PALETTE",
    "Bar",
    "Series",
    "bar_chart",
    "day_label",
    "line_chart",
    "nice_ticks",
    "stage_ladder",
    "time_label",
]

#: Series colours, in order (readable on white, distinct for the common colour blindnesses).
PALETTE: tuple[str, ...] = ("#2563eb", "#d97706", "#059669", "#dc2626", "#7c3aed", "#0891b2")
_AXIS = "#6b7280"
_GRID = "#e5e7eb"
_TEXT = "#111827"
_FONT = 'font-family="system-ui, sans-serif"'

Number = float | int
Formatter = Callable[[float], str]


@dataclass(frozen=True, kw_only=True)
class _Frame:
    """The plot area inside the picture, and the value ranges it maps."""

    width: int
    height: int
    left: int = 56
    right: int = 16
    top: int = 28
    bottom: int = 40
    x_min: float = 0.0
    x_max: float = 1.0
    y_min: float = 0.0
    y_max: float = 1.0

    def x(self, value: float) -> float:
        span = self.x_max - self.x_min or 1.0
        return self.left + (value - self.x_min) / span * (self.width - self.left - self.right)

    def y(self, value: float) -> float:
        span = self.y_max - self.y_min or 1.0
        inner = self.height - self.top - self.bottom
        return self.top + inner - (value - self.y_min) / span * inner


@dataclass(frozen=True)
class Series:
    """One line: a name for the legend and its (x, y) points; y None is a gap."""

    name: str
    points: Sequence[tuple[Number, Number | None]] = field(default_factory=list)
    color: str | None = None


@dataclass(frozen=True)
class Bar:
    """One bar: its label, its value, and optionally a colour (e.g. red for a failure)."""

    label: str
    value: Number
    color: str | None = None


def _num(value: float) -> str:
    """A coordinate, short and stable."""
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _fmt(value: float) -> str:
    if value == 0:
        return "0"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.0f}"
    return f"{value:.2g}" if abs(value) < 1 else f"{value:.1f}".rstrip("0").rstrip(".")


def day_label(epoch: float) -> str:
    """`11-21`: a UTC day, for x axes over days."""
    return dt.datetime.fromtimestamp(epoch, tz=dt.UTC).strftime("%m-%d")


def time_label(epoch: float) -> str:
    """`14:05`: a UTC time of day, for x axes over hours."""
    return dt.datetime.fromtimestamp(epoch, tz=dt.UTC).strftime("%H:%M")


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round tick values covering [low, high]: steps of 1, 2, 2.5 or 5 times a power of ten."""
    if not (math.isfinite(low) and math.isfinite(high)):
        return [0.0, 1.0]
    if high < low:
        low, high = high, low
    if high == low == 0:
        high = 1.0  # nothing but zeros: an axis from 0 up, not around 0
    elif high == low:
        pad = abs(high) * 0.1
        low, high = low - pad, high + pad
    raw = (high - low) / max(count - 1, 1)
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    start = math.floor(low / step) * step
    ticks: list[float] = []
    value = start
    while value < high + step * 0.5 and len(ticks) < 50:
        ticks.append(round(value, 10))
        value += step
    if ticks[-1] < high:
        ticks.append(round(ticks[-1] + step, 10))
    return ticks


def _open(width: int, height: int, title: str, description: str) -> list[str]:
    label = escape(title or description)
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-label="{label}">',
        f"<title>{escape(title)}</title>",
        f"<desc>{escape(description)}</desc>" if description else "",
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#ffffff"/>',
        f'<text x="8" y="17" font-size="13" font-weight="600" fill="{_TEXT}" {_FONT}>'
        f"{escape(title)}</text>"
        if title
        else "",
    ]


def _empty(parts: list[str], frame: _Frame, words: str) -> Markup:
    middle_x, middle_y = frame.width / 2, frame.height / 2
    parts.append(
        f'<text x="{_num(middle_x)}" y="{_num(middle_y)}" text-anchor="middle" font-size="12" '
        f'fill="{_AXIS}" {_FONT}>{escape(words)}</text></svg>'
    )
    return Markup("".join(parts))


def _y_axis(frame: _Frame, ticks: Sequence[float], y_format: Formatter) -> list[str]:
    parts: list[str] = []
    right = frame.width - frame.right
    for tick in ticks:
        y = _num(frame.y(tick))
        parts.append(
            f'<line x1="{frame.left}" y1="{y}" x2="{right}" y2="{y}" stroke="{_GRID}" '
            'stroke-width="1"/>'
        )
        parts.append(
            f'<text x="{frame.left - 6}" y="{y}" dy="4" text-anchor="end" font-size="11" '
            f'fill="{_AXIS}" {_FONT}>{escape(y_format(tick))}</text>'
        )
    bottom = frame.height - frame.bottom
    parts.append(
        f'<line x1="{frame.left}" y1="{bottom}" x2="{right}" y2="{bottom}" stroke="{_AXIS}" '
        'stroke-width="1"/>'
    )
    return parts


def _x_ticks(xs: Sequence[float], most: int = 6) -> list[float]:
    unique = sorted(set(xs))
    if len(unique) <= most:
        return unique
    step = (len(unique) - 1) / (most - 1)
    return [unique[round(i * step)] for i in range(most)]


def _legend(series: Sequence[Series], frame: _Frame) -> list[str]:
    parts: list[str] = []
    x = frame.left
    y = frame.height - 8
    for index, line in enumerate(series):
        color = line.color or PALETTE[index % len(PALETTE)]
        parts.append(
            f'<rect x="{x}" y="{y - 9}" width="10" height="10" fill="{color}"/>'
            f'<text x="{x + 14}" y="{y}" font-size="11" fill="{_TEXT}" {_FONT}>'
            f"{escape(line.name)}</text>"
        )
        x += 24 + 7 * len(line.name)
    return parts


def line_chart(
    series: Sequence[Series],
    *,
    title: str = "",
    width: int = 560,
    height: int = 220,
    x_format: Formatter = _fmt,
    y_format: Formatter = _fmt,
    y_min: float | None = None,
    y_max: float | None = None,
    x_range: tuple[float, float] | None = None,
    empty: str = "no data in this window",
) -> Markup:
    """Lines over a shared x axis, with y gridlines, tick labels, a dot per point, a legend.

    `y_min`/`y_max` pin the axis (0 and 1 for a rate); otherwise it fits the data with
    round ticks. `x_range` pins the x axis (a window's start and end), so points sit where
    they fall in it; a single x is drawn in the middle. A point whose y is None breaks its
    line.
    """
    points = [(float(x), float(y)) for s in series for x, y in s.points if y is not None]
    finite = [(x, y) for x, y in points if math.isfinite(x) and math.isfinite(y)]
    frame = _Frame(width=width, height=height + 18, bottom=58)
    parts = _open(frame.width, frame.height, title, f"line chart of {len(series)} series")
    if not finite:
        return _empty(parts, frame, empty)
    xs = [x for x, _ in finite]
    ys = [y for _, y in finite]
    low = y_min if y_min is not None else min(0.0, min(ys))
    high = y_max if y_max is not None else max(ys)
    ticks = nice_ticks(low, high)
    ticks = [t for t in ticks if (y_min is None or t >= y_min) and (y_max is None or t <= y_max)]
    x_low, x_high = x_range if x_range is not None else (min(xs), max(xs))
    if x_low == x_high:
        x_low, x_high = x_low - 1.0, x_high + 1.0
    frame = _Frame(
        width=width,
        height=height + 18,
        bottom=58,
        x_min=x_low,
        x_max=x_high,
        y_min=min(ticks[0], low) if ticks else low,
        y_max=max(ticks[-1], high) if ticks else high,
    )
    parts += _y_axis(frame, ticks, y_format)
    base = frame.height - frame.bottom
    for tick in _x_ticks(
        [x for x in xs if x_low <= x <= x_high]
        if x_range is None
        else [x_low + (x_high - x_low) * i / 5 for i in range(6)]
    ):
        parts.append(
            f'<text x="{_num(frame.x(tick))}" y="{base + 15}" text-anchor="middle" '
            f'font-size="11" fill="{_AXIS}" {_FONT}>{escape(x_format(tick))}</text>'
        )
    for index, line in enumerate(series):
        parts += _line(frame, line, line.color or PALETTE[index % len(PALETTE)], y_format)
    parts += _legend(series, frame)
    parts.append("</svg>")
    return Markup("".join(parts))


def _line(frame: _Frame, line: Series, color: str, y_format: Formatter) -> list[str]:
    parts: list[str] = []
    runs: list[list[tuple[float, float]]] = [[]]
    for x, y in sorted(line.points, key=lambda p: float(p[0])):
        if y is None or not math.isfinite(float(y)) or not math.isfinite(float(x)):
            runs.append([])
            continue
        runs[-1].append((frame.x(float(x)), frame.y(float(y))))
    for run in runs:
        if len(run) > 1:
            path = " ".join(f"{_num(x)},{_num(y)}" for x, y in run)
            parts.append(
                f'<polyline points="{path}" fill="none" stroke="{color}" stroke-width="2" '
                'stroke-linejoin="round"/>'
            )
    for x, y in line.points:
        if y is None or not (math.isfinite(float(x)) and math.isfinite(float(y))):
            continue
        parts.append(
            f'<circle cx="{_num(frame.x(float(x)))}" cy="{_num(frame.y(float(y)))}" r="3" '
            f'fill="{color}"><title>{escape(line.name)}: {escape(y_format(float(y)))}'
            "</title></circle>"
        )
    return parts


def bar_chart(
    bars: Sequence[Bar],
    *,
    title: str = "",
    width: int = 560,
    height: int = 220,
    y_format: Formatter = _fmt,
    y_max: float | None = None,
    empty: str = "no data in this window",
) -> Markup:
    """Vertical bars with their labels below and their values above."""
    values = [float(b.value) for b in bars if math.isfinite(float(b.value))]
    frame = _Frame(width=width, height=height)
    parts = _open(width, height, title, f"bar chart of {len(bars)} bars")
    if not values:
        return _empty(parts, frame, empty)
    ticks = nice_ticks(min(0.0, min(values)), y_max if y_max is not None else max(values))
    frame = _Frame(width=width, height=height, y_min=ticks[0], y_max=ticks[-1])
    parts += _y_axis(frame, ticks, y_format)
    inner = width - frame.left - frame.right
    slot = inner / len(bars)
    bar_width = max(min(slot * 0.7, 48.0), 2.0)
    zero = frame.y(max(0.0, ticks[0]))
    for index, bar in enumerate(bars):
        value = float(bar.value) if math.isfinite(float(bar.value)) else 0.0
        color = bar.color or PALETTE[0]
        center = frame.left + slot * (index + 0.5)
        top = frame.y(value)
        y, h = min(top, zero), abs(zero - top)
        parts.append(
            f'<rect x="{_num(center - bar_width / 2)}" y="{_num(y)}" width="{_num(bar_width)}" '
            f'height="{_num(max(h, 0.5))}" fill="{color}"><title>{escape(bar.label)}: '
            f"{escape(y_format(value))}</title></rect>"
        )
        if len(bars) <= _VALUE_LABELS:
            parts.append(
                f'<text x="{_num(center)}" y="{_num(y - 4)}" text-anchor="middle" '
                f'font-size="10" fill="{_TEXT}" {_FONT}>{escape(y_format(value))}</text>'
            )
        if len(bars) <= 16 or index % math.ceil(len(bars) / 16) == 0:
            parts.append(
                f'<text x="{_num(center)}" y="{height - frame.bottom + 15}" text-anchor="middle" '
                f'font-size="11" fill="{_AXIS}" {_FONT}>{escape(bar.label[:14])}</text>'
            )
    parts.append("</svg>")
    return Markup("".join(parts))


#: Bars print their values above them up to this many bars (beyond: in their tooltips).
_VALUE_LABELS = 8

_LADDER_DONE = "#bbf7d0"
_LADDER_NOW = "#16a34a"
_LADDER_AHEAD = "#f3f4f6"
_LADDER_KILLED = "#dc2626"


def stage_ladder(
    stages: Sequence[str],
    current: str,
    *,
    fallback: str | None = None,
    target: str | None = None,
    killed: bool = False,
    title: str = "",
    width: int = 560,
    step_height: int = 14,
    labels: bool = True,
) -> Markup:
    """The autonomy ladder as a staircase: stages climbed, the current one, those ahead.

    `fallback` (where a tripped stop condition sends the capability) is marked with a dashed
    outline, `target` (the next promotion) with `next`; `killed` paints the current step red
    (its kill switch is off). `labels=False` leaves the stage names out (a compact ladder in
    a table row; each step keeps its name as a tooltip).
    """
    if current not in stages:
        raise ValueError(f"stage {current!r} is not on the ladder {list(stages)!r}")
    count = len(stages)
    height = (44 if title else 20) + step_height * count + (34 if labels else 4)
    frame = _Frame(width=width, height=height, left=8, right=8)
    label = f"stage ladder: at {current}" + (", switched off" if killed else "")
    parts = _open(width, height, title, label)
    now = stages.index(current)
    slot = (width - frame.left - frame.right) / count
    floor = height - (30 if labels else 2)
    for index, stage in enumerate(stages):
        parts += _ladder_step(
            index=index,
            stage=stage,
            x=frame.left + slot * index,
            slot=slot,
            floor=floor,
            rise=step_height * (index + 1),
            now=now,
            fallback=stage == fallback,
            target=stage == target,
            killed=killed,
            labels=labels,
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def _ladder_step(
    *,
    index: int,
    stage: str,
    x: float,
    slot: float,
    floor: float,
    rise: float,
    now: int,
    fallback: bool,
    target: bool,
    killed: bool,
    labels: bool,
) -> list[str]:
    if index < now:
        fill = _LADDER_DONE
    elif index == now:
        fill = _LADDER_KILLED if killed else _LADDER_NOW
    else:
        fill = _LADDER_AHEAD
    top = floor - rise
    outline = (
        f'stroke="{_TEXT}" stroke-width="1.5" stroke-dasharray="4 3"'
        if fallback
        else f'stroke="{_AXIS}" stroke-width="0.5"'
    )
    weight = ' font-weight="700"' if index == now else ""
    parts = [
        f'<rect class="step{" current" if index == now else ""}" x="{_num(x + 1)}" '
        f'y="{_num(top)}" width="{_num(slot - 2)}" height="{_num(rise)}" fill="{fill}" '
        f"{outline}><title>{escape(stage)}</title></rect>",
    ]
    if labels:
        parts.append(
            f'<text x="{_num(x + slot / 2)}" y="{_num(floor + 14)}" text-anchor="middle" '
            f'font-size="10" fill="{_TEXT}" {_FONT}{weight}>'
            f"{escape(stage.replace('_', ' '))}</text>"
        )
    if index == now:
        word = "OFF" if killed else "now"
        parts.append(
            f'<text x="{_num(x + slot / 2)}" y="{_num(top - 5)}" text-anchor="middle" '
            f'font-size="11" font-weight="700" fill="{fill}" {_FONT}>{word}</text>'
        )
    if target:
        parts.append(
            f'<text x="{_num(x + slot / 2)}" y="{_num(top - 5)}" text-anchor="middle" '
            f'font-size="11" fill="{_AXIS}" {_FONT}>next</text>'
        )
    if fallback and labels:
        parts.append(
            f'<text x="{_num(x + slot / 2)}" y="{_num(floor + 26)}" text-anchor="middle" '
            f'font-size="9" fill="{_AXIS}" {_FONT}>fallback</text>'
        )
    return parts
