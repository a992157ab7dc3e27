"""Convene, invite, RSVP, end to end through /api/messages and the fake Bot Connector."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select

from storage.models import AuditEntry, Discussion, Invitation
from tests.conftest import PEOPLE, Bot
from tests.support import activities

CHRIS_CHAT = activities.personal_conversation("29:chris")


def card_json(activity: dict[str, Any]) -> str:
    return json.dumps([a.get("content") for a in activity.get("attachments", [])])


def actions_of(card: Any) -> list[dict[str, Any]]:
    """Every Action.Execute in a card, including those inside ShowCards."""
    found: list[dict[str, Any]] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "Action.Execute":
                found.append(node)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(card)
    return found


def verb_data(activity_or_card: Any, verb: str) -> dict[str, Any]:
    for a in actions_of(activity_or_card):
        if a.get("verb") == verb:
            return dict(a.get("data") or {})
    raise AssertionError(f"no {verb} button in {json.dumps(activity_or_card)[:500]}")


def titles(card: Any) -> list[str]:
    titles: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if str(node.get("type", "")).startswith("Action.") and "title" in node:
                titles.append(node["title"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(card)
    return titles


async def discussions(bot: Bot) -> list[Discussion]:
    async with bot.state["factory"]() as session:
        return list((await session.scalars(select(Discussion))).all())


async def invitation_for(bot: Bot, kind: str) -> Invitation:
    async with bot.state["factory"]() as session:
        row = await session.scalar(select(Invitation).where(Invitation.agency_kind == kind))
    assert row is not None
    return row


def sent_to(bot: Bot, prefix: str) -> list[Any]:
    return [m for m in bot.connector.sent if m.conversation_id.startswith(prefix)]


async def test_whole_path_convene_invite_accept_late_withdrawal_export(bot: Bot) -> None:
    # Monday 23 November 2026, 09:00 in London.
    bot.clock.set(datetime(2026, 11, 23, 9, 0, tzinfo=UTC))
    await bot.say("chris", "convene CR-1234 referral today 08:40 concerns serious-injury flags medical at today 15:00")
    await bot.drain()
    [summary] = sent_to(bot, CHRIS_CHAT)
    text = card_json(summary.activity)
    assert "CR-1234" in text and "same day" in text.lower()
    assert "Send invitations" in titles(summary.activity)
    for kind_word in ("Police", "Health", "Paediatric"):
        assert kind_word in text
    [d] = await discussions(bot)
    assert d.status == "draft" and d.convene_by.astimezone(UTC) == datetime(2026, 11, 23, 23, 59, tzinfo=UTC)

    await bot.restart()  # nothing lives in memory between steps
    status, body = await bot.click("chris", "send_invitations", verb_data(summary.activity, "send_invitations"), CHRIS_CHAT)
    assert status == 200 and body["statusCode"] == 200
    assert "Send invitations" not in titles(body["value"])
    await bot.drain()
    police_threads = sent_to(bot, "19:police-sd@thread.tacv2;messageid=")
    health_threads = sent_to(bot, "19:health-sd@thread.tacv2;messageid=")
    assert len(police_threads) == 1 and len(health_threads) == 1
    invitation_text = card_json(police_threads[0].activity)
    assert "CR-1234" in invitation_text and {"Accept", "Decline", "Delegate"} <= set(titles(police_threads[0].activity))
    # Paediatrics has no channel: a personal chat with its people.
    assert sent_to(bot, activities.personal_conversation("29:pia"))
    roster = [m for m in sent_to(bot, CHRIS_CHAT) if m is not summary]
    assert len(roster) == 1
    roster_id = roster[0].activity_id

    police = verb_data(police_threads[0].activity, "accept")
    await bot.restart()
    status, body = await bot.click("pat", "accept", police, police_threads[0].conversation_id)
    assert status == 200 and "Withdraw" in titles(body["value"])
    health = verb_data(health_threads[0].activity, "accept")
    status, _ = await bot.click("hana", "accept", health, health_threads[0].conversation_id)
    assert status == 200
    paed = verb_data(sent_to(bot, activities.personal_conversation("29:pia"))[0].activity, "accept")
    status, _ = await bot.click("pia", "accept", paed)
    assert status == 200
    await bot.drain()
    # The roster card is edited in place, never re-posted.
    assert len([m for m in sent_to(bot, CHRIS_CHAT) if m is not summary]) == 1
    assert any(u.activity_id == roster_id for u in bot.connector.updates)
    [roster_now] = [a for a in bot.connector.messages_in(CHRIS_CHAT) if a["id"] == roster_id]
    assert "quorate" in card_json(roster_now).lower()
    latest_update = [u for u in bot.connector.updates if u.activity_id == roster_id][-1]
    assert "quorate" in card_json(latest_update.activity).lower()
    assert "inquorate" not in card_json(latest_update.activity).lower()

    # 14:30, half an hour before the start: the police withdraw. That is late (24 h window).
    bot.clock.set(datetime(2026, 11, 23, 14, 30, tzinfo=UTC))
    before_escalations = len(sent_to(bot, "19:escalations@thread.tacv2"))
    status, body = await bot.click("olly", "withdraw", {**police, "withdraw_reason": "Called to an incident"},
                                   police_threads[0].conversation_id)  # fmt: skip
    assert status == 200
    await bot.drain()
    pings = sent_to(bot, "19:escalations@thread.tacv2")
    assert len(pings) == before_escalations + 1
    ping = pings[-1].activity
    mentions = [e for e in ping.get("entities", []) if e.get("type") == "mention"]
    assert mentions and mentions[0]["mentioned"]["id"] == PEOPLE["ina"]["teams_id"]
    assert mentions[0]["text"] == "<at>Ina Inspector</at>" and "<at>Ina Inspector</at>" in ping["text"]
    assert "CR-1234" in ping["text"]
    chair_notices = [m for m in sent_to(bot, CHRIS_CHAT) if "withdrew late" in card_json(m.activity)]
    assert len(chair_notices) == 1
    # Free text stays out of channels: the reason reaches the chair only.
    assert "Called to an incident" in card_json(chair_notices[0].activity)
    assert not any("Called to an incident" in json.dumps(m.activity) for m in bot.connector.sent if m.conversation_id.startswith("19:"))
    latest_update = [u for u in bot.connector.updates if u.activity_id == roster_id][-1]
    assert "inquorate" in card_json(latest_update.activity).lower()

    # The export shows all of it.
    env = {**os.environ, "DATABASE_URL": bot.settings.database_url}
    result = subprocess.run([sys.executable, "-m", "bot.cli", "export", "CR-1234", "--format", "json"],
                            capture_output=True, text=True, env=env, timeout=120)  # fmt: skip
    assert result.returncode == 0, result.stderr
    record = json.loads(result.stdout)
    [exported] = record["discussions"]
    assert exported["status"] == "invited" and exported["quorate"] is False
    assert exported["convene_by"].startswith("2026-11-23T23:59") and "same day" in exported["convene_by_rule"].lower()
    by_agency = {i["agency"]: i for i in exported["invitations"]}
    assert by_agency["police"]["status"] == "withdrawn" and by_agency["police"]["late"] is True
    assert by_agency["health"]["status"] == "accepted" and by_agency["paediatrics"]["status"] == "accepted"
    [esc] = [e for e in exported["escalations"] if e["kind"] == "late_withdrawal"]
    assert esc["agency"] == "police" and esc["notified"] == [{"name": "Ina Inspector", "role": "Detective Inspector (duty)"}]
    assert esc["at"].startswith("2026-11-23T14:30")
    for fmt, marker in (("md", "**CONFIDENTIAL.**"), ("html", "<h1>Strategy discussion record: CR-1234</h1>")):
        out = subprocess.run([sys.executable, "-m", "bot.cli", "export", "CR-1234", "--format", fmt],
                             capture_output=True, text=True, env=env, timeout=120)  # fmt: skip
        assert out.returncode == 0 and marker in out.stdout and "Withdrawn, Mon 23 Nov 2026, 14:30" in out.stdout
        assert "LATE" in out.stdout and "Called to an incident" in out.stdout
    missing = subprocess.run([sys.executable, "-m", "bot.cli", "export", "CR-0000"], capture_output=True, text=True, env=env, timeout=120)
    assert missing.returncode == 1 and "CR-0000" in missing.stderr
    async with bot.state["factory"]() as session:
        actions = (await session.scalars(select(AuditEntry.action).order_by(AuditEntry.id))).all()
    assert ["convene", "send_invitations", "invitation_accept", "invitation_accept", "invitation_accept",
            "invitation_withdraw", "escalation"] == [a for a in actions if a not in ("refused_answer", "export")]
    assert actions.count("export") == 3  # json, md, html: each record that left is audited


async def test_convene_by_form(bot: Bot) -> None:
    await bot.say("chris", "convene")
    await bot.drain()
    [form] = bot.connector.sent
    assert any(a.get("verb") == "convene_form" for a in actions_of(form.activity))
    bad = {"case_ref": "CR-77", "referral": "blursday", "concerns": "serious-neglect", "flags": "wings", "at": "today 16:00"}
    status, body = await bot.click("chris", "convene_form", bad, CHRIS_CHAT)
    assert status == 200
    text = json.dumps(body["value"])
    assert "blursday" in text and "wings" in text  # both problems shown at once, the values kept
    assert await discussions(bot) == []
    good = {**bad, "referral": "today 08:00", "flags": "school"}
    status, body = await bot.click("chris", "convene_form", good, CHRIS_CHAT)
    assert status == 200 and "Send invitations" in titles(body["value"])
    [d] = await discussions(bot)
    assert d.case_ref == "CR-77" and d.concerns == ["serious-neglect"] and d.flags == ["school"]


async def test_rejections_change_nothing(bot: Bot) -> None:
    # A person who may not chair.
    await bot.say("pat", "convene CR-9 at today 15:00")
    # An unknown flag, an unknown concern, an unreadable date.
    await bot.say("chris", "convene CR-9 flags wings")
    await bot.say("chris", "convene CR-9 concerns meteor")
    await bot.say("chris", "convene CR-9 at blursday 25pm")
    await bot.say("chris", "convene CR-9 colour blue")
    await bot.say("chris", "convene CR-9 at today 08:00")  # 09:00 now: already past
    await bot.drain()
    replies = [card_json(m.activity) for m in bot.connector.sent]
    assert len(replies) == 6
    assert "in the past" in replies[5]
    assert "chair" in replies[0].lower()
    assert "wings" in replies[1] and "medical" in replies[1]
    # The choices are listed once, under the message (not also inside it).
    assert replies[1].count("position-of-trust") == 1 and "Valid choices" in replies[1]
    assert "meteor" in replies[2] and "serious-injury" in replies[2]
    assert "blursday" in replies[3]
    assert "colour" in replies[4]
    assert await discussions(bot) == []


async def test_a_stranger_cannot_answer_and_a_repeated_press_counts_once(bot: Bot) -> None:
    await bot.say("chris", "convene CR-55 at today 16:00")
    await bot.drain()
    summary = bot.connector.sent[0]
    await bot.click("chris", "send_invitations", verb_data(summary.activity, "send_invitations"), CHRIS_CHAT)
    await bot.drain()
    [police_thread] = sent_to(bot, "19:police-sd@thread.tacv2;messageid=")
    accept = verb_data(police_thread.activity, "accept")
    # Ed is in education: not invited for the police.
    status, body = await bot.click("ed", "accept", accept, police_thread.conversation_id)
    assert status == 200 and "can't answer" in json.dumps(body["value"]).lower()
    assert (await invitation_for(bot, "police")).status == "pending"
    updates_before = len(bot.connector.updates)
    # Teams retries the same activity: it counts once and notifies once.
    first = await bot.click("pat", "accept", accept, police_thread.conversation_id, activity_id="retry-1")
    again = await bot.click("pat", "accept", accept, police_thread.conversation_id, activity_id="retry-1")
    assert first == again
    await bot.drain()
    inv = await invitation_for(bot, "police")
    assert inv.status == "accepted" and inv.person_id == "pat"
    async with bot.state["factory"]() as session:
        accepted = await session.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "invitation_accept"))
    assert accepted == 1
    new_updates = bot.connector.updates[updates_before:]
    assert len(new_updates) == 2  # the invitation card and the roster, each edited once
    # An unknown invitation id, and a card with no verb, get clear errors.
    status, body = await bot.click("pat", "accept", {"invitation_id": "nope"})
    assert status == 200 and "unknown" in json.dumps(body).lower()


async def test_convene_by_mentioning_the_bot_in_a_channel(bot: Bot) -> None:
    # Chris has never talked to the bot privately: the bot creates the 1:1 chat itself.
    await bot.say("chris", "convene CR-4321 flags school at tomorrow 10:00", channel_id="19:csc-sd@thread.tacv2")
    await bot.drain()
    [note] = [m for m in bot.connector.sent if m.conversation_id.startswith("19:csc-sd@thread.tacv2;messageid=")]
    assert note.text == "Sent to you in a personal chat." and not note.activity.get("attachments")
    [created] = [c for c in bot.connector.created_conversations if not c.get("isGroup")]
    assert created["members"] == [{"id": "29:chris"}] and created["channelData"]["tenant"]["id"] == activities.TENANT
    [summary] = sent_to(bot, CHRIS_CHAT)
    assert "CR-4321" in card_json(summary.activity) and "Send invitations" in titles(summary.activity)
    status, body = await bot.click("chris", "send_invitations", verb_data(summary.activity, "send_invitations"), CHRIS_CHAT)
    assert status == 200
    await bot.drain()
    roster = [m for m in sent_to(bot, CHRIS_CHAT) if "Roster" in card_json(m.activity)]
    assert len(roster) == 1  # the roster goes to the chair's personal chat, never the channel


async def test_greater_manchester_profile_needs_the_social_worker_to_answer_too(sqlite_url: str, connector, clock) -> None:  # type: ignore[no-untyped-def]
    from tests.conftest import make_settings

    gm = Bot(make_settings(sqlite_url, service_url=connector.url, profile="greater-manchester"), connector, clock)
    await gm.start()
    try:
        await gm.say("chris", "convene CR-5150 at today 15:00")
        await gm.drain()
        summary = sent_to(gm, CHRIS_CHAT)[-1]
        assert "social worker and the social work manager" in card_json(summary.activity)
        await gm.click("chris", "send_invitations", verb_data(summary.activity, "send_invitations"), CHRIS_CHAT)
        await gm.drain()
        csc = await invitation_for(gm, "csc")
        assert csc.status == "pending"
        [thread] = sent_to(gm, "19:csc-sd@thread.tacv2;messageid=")  # the CSC team is invited in its channel
        for prefix, who in (("19:police-sd", "pat"), ("19:health-sd", "hana")):
            [t] = sent_to(gm, prefix)
            await gm.click(who, "accept", verb_data(t.activity, "accept"), t.conversation_id)
        await gm.drain()
        roster_id = [m for m in sent_to(gm, CHRIS_CHAT) if "Roster" in card_json(m.activity)][0].activity_id
        latest = [u for u in gm.connector.updates if u.activity_id == roster_id][-1]
        assert "inquorate" in card_json(latest.activity).lower()  # not until the social worker confirms
        await gm.click("sam", "accept", verb_data(thread.activity, "accept"), thread.conversation_id)
        await gm.drain()
        latest = [u for u in gm.connector.updates if u.activity_id == roster_id][-1]
        assert "inquorate" not in card_json(latest.activity).lower() and "quorate" in card_json(latest.activity).lower()
    finally:
        await gm.stop()
