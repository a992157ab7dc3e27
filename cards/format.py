"""How things read on a card: times UK style (`procedure.times.fmt_when`, re-exported here for
the cards), spans of time, and what people typed, shown as they typed it (never as Markdown)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from procedure.times import Style, fmt_when

__all__ = ["Style", "escape_markdown", "fmt_duration", "fmt_when", "is_after", "starts_in", "time_left"]


def fmt_duration(span: timedelta) -> str:
    """A wall-clock span, rounded down: '2 h 15 min', '1 day 3 h', 'under 1 min'.

    Minutes are left out once the span is a day or more: nobody plans to the minute then.
    """
    minutes = int(abs(span).total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    parts: list[str] = []
    if days:
        parts.append(f"{days} day" if days == 1 else f"{days} days")
    if hours:
        parts.append(f"{hours} h")
    if mins and not days:
        parts.append(f"{mins} min")
    return " ".join(parts) or "under 1 min"


def _between(start: datetime, end: datetime) -> timedelta:
    # Python subtracts two datetimes of the same zone as naive wall times (an hour out across a
    # clock change); in UTC the span is the real time elapsed.
    return end.astimezone(UTC) - start.astimezone(UTC)


def time_left(now: datetime, deadline: datetime) -> str:
    """'2 h 15 min left' or 'overdue by 1 h 5 min': real elapsed time, not working days."""
    span = _between(now, deadline)
    if span >= timedelta(0):
        return f"{fmt_duration(span)} left"
    return f"overdue by {fmt_duration(span)}"


def starts_in(now: datetime, start: datetime | None) -> str:
    """'starts in 6 h', 'started 20 min ago', or 'start time not set'."""
    if start is None:
        return "start time not set"
    span = _between(now, start)
    if span >= timedelta(0):
        return f"starts in {fmt_duration(span)}"
    return f"started {fmt_duration(span)} ago"


def is_after(a: datetime, b: datetime) -> bool:
    """a later than b in real time (also across a clock change's repeated hour)."""
    return _between(b, a) > timedelta(0)


# Adaptive Card TextBlocks (and FactSet values) render a Markdown subset: **bold**, _italic_,
# [links](...), lists; some clients also headings, quotes and inline HTML such as <at>. What a
# person typed must show literally: a reason must not become a link, a heading or a mention.
_ACTIVE_ANYWHERE = frozenset("\\`*_[]~<>#|")
_ACTIVE_AT_LINE_START = frozenset("-+=")


def _escape_line(line: str) -> str:
    out = ["\\" + c if c in _ACTIVE_ANYWHERE else c for c in line]
    start = len(line) - len(line.lstrip())
    if start < len(line):
        if line[start] in _ACTIVE_AT_LINE_START:  # a bullet
            out[start] = "\\" + line[start]
        else:  # "1." or "1)" numbering: escape the mark after the digits
            end = start
            while end < len(line) and line[end].isdigit():
                end += 1
            if end > start and end < len(line) and line[end] in ".)":
                out[end] = "\\" + line[end]
    return "".join(out)


def escape_markdown(text: str | None) -> str:
    """`text` with every Markdown-active character backslash-escaped (lists and numbering only
    at the start of a line), so a card shows it exactly as typed. Also used by the export."""
    if not text:
        return ""
    return "\n".join(_escape_line(line) for line in text.split("\n"))
