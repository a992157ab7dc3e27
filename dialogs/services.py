"""What every flow needs besides the database session: the rules in force and the clock's zone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from zoneinfo import ZoneInfo

from procedure import Profile, WorkingDayCalendar
from procedure.times import Style, fmt_when


class MeetingScheduler(Protocol):
    """Creates the Teams meeting (Graph, in `bot/`); absent when Graph is not configured."""

    async def create_meeting(
        self, subject: str, start: datetime, end: datetime, attendees: list[tuple[str, str]]
    ) -> tuple[str, str]:  # (event id, join url)
        ...

    async def attendee_responses(self, event_id: str) -> dict[str, str]:
        """Lower-cased e-mail -> none | accepted | tentativelyAccepted | declined | organizer."""
        ...


@dataclass
class Services:
    profile: Profile
    calendar: WorkingDayCalendar
    tz: ZoneInfo
    escalation_channel: str | None = None
    meetings: MeetingScheduler | None = None

    @classmethod
    def build(
        cls,
        profile: Profile,
        timezone: str = "Europe/London",
        escalation_channel: str | None = None,
        meetings: MeetingScheduler | None = None,
    ) -> Services:
        return cls(profile, WorkingDayCalendar(profile), ZoneInfo(timezone), escalation_channel, meetings)

    def local(self, when: datetime) -> datetime:
        return when.astimezone(self.tz)

    def when(self, at: datetime | None, style: Style = "full") -> str:
        """A time as people read it, in the configured zone (`procedure.times.fmt_when`)."""
        return fmt_when(at, style, self.tz)
