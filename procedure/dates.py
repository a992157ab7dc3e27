"""Reading the dates people type, UK style, in the local zone, right across clock changes."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

EXAMPLES = ("e.g. 'now', 'today 09:30', 'tomorrow 2pm', '24/12/2026 10:00', 'next Friday 11:00', 'in 2 hours', "
            "'20 minutes ago'")
DEFAULT_TIME = time(9, 0)  # a date with no time means the start of the working day
# "in 2 hours" and "20 minutes ago" carry their time of day: they are never moved to 09:00.
_HAS_TIME = re.compile(
    r"\d{1,2}[:.]\d{2}|\d\s*(am|pm)\b|\b(noon|midday|midnight|now)\b|\b(an?|\d+)\s*(hours?|hrs?|minutes?|mins?)\b",
    re.I,
)
_RELATIVE = re.compile(r"^(?:in\s+(?P<ahead>an?|\d{1,4})\s*(?P<unit1>hours?|hrs?|minutes?|mins?)"
                       r"|(?P<back>an?|\d{1,4})\s*(?P<unit2>hours?|hrs?|minutes?|mins?)\s+ago)$", re.I)
_WEEKDAY = re.compile(r"^(next\s+|this\s+|on\s+)?(monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b", re.I)


class DateParseError(ValueError):
    def __init__(self, text: str, why: str = ""):
        self.text = text
        super().__init__(f"I could not read '{text[:60]}' as a date and time{': ' + why if why else ''}. Try {EXAMPLES}.")


def _resolve_gap(naive: datetime, zone: ZoneInfo) -> datetime:
    """Attach the zone; a wall-clock time in the spring-forward gap moves forward an hour."""
    aware = naive.replace(tzinfo=zone)
    roundtrip = aware.astimezone(ZoneInfo("UTC")).astimezone(zone)
    if roundtrip.replace(tzinfo=None) != naive:
        aware = (naive + timedelta(hours=1)).replace(tzinfo=zone)
    return aware


def parse_when(text: str, now: datetime, tz: str = "Europe/London", prefer: str = "future") -> datetime:
    """`text` as an aware datetime in `tz`. `prefer` ("future" or "past") is how a date without
    a year or a bare weekday is read: the next one (a start) or the last one (something held).

    dateparser keeps the starting UTC offset when a relative date crosses a clock change
    (TEAMS-NOTES), so it parses naive wall-clock time against the naive local `now`, and the
    zone is attached afterwards."""
    cleaned = " ".join((text or "").strip().split())
    if not cleaned:
        raise DateParseError(text, "it is empty")
    if len(cleaned) > 60:
        raise DateParseError(text, "it is too long")
    zone = ZoneInfo(tz)
    local_now = now.astimezone(zone)
    base = local_now.replace(tzinfo=None)
    if cleaned.lower() == "now":
        return local_now
    relative = _RELATIVE.match(cleaned)
    if relative:
        # Elapsed time, not wall-clock arithmetic: "in 2 hours" is right across a clock change.
        amount = relative.group("ahead") or relative.group("back")
        unit = (relative.group("unit1") or relative.group("unit2")).lower()
        span = timedelta(**{"hours" if unit.startswith("h") else "minutes": 1 if amount.lower() in ("a", "an") else int(amount)})
        utc_now = local_now.astimezone(ZoneInfo("UTC"))
        moved = utc_now + span if relative.group("ahead") else utc_now - span
        return moved.astimezone(zone).replace(microsecond=0)
    phrase = cleaned
    match = _WEEKDAY.match(phrase)
    if match and match.group(1) and match.group(1).strip().lower() == "next":
        phrase = phrase[len(match.group(1)):]  # dateparser reads "next friday" oddly; a bare weekday is the next one
    import dateparser  # here, not at the top: ~0.2 s to import, and most commands parse no date

    parsed = dateparser.parse(
        phrase,
        languages=["en"],
        settings={
            "DATE_ORDER": "DMY",
            "PREFER_DATES_FROM": "past" if prefer == "past" else "future",
            "RELATIVE_BASE": base,
            "RETURN_AS_TIMEZONE_AWARE": False,
            "PREFER_DAY_OF_MONTH": "first",
            "STRICT_PARSING": False,
        },
    )
    if parsed is None:
        raise DateParseError(text)
    if parsed.tzinfo is not None:  # an explicit offset or zone in the text: honour it
        return parsed.astimezone(zone)
    if not _HAS_TIME.search(cleaned):
        parsed = datetime.combine(parsed.date(), DEFAULT_TIME)
    if match and prefer != "past" and parsed.date() <= base.date():
        parsed += timedelta(days=7)
    elif match and prefer == "past" and parsed.date() > base.date():
        parsed -= timedelta(days=7)
    return _resolve_gap(parsed.replace(microsecond=0), zone)
