"""How times read on cards: UK style in the datetime's own zone; spans in real elapsed time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from cards.format import fmt_duration, fmt_when, is_after, starts_in, time_left

L = ZoneInfo("Europe/London")
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=L)


@pytest.mark.parametrize(("when", "expected"), [
    (datetime(2026, 11, 23, 14, 0, tzinfo=L), "Mon 23 Nov 2026, 14:00"),
    (datetime(2026, 6, 1, 9, 5, tzinfo=L), "Mon 1 Jun 2026, 09:05"),  # summer time: still local
    (datetime(2026, 12, 28, 0, 0, tzinfo=L), "Mon 28 Dec 2026, 00:00"),
    (datetime(2027, 2, 28, 23, 59, tzinfo=L), "Sun 28 Feb 2027, 23:59"),
    (datetime(2026, 6, 1, 8, 5, tzinfo=UTC), "Mon 1 Jun 2026, 08:05"),  # its own zone, not converted
    (None, "not set"),
])  # fmt: skip
def test_fmt_when_is_uk_style_in_its_own_zone(when: datetime | None, expected: str) -> None:
    assert fmt_when(when) == expected


@pytest.mark.parametrize(("span", "expected"), [
    (timedelta(hours=2, minutes=15), "2 h 15 min left"),
    (timedelta(hours=2, minutes=15, seconds=59), "2 h 15 min left"),  # rounded down
    (timedelta(minutes=59), "59 min left"),
    (timedelta(hours=3), "3 h left"),
    (timedelta(days=1, hours=3, minutes=20), "1 day 3 h left"),  # minutes dropped past a day
    (timedelta(days=2), "2 days left"),
    (timedelta(seconds=30), "under 1 min left"),
    (timedelta(0), "under 1 min left"),
    (timedelta(seconds=-30), "overdue by under 1 min"),
    (-timedelta(hours=1, minutes=5), "overdue by 1 h 5 min"),
    (-timedelta(hours=1, minutes=5, seconds=30), "overdue by 1 h 5 min"),
    (-timedelta(days=3, hours=1), "overdue by 3 days 1 h"),
])  # fmt: skip
def test_time_left(span: timedelta, expected: str) -> None:
    assert time_left(NOW, NOW + span) == expected


def test_time_left_counts_real_hours_across_the_clock_change() -> None:
    # Sat 28 Mar 2026 12:00 GMT to Sun 29 Mar 12:00 BST is 23 hours, not 24.
    assert time_left(datetime(2026, 3, 28, 12, 0, tzinfo=L), datetime(2026, 3, 29, 12, 0, tzinfo=L)) == "23 h left"
    # ... and the same in different zones.
    assert time_left(datetime(2026, 3, 28, 12, 0, tzinfo=UTC), datetime(2026, 3, 29, 12, 0, tzinfo=L)) == "23 h left"
    # The repeated hour in October: 01:30 BST comes before 01:30 GMT.
    first, second = datetime(2026, 10, 25, 1, 30, tzinfo=L), datetime(2026, 10, 25, 1, 30, fold=1, tzinfo=L)
    assert time_left(first, second) == "1 h left" and is_after(second, first) and not is_after(first, second)


def test_starts_in() -> None:
    assert starts_in(NOW, NOW + timedelta(hours=6)) == "starts in 6 h"
    assert starts_in(NOW, NOW - timedelta(minutes=20)) == "started 20 min ago"
    assert starts_in(NOW, None) == "start time not set"


def test_fmt_duration_ignores_the_sign() -> None:
    assert fmt_duration(timedelta(minutes=-90)) == fmt_duration(timedelta(minutes=90)) == "1 h 30 min"


def test_escape_markdown_shows_typed_text_literally() -> None:
    from cards.format import escape_markdown

    assert escape_markdown("[x](https://evil.example)") == "\\[x\\](https://evil.example)"
    assert escape_markdown("**bold** _it_ ~s~ `code`") == "\\*\\*bold\\*\\* \\_it\\_ \\~s\\~ \\`code\\`"
    assert escape_markdown("# h\n- a\n  + b\n12. c\n3) d") == "\\# h\n\\- a\n  \\+ b\n12\\. c\n3\\) d"
    assert escape_markdown("<at>Pat</at> a\\b") == "\\<at\\>Pat\\</at\\> a\\\\b"
    # Ordinary text is left alone: hyphens, numbers and full stops inside a line.
    assert escape_markdown("Off sick 3.5 days; re-check on 24/12.") == "Off sick 3.5 days; re-check on 24/12."
    assert escape_markdown(None) == "" and escape_markdown("") == ""
