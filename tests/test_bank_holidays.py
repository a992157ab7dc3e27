"""The bank-holiday table (procedure/bank_holidays.py, which saves importing `holidays` on every
command) holds exactly what the pinned `holidays` package says, for every region and year; and
outside the table the calendar still asks the package."""

from __future__ import annotations

from datetime import date

import holidays

from procedure.bank_holidays import BANK_HOLIDAYS, FIRST_YEAR, LAST_YEAR
from procedure.calendar import SUBDIVISIONS, _bank_holidays


def test_the_table_is_what_the_holidays_package_says() -> None:
    assert set(BANK_HOLIDAYS) == set(SUBDIVISIONS)
    for region, code in SUBDIVISIONS.items():
        assert set(BANK_HOLIDAYS[region]) == set(range(FIRST_YEAR, LAST_YEAR + 1))
        for year in range(FIRST_YEAR, LAST_YEAR + 1):
            expected = set(holidays.country_holidays("GB", subdiv=code, years=year))
            assert {date.fromisoformat(d) for d in BANK_HOLIDAYS[region][year]} == expected, (region, year,
                "regenerate: .venv/bin/python scripts/bank_holidays.py")  # fmt: skip
    assert LAST_YEAR >= date.today().year + 10  # regenerate (and extend) well before it runs out


def test_years_outside_the_table_come_from_the_package() -> None:
    year = LAST_YEAR + 1
    assert _bank_holidays("england-and-wales", year) == frozenset(holidays.country_holidays("GB", subdiv="ENG", years=year))
    assert date(2026, 12, 28) in _bank_holidays("england-and-wales", 2026)  # Boxing Day's substitute
    assert date(2026, 11, 30) in _bank_holidays("scotland", 2026)  # St Andrew's Day
