"""Confidential by construction: nothing a person typed ever reaches a channel.

Every flow is driven from channels (commands typed with an @mention, buttons pressed in agency
channels) with a marker typed into every free-text field. No request the Bot Connector receives
for a channel conversation (thread creation, post, reply, edit) and no answer to a press made in
a channel may contain a marker; and the markers do reach the people who should have them, in
personal chats (so the content is delivered, not dropped). Then the guards themselves: the
outbox refuses a payload that is not channel-safe for a shared conversation, the worker refuses
such a row whoever wrote it, and only the channel builders make channel-safe payloads.
"""

from __future__ import annotations

import ast
import json
import logging
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.logs import JsonFormatter
from bot.scheduler import Scheduler
from dialogs.export import case_record
from procedure import AGENDA
from storage import outbox
from storage.db import transaction
from storage.models import OutboxMessage
from storage.targets import ChannelSafe, ConfidentialityError, Target
from tests.conftest import Bot
from tests.support import activities
from tests.test_convene_flow import CHRIS_CHAT, card_json, verb_data

ROOT = Path(__file__).resolve().parent.parent
LONDON = ZoneInfo("Europe/London")
MARK = "ZZ-MARKER"
CSC, POLICE, HEALTH = "19:csc-sd@thread.tacv2", "19:police-sd@thread.tacv2", "19:health-sd@thread.tacv2"


def marker(field: str) -> str:
    return f"{MARK}-{field}"


def seen(field: str, text: str) -> bool:
    return marker(field).lower() in text


class Driver:
    """Presses and types in channels, keeping every answer to a press made in a channel.

    Waits up to a minute for the outbox: this drives well over 60 messages into the chair's chat,
    and the worker keeps to Teams' limit of 60 per 30 seconds per conversation, in real time."""

    def __init__(self, bot: Bot):
        self.bot = bot
        self.channel_answers: list[Any] = []

    async def say_in(self, channel: str, who: str, text: str) -> None:
        await self.bot.say(who, text, channel_id=channel)
        await self.bot.drain(timeout=60)

    async def press_in(self, channel: str, who: str, verb: str, data: dict[str, Any]) -> Any:
        thread = f"{channel};messageid={activities.next_id()}"
        status, body = await self.bot.click(who, verb, data, thread)
        assert status == 200, body
        self.channel_answers.append(body)
        await self.bot.drain(timeout=60)
        return body


def shared_requests(bot: Bot) -> list[Any]:
    """Every request that wrote into a channel: thread creations, posts, replies, edits."""
    found = []
    for r in bot.connector.requests:
        body = r.body if isinstance(r.body, dict) else {}
        creates_thread = r.path == "/v3/conversations" and ((body.get("channelData") or {}).get("channel") or {}).get("id")
        if creates_thread or (r.conversation_id or "").startswith("19:"):
            found.append(r)
    return found


def personal_text(bot: Bot, teams_id: str) -> str:
    """Everything posted or edited in a person's personal chat, lower-cased (the bot may
    upper-case a case reference or lower-case a command word it echoes)."""
    chat = activities.personal_conversation(teams_id)
    return json.dumps([m.activity for m in bot.connector.sent + bot.connector.updates if m.conversation_id == chat]).lower()


def leaks(body: Any) -> bool:
    return MARK.lower() in json.dumps(body).lower()


def step_values(step_key: str) -> dict[str, str]:
    step = next(s for s in AGENDA if s.key == step_key)
    values = {f.key: marker(f"{step_key}-{f.key}") for f in step.fields if f.kind in ("text", "multiline")}
    values.update({f.key: f.choices[0][0] for f in step.fields if f.kind == "choice" and f.required})
    return values


