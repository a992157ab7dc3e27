"""Nothing accepted is lost: 429 with Retry-After, 5xx and dropped connections are retried,
in order per conversation, each message delivered once; a message that keeps failing is
marked failed and the chair is told."""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict

from sqlalchemy import select

from storage import outbox
from storage.db import transaction
from storage.models import OutboxMessage
from tests.conftest import Bot
from tests.test_convene_flow import CHRIS_CHAT, card_json, sent_to, verb_data


async def test_throttling_and_outages_lose_nothing_and_keep_order(bot: Bot) -> None:
    targets = [{"kind": "conversation", "conversation_id": f"a:conv-{n}", "service_url": bot.connector.url} for n in range(3)]
    bot.connector.fail_next(3, 429, retry_after=0.3)
    bot.connector.fail_next(4, 503)
    bot.connector.drop_connection_next(2)
    started = time.monotonic()
    async with transaction(bot.state["factory"]) as session:
        for i in range(8):
            for t in targets:
                await outbox.enqueue(session, target=t, payload={"type": "message", "text": f"{t['conversation_id']} #{i}"})
    bot.state["worker"].wake()
    await bot.drain(timeout=30)
    elapsed = time.monotonic() - started
    failed = [r for r in bot.connector.requests if r.status in (429, 503, 0)]
    assert len(failed) == 9  # every injected failure happened...
    delivered: dict[str, list[str]] = defaultdict(list)
    for m in bot.connector.sent:
        delivered[m.conversation_id].append(m.activity["text"])
    for t in targets:  # ...and still each message arrived once, in order
        cid = t["conversation_id"]
        assert delivered[cid] == [f"{cid} #{i}" for i in range(8)]
    assert elapsed >= 0.3  # Retry-After was honoured
    async with bot.state["factory"]() as session:
        rows = (await session.scalars(select(OutboxMessage))).all()
    assert all(r.status == "sent" for r in rows)
    assert sum(r.attempts for r in rows) == len(rows) + 9


async def test_a_message_that_keeps_failing_is_marked_failed_and_the_chair_is_told(bot: Bot) -> None:
    await bot.say("chris", "convene CR-700 at today 15:00")
    await bot.drain()
    summary = sent_to(bot, CHRIS_CHAT)[-1]
    # Creating threads is refused (403: e.g. the bot was removed from the team); retrying cannot help.
    bot.connector.fail_next(2, 403, match="/v3/conversations")
    await bot.click("chris", "send_invitations", verb_data(summary.activity, "send_invitations"), CHRIS_CHAT)
    await bot.drain(timeout=20)
    async with bot.state["factory"]() as session:
        failed = (await session.scalars(select(OutboxMessage).where(OutboxMessage.status == "failed"))).all()
    assert len(failed) == 2 and all("403" in (r.last_error or "") for r in failed)
    assert all(r.attempts == 1 for r in failed)  # a permanent refusal is not retried
    notices = [m for m in sent_to(bot, CHRIS_CHAT) if "did not reach" in card_json(m.activity)]
    assert len(notices) == len([r for r in failed if r.order_key != f"conv:{CHRIS_CHAT}"])
    text = " ".join(card_json(n.activity) for n in notices)
    assert "Police (MASH) channel" in text and "Teams answered 403" in text


async def test_teams_rate_limits_per_conversation_are_respected(bot: Bot) -> None:
    target = {"kind": "conversation", "conversation_id": "a:busy", "service_url": bot.connector.url}
    other = {"kind": "conversation", "conversation_id": "a:quiet", "service_url": bot.connector.url}
    async with transaction(bot.state["factory"]) as session:
        for i in range(16):
            await outbox.enqueue(session, target=target, payload={"type": "message", "text": f"busy {i}"})
        await outbox.enqueue(session, target=other, payload={"type": "message", "text": "quiet"})
    bot.state["worker"].wake()
    await bot.drain(timeout=30)
    times = sorted(r.at for r in bot.connector.requests if r.conversation_id == "a:busy" and r.status == 200)
    assert len(times) == 16
    for i in range(len(times)):
        in_one_second = [t for t in times[i:] if t - times[i] < 1.0]
        assert len(in_one_second) <= 7  # Teams: 7 sends per second per conversation
    assert times[-1] - times[0] >= 2.0  # 16 messages need at least three 1-second windows
    assert [m.activity["text"] for m in bot.connector.sent if m.conversation_id == "a:busy"] == [f"busy {i}" for i in range(16)]


async def test_rate_limits_hold_across_two_workers(bot: Bot) -> None:
    from bot.connector import ConnectorClient
    from bot.outbox import OutboxWorker

    first = bot.state["worker"]
    first.stop()  # its background loop must not take every row: the two workers below take turns
    await asyncio.sleep(0.05)
    target = {"kind": "conversation", "conversation_id": "a:shared", "service_url": bot.connector.url}
    async with transaction(bot.state["factory"]) as session:
        for i in range(14):
            await outbox.enqueue(session, target=target, payload={"type": "message", "text": f"m {i}"})
    import aiohttp

    async with aiohttp.ClientSession() as http:
        second = OutboxWorker(bot.state["factory"], ConnectorClient(http), bot.settings)
        # Two workers (as two instances would) drain the same conversation, in turns: each paces
        # by the other's sends too (they are in the database), not only by its own.
        for _ in range(40):
            await second.run_once()
            await first.run_once()
            async with bot.state["factory"]() as session:
                if await outbox.pending_count(session) == 0:
                    break
    await bot.drain()
    times = sorted(r.at for r in bot.connector.requests if r.conversation_id == "a:shared" and r.status == 200)
    assert len(times) == 14
    assert all(len([t for t in times[i:] if t - times[i] < 1.0]) <= 7 for i in range(len(times)))
    async with bot.state["factory"]() as session:
        owners = {r.lease_owner for r in await outbox.messages(session) if r.conversation_id == "a:shared"}
    assert len(owners) == 2
