"""Scheduler checks with an injected clock: reminders, inquorate, CSC absent, deadline at risk.
Each escalation is raised once, however often the scheduler runs."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bot.scheduler import Scheduler
from storage.models import Escalation
from tests.conftest import PEOPLE, Bot
from tests.support import activities
from tests.test_convene_flow import CHRIS_CHAT, card_json, sent_to, verb_data

START = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)  # Monday; London is on GMT in November


def scheduler(bot: Bot) -> Scheduler:
    return Scheduler(bot.state["factory"], bot.state["services"], bot.settings, clock=bot.clock.now)


async def escalations(bot: Bot) -> list[Escalation]:
    async with bot.state["factory"]() as session:
        return list((await session.scalars(select(Escalation).order_by(Escalation.id))).all())


async def convene_and_invite(bot: Bot, case_ref: str = "CR-500", at: str = "today 15:00") -> None:
    bot.clock.set(datetime(2026, 11, 23, 9, 0, tzinfo=UTC))
    await bot.say("chris", f"convene {case_ref} at {at}")
    await bot.drain()
    summary = sent_to(bot, CHRIS_CHAT)[-1]
    status, _ = await bot.click("chris", "send_invitations", verb_data(summary.activity, "send_invitations"), CHRIS_CHAT)
    assert status == 200
    await bot.drain()


def mentions(activity: dict) -> list[str]:
    return [e["mentioned"]["id"] for e in activity.get("entities", []) if e.get("type") == "mention"]


async def test_no_answer_reminds_the_agency_then_its_lead_once(bot: Bot) -> None:
    await convene_and_invite(bot)
    profile = bot.state["services"].profile
    sent_before = len(bot.connector.sent)
    bot.clock.advance(minutes=profile.rsvp_reminder_minutes + 1)
    await scheduler(bot).run_once()
    await scheduler(bot).run_once()
    await bot.drain()
    reminders = bot.connector.sent[sent_before:]
    assert reminders, "a reminder was due"
    police_reminders = [m for m in reminders if m.conversation_id.startswith("19:police-sd@thread.tacv2")]
    assert len(police_reminders) == 1
    assert set(mentions(police_reminders[0].activity)) >= {PEOPLE["pat"]["teams_id"], PEOPLE["olly"]["teams_id"]}
    kinds = [(e.kind, e.dedupe_key.rsplit(":", 1)[1]) for e in await escalations(bot)]
    assert ("no_response", "agency") in kinds and ("no_response", "lead") not in kinds
    bot.clock.set(datetime(2026, 11, 23, 9, 0, tzinfo=UTC) + timedelta(minutes=profile.rsvp_escalate_minutes + 1))
    await scheduler(bot).run_once()
    await scheduler(bot).run_once()
    await bot.drain()
    lead_pings = [m for m in bot.connector.sent if m.conversation_id.startswith("19:escalations@thread.tacv2")
                  and PEOPLE["ina"]["teams_id"] in mentions(m.activity)]  # fmt: skip
    assert len(lead_pings) == 1


async def test_inquorate_before_the_start_pings_the_missing_partner_lead(bot: Bot) -> None:
    await convene_and_invite(bot)
    profile = bot.state["services"].profile
    [police_thread] = sent_to(bot, "19:police-sd@thread.tacv2;messageid=")
    await bot.click("pat", "accept", verb_data(police_thread.activity, "accept"), police_thread.conversation_id)
    bot.clock.set(START - timedelta(hours=profile.inquorate_warning_hours) + timedelta(minutes=1))
    for _ in range(3):
        await scheduler(bot).run_once()
    await bot.drain()
    inquorate = [e for e in await escalations(bot) if e.kind == "inquorate"]
    assert [e.agency_id for e in inquorate] == ["health"]
    assert inquorate[0].notified[0]["name"] == "Hugo Health"
    pings = [m for m in sent_to(bot, "19:escalations@thread.tacv2")
             if PEOPLE["hugo"]["teams_id"] in mentions(m.activity) and "inquorate" in m.activity["text"]]  # fmt: skip
    assert len(pings) == 1 and "CR-500" in pings[0].activity["text"]
    assert any("inquorate" in card_json(m.activity).lower() for m in sent_to(bot, CHRIS_CHAT))


async def test_csc_absent_pings_the_duty_manager_once_and_by_hand(bot: Bot) -> None:
    await convene_and_invite(bot)
    profile = bot.state["services"].profile
    [police_thread] = sent_to(bot, "19:police-sd@thread.tacv2;messageid=")
    await bot.click("pat", "accept", verb_data(police_thread.activity, "accept"), police_thread.conversation_id)
    # At the start time the police attendee gets the meeting card with `CSC not present`.
    bot.clock.set(START)
    await scheduler(bot).run_once()
    await bot.drain()
    [meeting] = sent_to(bot, activities.personal_conversation("29:pat"))
    data = verb_data(meeting.activity, "csc_not_present")
    # By hand: the police press it; then the scheduler does not ping again.
    status, body = await bot.click("pat", "csc_not_present", data, meeting.conversation_id)
    assert status == 200 and "duty manager" in json.dumps(body["value"]).lower()
    bot.clock.set(START + timedelta(minutes=profile.csc_absent_minutes + 1))
    await scheduler(bot).run_once()
    await bot.drain()
    absent = [e for e in await escalations(bot) if e.kind == "csc_absent"]
    assert len(absent) == 1 and absent[0].notified[0]["name"] == "Dee Duty"
    pings = [m for m in sent_to(bot, "19:escalations@thread.tacv2") if PEOPLE["dee"]["teams_id"] in mentions(m.activity)]
    assert len(pings) == 1
    # Someone not invited cannot press it.
    status, body = await bot.click("ed", "csc_not_present", data)
    assert "only the chair and the invited agencies" in json.dumps(body).lower()


async def test_csc_absent_without_anyone_pressing(bot: Bot) -> None:
    await convene_and_invite(bot)
    profile = bot.state["services"].profile
    bot.clock.set(START + timedelta(minutes=profile.csc_absent_minutes - 1))
    await scheduler(bot).run_once()
    assert not [e for e in await escalations(bot) if e.kind == "csc_absent"]
    bot.clock.set(START + timedelta(minutes=profile.csc_absent_minutes + 1))
    await scheduler(bot).run_once()
    assert len([e for e in await escalations(bot) if e.kind == "csc_absent"]) == 1


async def test_deadline_at_risk_tells_the_chair_then_the_duty_manager(bot: Bot) -> None:
    bot.clock.set(datetime(2026, 11, 23, 9, 0, tzinfo=UTC))
    # Same day (serious injury): convene by 23:59 today; no time set, invitations not sent.
    await bot.say("chris", "convene CR-600 concerns serious-injury")
    await bot.drain()
    profile = bot.state["services"].profile
    deadline = datetime(2026, 11, 23, 23, 59, tzinfo=UTC)
    bot.clock.set(deadline - timedelta(hours=profile.deadline_at_risk_hours) - timedelta(minutes=1))
    await scheduler(bot).run_once()
    assert await escalations(bot) == []
    bot.clock.set(deadline - timedelta(hours=profile.deadline_at_risk_hours) + timedelta(minutes=1))
    await scheduler(bot).run_once()
    await scheduler(bot).run_once()
    first = await escalations(bot)
    assert [(e.kind, e.notified[0]["name"]) for e in first] == [("deadline_at_risk", "Chris Chair")]
    bot.clock.set(deadline - timedelta(minutes=5))
    await scheduler(bot).run_once()
    await bot.drain()
    second = await escalations(bot)
    assert [(e.kind, e.notified[0]["name"]) for e in second] == [("deadline_at_risk", "Chris Chair"), ("deadline_at_risk", "Dee Duty")]
    assert "invitations have not been sent" in second[1].detail


async def test_inquorate_waits_for_a_fair_chance_to_answer_when_the_start_is_near(bot: Bot) -> None:
    # Invited at 09:00 for 10:00: inside the 2-hour window at once, but agencies get half the
    # time left (30 min) before their leads are pinged.
    await convene_and_invite(bot, "CR-501", at="today 10:00")
    bot.clock.set(datetime(2026, 11, 23, 9, 20, tzinfo=UTC))
    await scheduler(bot).run_once()
    assert not [e for e in await escalations(bot) if e.kind == "inquorate"]
    bot.clock.set(datetime(2026, 11, 23, 9, 31, tzinfo=UTC))
    await scheduler(bot).run_once()
    assert {e.agency_id for e in await escalations(bot) if e.kind == "inquorate"} == {"police", "health"}