async def test_nothing_typed_reaches_a_channel_and_all_of_it_reaches_people(bot: Bot, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)  # production's level: nothing typed may be logged either
    run = Driver(bot)
    bot.clock.set(datetime(2026, 5, 20, 9, 0, tzinfo=LONDON))

    # Typed in channels: an unknown command and a bad case reference are echoed privately only.
    await run.say_in(CSC, "chris", f"{marker('command')} please")
    await run.say_in(CSC, "chris", f"status {marker('caseref')}")
    # Convene by @mention in the CSC channel: the summary goes to Chris's personal chat, which
    # the bot creates (Chris has never talked to it privately).
    await run.say_in(CSC, "chris", "convene CR-7001 concerns serious-injury flags medical at today 15:00")
    assert any(not c.get("isGroup") and c["members"] == [{"id": "29:chris"}] for c in bot.connector.created_conversations)
    summary = [m for m in bot.connector.sent if m.conversation_id == CHRIS_CHAT and "CR-7001" in card_json(m.activity)][-1]
    did = verb_data(summary.activity, "send_invitations")["discussion_id"]

    # Send invitations pressed in a channel: the roster goes to the chair privately.
    body = await run.press_in(CSC, "chris", "send_invitations", {"discussion_id": did})
    assert body["type"] == "application/vnd.microsoft.activity.message"
    police = [m for m in bot.connector.sent if m.conversation_id.startswith(POLICE)][-1]
    health = [m for m in bot.connector.sent if m.conversation_id.startswith(HEALTH)][-1]
    accept_police, accept_health = verb_data(police.activity, "accept"), verb_data(health.activity, "accept")

    # Accept, then withdraw with a reason (late: the start is within 24 hours), in the police channel.
    body = await run.press_in(POLICE, "pat", "accept", accept_police)
    assert "Accepted" in json.dumps(body)  # the channel's own invitation card, updated
    await run.press_in(POLICE, "pat", "withdraw", {**accept_police, "withdraw_reason": marker("withdraw")})
    await run.press_in(POLICE, "pat", "accept", accept_police)
    # Decline with a reason in the health channel, then accept after all.
    await run.press_in(HEALTH, "hana", "decline", {**accept_health, "decline_reason": marker("decline")})
    status_before = personal_text(bot, "29:chris")
    assert seen("withdraw", status_before) and seen("decline", status_before)  # told, and on the roster
    await run.press_in(HEALTH, "hana", "accept", accept_health)
    pia_invite = [m for m in bot.connector.sent if m.conversation_id == activities.personal_conversation("29:pia")][-1]
    await bot.click("pia", "accept", verb_data(pia_invite.activity, "accept"), pia_invite.conversation_id)
    await bot.drain()

    # status typed in channels, by the chair and by an attendee; Refresh pressed in a channel.
    await run.say_in(CSC, "chris", "status CR-7001")
    await run.say_in(POLICE, "pat", "status CR-7001")
    await run.press_in(POLICE, "pat", "status", {"discussion_id": did})
    chris_notes = [m for m in bot.connector.sent if m.conversation_id.startswith(CSC) and m.text]
    assert "CR-7001: sent to you in a personal chat." in [m.text for m in chris_notes]
    assert not seen("withdraw", personal_text(bot, "29:pat"))  # another agency's reason: chair only
    assert "roster: cr-7001" in personal_text(bot, "29:pat")

    # start in a channel; attendees add information and disagree, pressing in their channels.
    bot.clock.advance(hours=6)
    await run.say_in(CSC, "chris", "start CR-7001")
    await run.press_in(HEALTH, "hana", "info_add", {"discussion_id": did, "info": marker("info")})
    await run.press_in(POLICE, "pat", "disagree", {"discussion_id": did, "about": marker("disagree")})
    await run.press_in(HEALTH, "hana", "disagree", {"discussion_id": did, "about": marker("unresolved")})

    # The whole agenda, pressed in the CSC channel, a marker in every free-text answer.
    for step in AGENDA:
        data: dict[str, Any] = {"discussion_id": did, "step": step.key}
        if step.key == "attendance":
            data.update(others=f"{marker('others')}, Visitor, Elsewhere", apologies=marker("apologies"))
        elif step.key == "decisions":
            data.update({"decision:s47": "joint", "rationale:s47": marker("rationale-s47"),
                         "decision:family-assessment": "yes", "rationale:family-assessment": marker("rationale-fa")})  # fmt: skip
        elif step.key == "medical":
            data.update({"decision:medical": "needed", "rationale:medical": marker("rationale-medical")})
        elif step.key == "actions":
            await run.press_in(CSC, "chris", "agenda_add_action", {
                **data, "what": "Police check of household members", "owner": "pat", "due": "tomorrow 17:00",
                "purpose": marker("purpose")})  # fmt: skip
        else:
            data.update(step_values(step.key))
        await run.press_in(CSC, "chris", "agenda_next", data)
    await run.press_in(CSC, "chris", "agenda_back", {"discussion_id": did, "step": "information"})
    disagreement = [m.activity for m in bot.connector.sent if m.conversation_id == CHRIS_CHAT]
    resolve = [verb_data(a, "resolve_disagreement") for a in disagreement
               if "resolve_disagreement" in json.dumps(a) and seen("disagree", json.dumps(a).lower())][0]
    await run.press_in(CSC, "chris", "resolve_disagreement", {**resolve, "resolution": marker("resolution")})
    action = [m for m in bot.connector.sent if m.conversation_id.startswith(POLICE) and "action_done" in json.dumps(m.activity)][-1]
    body = await run.press_in(POLICE, "pat", "action_done", verb_data(action.activity, "action_done"))
    assert "Done" in json.dumps(body)  # the channel's action card, updated in place

    # close and review typed in a channel; Approve circulation pressed in one.
    await run.say_in(CSC, "chris", "close CR-7001")
    await run.press_in(CSC, "chris", "approve_circulation", {"discussion_id": did})
    await run.say_in(CSC, "chris", "review CR-7001 at tomorrow 10:00")
    # Later: the scheduler's pings (overdue, disagreement levels) go to channels too.
    bot.clock.advance(days=10)
    await Scheduler(bot.state["factory"], bot.state["services"], bot.settings, clock=bot.clock.now).run_once()
    await bot.drain(timeout=60)

    # Nothing typed reached a channel, in any request, nor in any answer to a channel press.
    channel_requests = shared_requests(bot)
    assert len(channel_requests) >= 15, bot.connector.summary()
    for r in channel_requests:
        assert not leaks(r.body), f"{r.method} {r.path}: {json.dumps(r.body)[:400]}"
    assert len(run.channel_answers) >= 25
    for answer in run.channel_answers:
        assert not leaks(answer), answer
    # Channels did get what they may carry: invitations, the action, escalation pings, notes.
    assert any("Mark done" in json.dumps(r.body) for r in channel_requests)
    assert any((r.conversation_id or "").startswith("19:escalations") or "19:escalations" in json.dumps(r.body)
               for r in channel_requests)  # fmt: skip

    logged = [json.loads(JsonFormatter().format(r)) for r in caplog.records]
    assert len(logged) > 50 and not any(leaks(entry) for entry in logged)

    # ...and it all reached people, privately.
    chris = personal_text(bot, "29:chris")
    for field in ("command", "caseref", "withdraw", "decline", "info", "disagree", "rationale-s47",
                  "rationale-medical", "reason-reason", "resolution"):  # fmt: skip
        assert seen(field, chris), field
    assert seen("purpose", personal_text(bot, "29:pat"))  # the action's owner
    # The unresolved disagreement went up a level: the leads who must resolve it are told what
    # it is about privately (the ping in the escalation channel names only who raised it).
    assert seen("unresolved", personal_text(bot, "29:hugo")) and seen("unresolved", personal_text(bot, "29:dee"))
    assert seen("rationale-s47", personal_text(bot, "29:hana"))  # the circulated record
    async with bot.state["factory"]() as session:
        record = json.dumps(await case_record(session, "CR-7001", LONDON))
    for field in ("others", "apologies", "voice-of-child-voice", "family-shared", "contingency-contingency"):
        assert marker(field) in record, field  # recorded, not dropped


