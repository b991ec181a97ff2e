"""Windows: how they are written and read."""

from __future__ import annotations

import pytest

from earned.errors import UserError
from earned.metrics import Query, format_window, parse_window


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("30s", 30), ("5m", 300), ("1h", 3600), ("24h", 86400), ("7d", 604800), ("2w", 1209600),
     (" 15m ", 900), (90, 90)],
)  # fmt: skip
def test_windows_are_a_number_and_a_unit(text: str | int, seconds: float) -> None:
    assert parse_window(text) == seconds


@pytest.mark.parametrize("text", ["", "1", "h", "1.5h", "-5m", "0m", "5 minutes", "400d"])
def test_bad_windows_say_how_to_write_one(text: str) -> None:
    with pytest.raises(UserError, match=r"5m, 1h, 24h or 7d|at most 366d"):
        parse_window(text)


def test_windows_are_written_in_their_shortest_exact_form() -> None:
    assert [format_window(s) for s in (45, 300, 3600, 5400, 86400, 172800, 604800)] == [
        "45s", "5m", "1h", "90m", "24h", "2d", "7d",
    ]  # fmt: skip


def test_a_query_is_shifted_back_by_whole_windows() -> None:
    query = Query.build(since=100, until=400, where={"agent": "a", "tool": None}, by=["tool"])
    assert query.where == (("agent", "a"),)
    earlier = query.shifted(2)
    assert (earlier.since, earlier.until, earlier.by) == (-500, -200, ("tool",))
    with pytest.raises(UserError, match="since < until"):
        Query.build(since=5, until=5)
