"""Who receives the record (issue 12, point 6): the chair and the invited agencies, and the
agency kinds the profile names (`[record] also_to`, the GP in the shipped profiles, SX 6.6
Recording); nobody else, not even someone of another agency who attended."""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from procedure import AGENDA
from procedure.profile import PROFILES_DIR
from tests.conftest import Bot, Clock, make_settings
from tests.support import activities
from tests.support.connector import FakeConnector
from tests.test_convene_flow import CHRIS_CHAT
from tests.test_discussion_flow import held, next_step
from tests.test_record import ANSWERS, record_messages

REF = "CR-7201"


def _profile_without_extra_recipients(tmp_path: Path) -> Path:
    """Pan-Sussex with `[record] also_to = []`, written as a local authority would."""
    text = (PROFILES_DIR / "pan-sussex.toml").read_text()
    assert 'also_to = ["gp"]' in text
    path = tmp_path / "no-gp.toml"
    path.write_text(text.replace('also_to = ["gp"]', "also_to = []"))
    assert tomllib.loads(path.read_text())["record"]["also_to"] == []
    return path


@pytest.fixture
async def bot_without_gp(sqlite_url: str, connector: FakeConnector, clock: Clock, tmp_path: Path) -> AsyncIterator[Bot]:
    settings = make_settings(sqlite_url, service_url=connector.url, profile=str(_profile_without_extra_recipients(tmp_path)))
    harness = Bot(settings, connector, clock)
    await harness.start()
    try:
        yield harness
    finally:
        await harness.stop()


async def _held_and_closed(bot: Bot) -> str:
    """Police and health accept (education is invited too); the LADO, not invited, is typed in
    as present; every step answered; closed."""
    did = await held(bot, REF, flags="school")
    for step in AGENDA:
        if step.key == "attendance":
            body = await next_step(bot, did, "attendance", {"others": "lara@example.org"})
            assert "Not found in the directory" not in str(body)  # matched: Lara Lado attended
        elif step.key == "decisions":
            await next_step(bot, did, "decisions", {"decision:s47": "single", "rationale:s47": "Concerns need enquiry."})
        elif step.key == "medical":
            await next_step(bot, did, "medical", {"decision:medical": "not-needed", "rationale:medical": "No injury."})
        elif step.key == "actions":
            status, _ = await bot.click("chris", "agenda_add_action", {"discussion_id": did, "step": "actions",
                "what": "Visit the child", "owner": "sam", "due": "tomorrow 12:00", "purpose": "See the child alone"},
                CHRIS_CHAT)  # fmt: skip
            assert status == 200
            await next_step(bot, did, "actions")
        else:
            await next_step(bot, did, step.key, ANSWERS.get(step.key, {}))
    await bot.say("chris", f"close {REF}")
    await bot.drain()
    return did


async def test_the_record_goes_to_the_chair_and_the_invited_agencies_only(bot_without_gp: Bot) -> None:
    bot = bot_without_gp
    did = await _held_and_closed(bot)
    [*_, last] = record_messages(bot)
    [goes_to] = [line for line in re.findall(r"Goes to: [^\"']*", json.dumps(last))]
    assert "Pat" in goes_to and "Hana" in goes_to and "Lara" not in goes_to and "Gina" not in goes_to
    status, _ = await bot.click("chris", "approve_circulation", {"discussion_id": did}, CHRIS_CHAT)
    assert status == 200
    await bot.drain()
    assert record_messages(bot, activities.personal_conversation("29:pat"))  # police: invited
    assert record_messages(bot, activities.personal_conversation("29:hana"))  # health: invited
    assert not record_messages(bot, activities.personal_conversation("29:lara"))  # attended, not invited
    assert not record_messages(bot, activities.personal_conversation("29:gina"))  # the profile names no GP
