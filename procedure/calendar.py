"""Working days: Monday to Friday less the region's bank holidays (substitute days included,
e.g. Mon 28 Dec 2026 for Boxing Day on a Saturday) and the profile's local closures."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from procedure.profile import Profile

# holidays' subdivisions of the United Kingdom for our region names.
SUBDIVISIONS = {"england-and-wales": "ENG", "scotland": "SCT", "northern-ireland": "NIR"}


@lru_cache(maxsize=64)
def _bank_holidays(region: str, year: int) -> frozenset[date]:
    # The years most cases need come from a table generated from the `holidays` package (the
    # same dates, checked by a test): importing the package loads every country's rules, about
    # half a second for each `sdbot` command that counts working days.
    from procedure.bank_holidays import BANK_HOLIDAYS, FIRST_YEAR, LAST_YEAR

    if FIRST_YEAR <= year <= LAST_YEAR and region in BANK_HOLIDAYS:
        return frozenset(date.fromisoformat(d) for d in BANK_HOLIDAYS[region][year])
    import holidays

    return frozenset(holidays.country_holidays("GB", subdiv=SUBDIVISIONS[region], years=year))


class WorkingDayCalendar:
    def __init__(self, profile: Profile):
        self.profile = profile
        self.tz = ZoneInfo(profile.timezone)
        self._closures = frozenset(profile.closures)

    def is_working_day(self, d: date) -> bool:
        return d.weekday() < 5 and d not in _bank_holidays(self.profile.region, d.year) and d not in self._closures

    def next_working_day(self, d: date) -> date:
        """The first working day strictly after `d`."""
        d += timedelta(days=1)
        while not self.is_working_day(d):
            d += timedelta(days=1)
        return d

    def end_of(self, d: date) -> datetime:
        """The end of local day `d` (profile `end_of_day`), as an aware datetime."""
        return datetime.combine(d, self.profile.end_of_day, tzinfo=self.tz)

    def local_date(self, when: datetime) -> date:
        return when.astimezone(self.tz).date()

    def add_working_days(self, start: datetime, n: int) -> datetime:
        """The end of the Nth working day after the local day of `start` ("within N WD")."""
        d = self.local_date(start)
        for _ in range(n):
            d = self.next_working_day(d)
        return self.end_of(d)

    def working_days_between(self, a: datetime, b: datetime) -> int:
        """Working days after a's local day, up to and including b's local day."""
        start, end = self.local_date(a), self.local_date(b)
        count, d = 0, start
        while d < end:
            d += timedelta(days=1)
            count += self.is_working_day(d)
        return count
