"""The console's SVG charts: well-formed, escaped, deterministic, and drawn where they should."""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET

import pytest

from earned.console._charts import (
    Bar,
    Series,
    bar_chart,
    day_label,
    line_chart,
    nice_ticks,
    stage_ladder,
)
from earned.stages import Stage

SVG = "{http://www.w3.org/2000/svg}"
STAGES = [s.value for s in Stage]


def parse(markup: str) -> ET.Element:
    root = ET.fromstring(str(markup))
    assert root.tag == f"{SVG}svg"
    assert "style" not in str(markup)  # the console's CSP refuses inline style
    return root


def texts(root: ET.Element) -> list[str]:
    return [t.text or "" for t in root.iter(f"{SVG}text")]


@pytest.mark.parametrize(
    ("low", "high", "expected"),
    [
        (0, 1, [0, 0.25, 0.5, 0.75, 1]),
        (0, 97, [0, 25, 50, 75, 100]),
        (3, 3, [2.6, 2.8, 3.0, 3.2, 3.4]),
        (0, 0.034, [0, 0.01, 0.02, 0.03, 0.04]),
        (0, 0, [0, 0.25, 0.5, 0.75, 1]),
    ],
)
def test_ticks_are_round_and_cover_the_range(
    low: float, high: float, expected: list[float]
) -> None:
    ticks = nice_ticks(low, high)
    assert ticks == pytest.approx(expected)
    assert ticks[0] <= low
    assert ticks[-1] >= high


def test_ticks_survive_nonsense() -> None:
    assert nice_ticks(math.nan, 1) == [0.0, 1.0]
    assert nice_ticks(5, 1)[0] <= 1


def test_a_line_chart_has_axes_labels_a_legend_and_higher_values_higher() -> None:
    day = 86_400
    svg = line_chart(
        [
            Series("p50", [(0, 100.0), (day, 120.0), (2 * day, 110.0)]),
            Series("p95", [(0, 800.0), (day, 950.0), (2 * day, None)]),
        ],
        title="latency (ms) <per day>",
        x_format=day_label,
        y_format=lambda v: f"{v:.0f} ms",
    )
    root = parse(svg)
    words = texts(root)
    assert "latency (ms) <per day>" in words  # escaped in the markup, intact once parsed
    assert "&lt;per day&gt;" in str(svg)
    assert {"p50", "p95"} <= set(words)
    assert "01-01" in words
    assert "01-02" in words
    assert any(w.endswith(" ms") for w in words)
    lines = list(root.iter(f"{SVG}polyline"))
    assert len(lines) == 2  # p95's None ends its line after two points
    dots = list(root.iter(f"{SVG}circle"))
    assert len(dots) == 5
    by_title = {d.find(f"{SVG}title").text: float(d.get("cy")) for d in dots}  # type: ignore[union-attr]
    assert by_title["p95: 950 ms"] < by_title["p50: 100 ms"]  # SVG y grows downwards


def test_a_rate_chart_pins_its_axis_and_is_deterministic() -> None:
    series = [Series("approval rate", [(1, 0.9), (2, 0.95)])]
    first = line_chart(series, y_min=0, y_max=1, y_format=lambda v: f"{v:.0%}")
    assert first == line_chart(series, y_min=0, y_max=1, y_format=lambda v: f"{v:.0%}")
    words = texts(parse(first))
    assert "0%" in words
    assert "100%" in words


def test_an_empty_chart_says_so() -> None:
    root = parse(line_chart([Series("x", [])], title="cost", empty="no runs yet"))
    assert "no runs yet" in texts(root)
    root = parse(bar_chart([], title="tool success"))
    assert "no data in this window" in texts(root)


def test_a_bar_chart_labels_every_bar_and_scales_heights() -> None:
    svg = bar_chart(
        [Bar("11-20", 1.5), Bar("11-21", 3.0), Bar("<script>", 0.0, color="#dc2626")],
        title="cost per day",
        y_format=lambda v: f"${v:.2f}",
    )
    root = parse(svg)
    assert "<script>" not in str(svg)
    rects = [r for r in root.iter(f"{SVG}rect") if r.find(f"{SVG}title") is not None]
    heights = [float(r.get("height") or 0) for r in rects]
    assert heights[1] == pytest.approx(2 * heights[0], rel=0.01)
    assert rects[2].get("fill") == "#dc2626"
    assert {"$1.50", "$3.00", "11-20", "<script>"} <= set(texts(root))


def test_the_stage_ladder_marks_the_current_the_fallback_and_the_next_stage() -> None:
    svg = stage_ladder(STAGES, "assist", fallback="approval_required", target="approval_required")
    root = parse(svg)
    steps = [r for r in root.iter(f"{SVG}rect") if "step" in (r.get("class") or "")]
    assert len(steps) == len(STAGES)
    current = [r for r in steps if "current" in (r.get("class") or "")]
    assert [r.find(f"{SVG}title").text for r in current] == ["assist"]  # type: ignore[union-attr]
    heights = [float(r.get("height") or 0) for r in steps]
    assert heights == sorted(heights)  # a staircase: each stage higher than the last
    dashed = [r for r in steps if r.get("stroke-dasharray")]
    assert [r.find(f"{SVG}title").text for r in dashed] == ["approval_required"]  # type: ignore[union-attr]
    words = texts(root)
    assert {"now", "next", "fallback", "conditional auto"} <= set(words)
    assert root.get("aria-label") == "stage ladder: at assist"


def test_a_killed_capability_shows_off_in_red() -> None:
    root = parse(stage_ladder(STAGES, "limited", killed=True))
    current = next(r for r in root.iter(f"{SVG}rect") if "current" in (r.get("class") or ""))
    assert current.get("fill") == "#dc2626"
    assert "OFF" in texts(root)


def test_an_unknown_stage_is_refused() -> None:
    with pytest.raises(ValueError, match="not on the ladder"):
        stage_ladder(STAGES, "orbit")


def test_a_compact_ladder_has_no_labels_but_keeps_the_names_as_tooltips() -> None:
    root = parse(stage_ladder(STAGES, "assist", fallback="approval_required", labels=False))
    assert texts(root) == ["now"]
    titles = [t.text for r in root.iter(f"{SVG}rect") if (t := r.find(f"{SVG}title")) is not None]
    assert titles == STAGES


def test_a_pinned_x_range_places_points_where_they_fall_and_one_point_sits_in_the_middle() -> None:
    pinned = parse(line_chart([Series("p95", [(100, 1.0)])], x_range=(0, 100), width=560))
    dot = next(pinned.iter(f"{SVG}circle"))
    assert float(dot.get("cx") or 0) == pytest.approx(560 - 16)  # the right edge of the plot
    alone = parse(line_chart([Series("score", [(50, 0.9)])], width=560))
    dot = next(alone.iter(f"{SVG}circle"))
    assert float(dot.get("cx") or 0) == pytest.approx(56 + (560 - 56 - 16) / 2)


def test_many_bars_keep_their_values_in_tooltips_only() -> None:
    root = parse(bar_chart([Bar(f"b{i}", float(i)) for i in range(12)], y_format=str))
    assert "11.0" not in texts(root)
    assert any((t.text or "").endswith(": 11.0") for t in root.iter(f"{SVG}title"))
