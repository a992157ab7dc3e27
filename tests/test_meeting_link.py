"""With Graph configured, Send invitations creates the Teams meeting after the reply, and the
invitations carry its join link; when Graph fails, they go anyway and say so."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.conftest import Bot, Clock, bot_with_graph
from tests.support.connector import FakeConnector
from tests.support.identity import FakeIdentityAndGraph
from tests.test_convene_flow import CHRIS_CHAT, card_json, sent_to, verb_data


@pytest.fixture
async def graph_bot(sqlite_url: str, connector: FakeConnector, clock: Clock,
                    monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[tuple[Bot, FakeIdentityAndGraph]]:  # fmt: skip
    async with bot_with_graph(sqlite_url, connector, clock, monkeypatch, max_attempts=3, backoff_base=0.05) as running:
        yield running


async def invite(bot: Bot) -> None:
    await bot.say("chris", "convene CR-321 at today 15:00")
    await bot.drain()
    summary = sent_to(bot, CHRIS_CHAT)[-1]
    status, body = await bot.click("chris", "send_invitations", verb_data(summary.activity, "send_invitations"), CHRIS_CHAT)
    assert status == 200 and "Creating the Teams meeting" in str(body)
    await bot.state["scheduler"].run_once()
    await bot.drain()


async def test_invitations_carry_the_teams_meeting_link(graph_bot: tuple[Bot, FakeIdentityAndGraph]) -> None:
    bot, fake = graph_bot
    await invite(bot)
    [event] = fake.events.values()
    assert "CR-321" in event["subject"]
    assert {a["emailAddress"]["address"] for a in event["attendees"]} >= {"pat@example.org", "hana@example.org"}
    [police] = sent_to(bot, "19:police-sd@thread.tacv2;messageid=")
    assert event["onlineMeeting"]["joinUrl"] in card_json(police.activity)


async def test_graph_down_still_sends_the_invitations(graph_bot: tuple[Bot, FakeIdentityAndGraph]) -> None:
    bot, fake = graph_bot
    fake.fail_next(100, 503)
    await invite(bot)
    [police] = sent_to(bot, "19:police-sd@thread.tacv2;messageid=")
    assert "could not be created" in card_json(police.activity)