async def test_the_outbox_refuses_free_text_for_a_shared_conversation(bot: Bot) -> None:
    factory = bot.state["factory"]
    text = {"type": "message", "text": marker("guard")}
    shared = [
        Target.channel(POLICE),
        Target.conversation(f"{POLICE};messageid=1", "channel"),
        Target.conversation("19:group-chat@thread.v2", "groupChat"),
        Target.conversation(f"{POLICE};messageid=2", None),  # a Teams channel id, whatever the type says
        {"kind": "channel", "channel_id": POLICE},  # a plain dict target is checked the same way
    ]
    for target in shared:
        with pytest.raises(ConfidentialityError):
            async with transaction(factory) as session:
                await outbox.enqueue(session, target=target, payload=text)
    # A channel-safe payload is accepted; a personal chat takes any payload.
    async with transaction(factory) as session:
        await outbox.enqueue(session, target=Target.channel(POLICE), payload=ChannelSafe({"type": "message", "text": "CR-1"}),
                             message_key="guard:1")  # fmt: skip
        await outbox.enqueue(session, target=Target.conversation(CHRIS_CHAT, "personal"), payload=text)
    # Editing a message that went to a channel is held to the same rule.
    with pytest.raises(ConfidentialityError):
        async with transaction(factory) as session:
            await outbox.enqueue(session, op="update", message_key="guard:1", payload=text)
    await bot.drain()
    assert not any(leaks(r.body) for r in shared_requests(bot))


