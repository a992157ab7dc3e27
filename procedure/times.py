"""Writing the times people read (the counterpart of `dates.parse_when`): UK style, in the
configured zone, whatever the process's locale or zone. The one place a time is formatted for
people: cards, messages, the record in every format, the digest, reports, the command line."""

from __future__ import annotations

from datetime import date, datetime, tzinfo
from typing import Literal

_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

# full  'Mon 23 Nov 2026, 14:00'   (the default: cards, messages, the record, reports)
# date  'Mon 23 Nov 2026'          (a day: deadlines counted in working days, the digest)
# clock '14:00'                    (the same day is already said)
# input '23/11/2026 14:00'         (what a chair types: a saved answer shown back in a form)
# file  '2026-11-23'               (the day in a file's name)
Style = Literal["full", "date", "clock", "input", "file"]


def fmt_when(when: datetime | date | None, style: Style = "full", tz: tzinfo | None = None) -> str:
    """The one place a time people read is written, UK style, whatever the process locale or
    zone. With `tz` (the configured SDBOT_TIMEZONE, `Services.when`) the time is shown there;
    without, in its own zone (views carry times the dialogs already made local). A naive time
    is refused: Python would read it in the server's zone."""
    if when is None:
        return "not set"
    if isinstance(when, datetime):
        if when.tzinfo is None or when.utcoffset() is None:
            raise ValueError("a time shown to people must carry its zone")
        if tz is not None:
            when = when.astimezone(tz)
        clock = f"{when.hour:02d}:{when.minute:02d}"
    elif style in ("clock", "full"):  # a date has no time to show
        raise ValueError(f"a date has no time for the {style!r} style")
    else:
        clock = ""
    if style == "clock":
        return clock
    if style == "file":
        return f"{when.year}-{when.month:02d}-{when.day:02d}"
    if style == "input":
        return f"{when.day:02d}/{when.month:02d}/{when.year}" + (f" {clock}" if clock else "")
    day = f"{_DAYS[when.weekday()]} {when.day} {_MONTHS[when.month - 1]} {when.year}"
    return day if style == "date" else f"{day}, {clock}"
