"""Times people read are in the configured zone (SDBOT_TIMEZONE, Europe/London by default),
never the server's: the bot runs here with the process in Pacific/Auckland (12 hours ahead in
May) and every time a person sees is still London's. In May London is on BST, so a time shown
in UTC would be an hour out as well."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.export import export_case
from procedure.times import fmt_when
from tests.conftest import Bot
from tests.support import activities
from tests.test_convene_flow import CHRIS_CHAT, card_json, sent_to
from tests.test_record import REF, fully_recorded, record_messages

LONDON = ZoneInfo("Europe/London")
DUE = "Thu 21 May 2026, 12:00"  # the action `fully_recorded` sets: "tomorrow 12:00" on 20 May, London
AUCKLAND_DUE = "Thu 21 May 2026, 23:00"  # the same moment as Auckland's clock reads it
UTC_DUE = "Thu 21 May 2026, 11:00"


@pytest.fixture
def server_in_auckland(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("TZ", "Pacific/Auckland")
    time.tzset()
    try:
        # The process's own zone really is far away: a zone-less astimezone() would show 23:00.
        assert datetime(2026, 5, 21, 11, 0, tzinfo=UTC).astimezone().hour == 23
        yield
    finally:
        monkeypatch.undo()
        time.tzset()


async def test_times_people_see_are_in_the_configured_zone_not_the_servers(
    bot: Bot, server_in_auckland: None, tmp_path: Path
) -> None:
    await fully_recorded(bot)
    # Before and at the discussion: the convene-by deadline (the same day, SX 6.6) on the
    # chair's cards, the start on the police's invitation and meeting card.
    chair = json.dumps([m.activity for m in sent_to(bot, CHRIS_CHAT)])
    assert "Wed 20 May 2026, 23:59" in chair and "Thu 21 May 2026, 11:59" not in chair
    police = json.dumps([m.activity for m in sent_to(bot, "19:police-sd") + sent_to(bot, activities.personal_conversation("29:pat"))])
    assert "Wed 20 May 2026, 15:00" in police and "Thu 21 May 2026, 02:00" not in police
    # The owner's private notice of the action and the chair's record card.
    sam = json.dumps([m.activity for m in sent_to(bot, activities.personal_conversation("29:sam"))])
    assert f"Due {DUE}" in sam
    record = json.dumps(record_messages(bot))
    assert DUE in record and "Wed 20 May 2026, 15:00" in record  # the action; when it was held
    for text in (sam, record):
        assert AUCKLAND_DUE not in text and UTC_DUE not in text
    # The record as a file.
    out = tmp_path / f"{REF}.md"
    assert await export_case(bot.settings, REF, "md", str(out)) == 0
    md = out.read_text()
    assert DUE in md and AUCKLAND_DUE not in md and UTC_DUE not in md
    # The overdue escalation, after the due time: its ping and the chair's notice.
    bot.clock.set(datetime(2026, 5, 21, 12, 30, tzinfo=LONDON))
    await bot.state["scheduler"].run_once()
    await bot.drain()
    overdue = [card_json(m.activity) for m in bot.connector.sent if "Action overdue" in card_json(m.activity)]
    assert overdue and all(f"was due {DUE}" in text for text in overdue)
    # The chair's list of cases.
    await bot.say("chris", "cases")
    await bot.drain()
    listed = card_json(sent_to(bot, CHRIS_CHAT)[-1].activity)
    assert REF in listed and "Thu 21 May 2026, 23:59" in listed  # circulate by: 1 WD after 20 May


def test_sdbot_check_refuses_a_display_zone_other_than_the_profiles(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("Microsoft", "SDBOT_"))}
    run = partial(subprocess.run, [sys.executable, "-m", "bot.cli", "check"], capture_output=True, text=True,
                  timeout=60, cwd=tmp_path)  # fmt: skip
    assert run(env={**env, "SDBOT_TIMEZONE": "Europe/London"}).returncode == 0
    wrong = run(env={**env, "SDBOT_TIMEZONE": "Pacific/Auckland"})
    assert wrong.returncode == 1 and "Pacific/Auckland" in wrong.stderr and "Europe/London" in wrong.stderr


def test_the_formatter_shows_a_time_in_the_zone_it_is_given() -> None:
    moment = datetime(2026, 5, 21, 11, 0, tzinfo=UTC)
    assert fmt_when(moment, tz=LONDON) == DUE
    assert fmt_when(moment, "clock", LONDON) == "12:00"
    assert fmt_when(moment, "input", LONDON) == "21/05/2026 12:00"
    assert fmt_when(moment.date(), "date") == "Thu 21 May 2026"
    assert fmt_when(None) == "not set"
    with pytest.raises(ValueError, match="zone"):
        fmt_when(datetime(2026, 5, 21, 12, 0))  # naive: Python would read it in the server's zone