async def test_the_worker_refuses_a_row_that_is_not_channel_safe_whoever_wrote_it(bot: Bot) -> None:
    factory = bot.state["factory"]
    async with transaction(factory) as session:  # bypassing enqueue, as a bug or a hand might
        session.add(OutboxMessage(target={"kind": "channel", "channel_id": POLICE}, order_key=f"channel:{POLICE}",
                                  payload={"type": "message", "text": marker("bypass")}, purpose="test"))  # fmt: skip
        session.add(OutboxMessage(target={"kind": "conversation", "conversation_id": f"{POLICE};messageid=9"},
                                  order_key=f"conv:{POLICE};messageid=9",
                                  payload={"type": "message", "text": marker("bypass")}, purpose="test"))  # fmt: skip
    await bot.drain()
    assert not bot.connector.requests
    async with factory() as session:
        rows = (await session.scalars(select(OutboxMessage))).all()
    assert [r.status for r in rows] == ["failed", "failed"] and all("not channel-safe" in (r.last_error or "") for r in rows)


async def test_a_channel_command_uses_the_existing_personal_chat(bot: Bot) -> None:
    await bot.say("pat", "help")  # Pat's personal chat with the bot exists now
    await bot.drain()
    await bot.say("pat", "status CR-9", channel_id=POLICE)  # no such case: not confirmed in the channel
    await bot.drain()
    assert not [c for c in bot.connector.created_conversations if not c.get("isGroup")]
    pat_chat = [m for m in bot.connector.sent if m.conversation_id == activities.personal_conversation("29:pat")]
    assert "No discussion for CR-9" in json.dumps(pat_chat[-1].activity)
    [note] = [m for m in bot.connector.sent if m.conversation_id.startswith(POLICE)]
    assert note.text == "Sent to you in a personal chat."


async def test_a_person_the_bot_cannot_reach_privately_is_not_answered_in_the_channel(bot: Bot) -> None:
    bot.connector.not_installed_for.add("29:chris")  # Teams refuses the 1:1 chat (403)
    await bot.say("chris", "convene CR-7002 at today 15:00", channel_id=CSC)
    await bot.drain()
    assert [r.status for r in bot.connector.requests if r.path == "/v3/conversations"] == [403]
    channel = [m for m in bot.connector.sent if m.conversation_id.startswith(CSC)]
    assert [m.text for m in channel] == ["Sent to you in a personal chat."]


def _constructions(package: str, name: str) -> set[str]:
    found = set()
    for path in (ROOT / package).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call):
                func = node.func
                called = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
                if called == name:
                    found.add(str(path.relative_to(ROOT)))
    return found


def test_only_the_channel_builders_make_channel_safe_payloads() -> None:
    for package in ("bot", "dialogs", "cards", "storage"):
        assert _constructions(package, "ChannelSafe") <= {"dialogs/replies.py"}, package
        assert _constructions(package, "ChannelMessage") <= {"cards/channel.py"}, package
    assert _constructions("dialogs", "ChannelSafe") == {"dialogs/replies.py"}
    assert _constructions("cards", "ChannelMessage") == {"cards/channel.py"}


def test_a_target_knows_whether_it_is_shared() -> None:
    assert Target.channel(POLICE).is_channel
    assert Target.conversation("19:x@thread.v2", "groupChat").is_shared
    assert not Target.conversation(CHRIS_CHAT, "personal").is_shared
    assert not Target.person(person_id="pat", teams_id="29:pat").is_shared
    assert Target.from_json(Target.channel(POLICE).to_json()) == Target.channel(POLICE)
    with pytest.raises(ValueError):
        Target("channel")


async def test_the_handler_never_answers_a_channel_press_with_a_private_card(
    bot: Bot, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dialogs import router
    from dialogs.types import CardReply

    async def careless(session: Any, services: Any, act: Any) -> CardReply:  # a router gone wrong
        return CardReply(card={"type": "AdaptiveCard", "version": "1.5", "body": [{"type": "TextBlock", "text": marker("x")}]})

    monkeypatch.setattr(router, "handle_action", careless)
    status, body = await bot.click("pat", "status", {"discussion_id": "x"}, f"{POLICE};messageid=5")
    assert status == 200 and body["statusCode"] == 400 and not leaks(body)
    # In a personal chat the same card is fine.
    status, body = await bot.click("pat", "status", {"discussion_id": "x"})
    assert status == 200 and leaks(body)


def test_the_channel_builders_drop_what_a_person_typed() -> None:
    import cards
    from tests.cards.samples import channel_cards

    built = channel_cards()
    assert len(built) == 6
    assert "Court" not in json.dumps(built["channel-invitation-withdrawn"])  # the withdrawal reason
    assert "A reason was given to the chair" in json.dumps(built["channel-invitation-withdrawn"])
    assert "Wishes" not in json.dumps(built["channel-action"])  # the action's purpose
    assert "See the child alone" in json.dumps(built["channel-action"]) and "Mark done" in json.dumps(built["channel-action"])
    assert cards.sent_privately("CR-1").activity == {"type": "message", "text": "CR-1: sent to you in a personal chat."}


async def test_a_roster_left_in_a_channel_by_an_earlier_version_is_replaced_privately(bot: Bot) -> None:
    from storage.models import Discussion, SentMessage

    await bot.say("chris", "convene CR-7003 at today 15:00")
    await bot.drain()
    summary = [m for m in bot.connector.sent if m.conversation_id == CHRIS_CHAT][-1]
    data = verb_data(summary.activity, "send_invitations")
    await bot.click("chris", "send_invitations", data, CHRIS_CHAT)
    await bot.drain()
    factory = bot.state["factory"]
    async with transaction(factory) as session:  # as the earlier version left it: the roster in a channel thread
        d = await session.get(Discussion, data["discussion_id"])
        assert d is not None
        thread = f"{CSC};messageid=42"
        d.roster_message_key = f"roster:{d.id}:7"
        session.add(OutboxMessage(target={"kind": "conversation", "conversation_id": thread}, order_key=f"conv:{thread}",
                                  payload={"type": "message"}, message_key=d.roster_message_key, status="sent",
                                  purpose="roster"))  # fmt: skip
        session.add(SentMessage(key=d.roster_message_key, conversation_id=thread, activity_id="42",
                                service_url=bot.connector.url))  # fmt: skip
    police = [m for m in bot.connector.sent if m.conversation_id.startswith(POLICE)][-1]
    await bot.click("pat", "decline", {**verb_data(police.activity, "decline"), "decline_reason": marker("old")},
                    police.conversation_id)  # fmt: skip
    await bot.drain()
    assert not any(leaks(r.body) for r in shared_requests(bot))
    assert seen("old", personal_text(bot, "29:chris"))  # a new roster, in the chair's personal chat
