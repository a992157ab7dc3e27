"""Running and recording a discussion through the real route: start, every agenda step,
decisions with rationale, the medical rule, SMART actions, a disagreement, close, circulation,
the ICPC deadline, and a review counting from the initiating discussion."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.scheduler import Scheduler
from dialogs.export import case_record
from procedure import AGENDA, input_id
from storage.models import Escalation
from tests.conftest import Bot
from tests.support import activities
from tests.test_convene_flow import CHRIS_CHAT, card_json, sent_to, titles, verb_data

LONDON = ZoneInfo("Europe/London")


async def held(bot: Bot, case_ref: str, flags: str = "medical", when: datetime | None = None) -> str:
    """Convene, invite, police+health+paediatrics accept, start. Returns the discussion id."""
    bot.clock.set(when or datetime(2026, 5, 20, 9, 0, tzinfo=LONDON))
    await bot.say("chris", f"convene {case_ref} concerns serious-injury flags {flags} at today 15:00")
    await bot.drain()
    summary = sent_to(bot, CHRIS_CHAT)[-1]
    data = verb_data(summary.activity, "send_invitations")
    await bot.click("chris", "send_invitations", data, CHRIS_CHAT)
    await bot.drain()
    accepted = []
    for prefix, who in (("19:police-sd@thread.tacv2;messageid=", "pat"), ("19:health-sd@thread.tacv2;messageid=", "hana")):
        thread = [m for m in sent_to(bot, prefix) if case_ref in card_json(m.activity)][-1]
        status, _ = await bot.click(who, "accept", verb_data(thread.activity, "accept"), thread.conversation_id)
        assert status == 200
        accepted.append(who)
    if "medical" in flags:
        chat = [m for m in sent_to(bot, activities.personal_conversation("29:pia")) if case_ref in card_json(m.activity)][-1]
        await bot.click("pia", "accept", verb_data(chat.activity, "accept"), chat.conversation_id)
    bot.clock.advance(hours=6)
    await bot.say("chris", f"start {case_ref}")
    await bot.drain()
    return data["discussion_id"]


def last_chair_card(bot: Bot) -> dict[str, Any]:
    return sent_to(bot, CHRIS_CHAT)[-1].activity["attachments"][0]["content"]


def step_inputs(step: str, values: dict[str, str] | None = None, round_: int | None = None) -> dict[str, str]:
    """Field keys as the step's card names its inputs (`s8.decision:s47`); ids taken from a card stay."""
    number = next(s.number for s in AGENDA if s.key == step)
    return {k if re.match(r"^s\d", k) else input_id(number, k, round_): v for k, v in (values or {}).items()}


async def next_step(bot: Bot, discussion_id: str, step: str, values: dict[str, str] | None = None,
                    who: str = "chris") -> dict[str, Any]:  # fmt: skip
    data = {"discussion_id": discussion_id, "step": step, **step_inputs(step, values)}
    status, body = await bot.click(who, "agenda_next", data, CHRIS_CHAT)
    assert status == 200, body
    return body


async def test_a_whole_discussion_is_run_recorded_and_circulated(bot: Bot) -> None:
    did = await held(bot, "CR-2001", flags="school")  # no paediatrician invited at first
    first = last_chair_card(bot)
    assert "Professional Difference" in json.dumps(first) or "step 1 of" in json.dumps(first)
    # Walk the whole agenda in order.
    for step in AGENDA:
        if step.key == "decisions":
            # A decision without its rationale is refused.
            body = await next_step(bot, did, "decisions", {"decision:s47": "joint"})
            assert "rationale" in json.dumps(body["value"]).lower()
            body = await next_step(bot, did, "decisions", {
                "decision:s47": "joint", "rationale:s47": "Injuries unexplained; police to investigate jointly.",
                "decision:family-assessment": "yes", "rationale:family-assessment": "Needs of siblings unknown.",
            })  # fmt: skip
            continue
        if step.key == "medical":
            # Social care and police alone may not decide a medical (SX 6.6): refused...
            body = await next_step(bot, did, "medical", {"decision:medical": "needed", "rationale:medical": "Bruising."})
            assert "paediatrician" in json.dumps(body["value"]).lower()
            # ...then accepted once a paediatrician is consulted.
            body = await next_step(bot, did, "medical", {"decision:medical": "needed", "rationale:medical": "Bruising.",
                                                         "consulted": "pia"})  # fmt: skip
            assert "paediatrician" not in json.dumps(body["value"]).lower() or "step" in json.dumps(body["value"]).lower()
            continue
        if step.key == "actions":
            for what, owner, due, purpose in (
                ("Child seen alone by the social worker", "sam", "tomorrow 12:00", "Hear the child's wishes and feelings"),
                ("Police check of household members", "pat", "tomorrow 17:00", "Assess risk from adults"),
                ("School to share attendance history", "ed", "next Friday", "Pattern of absence"),
            ):
                status, body = await bot.click("chris", "agenda_add_action", {"discussion_id": did, "step": "actions",
                    "what": what, "owner": owner, "due": due, "purpose": purpose}, CHRIS_CHAT)  # fmt: skip
                assert status == 200 and what in json.dumps(body["value"])
            await next_step(bot, did, "actions")
            continue
        if step.key == "attendance":
            # Health sends apologies on the day: nobody with medical expertise is present.
            toggles = [e for e in last_chair_card(bot)["body"] if e.get("type") == "Input.Toggle"]
            [hana] = [t for t in toggles if "Hana Health" in t["title"]]
            await next_step(bot, did, "attendance", {hana["id"]: "false", "apologies": "Hana Health: clinic overran"})
            continue
        filled = {f.key: f"Recorded for {step.key}" for f in step.fields if f.kind in ("text", "multiline")}
        filled.update({f.key: f.choices[0][0] for f in step.fields if f.kind == "choice" and f.required})
        await next_step(bot, did, step.key, filled)
    # Attendees add information and one disagrees.
    meeting = [m for m in sent_to(bot, activities.personal_conversation("29:hana"))][-1]
    status, _ = await bot.click("hana", "info_add", {"discussion_id": did, "info": "Two previous A&E attendances."}, meeting.conversation_id)
    assert status == 200
    status, _ = await bot.click("pat", "disagree", {"discussion_id": did, "about": "Police consider S47 single-agency enough."})
    assert status == 200
    # A non-chair may not record decisions or close.
    status, body = await bot.click("pat", "agenda_next", {"discussion_id": did, "step": "decisions", "decision:s47": "none", "rationale:s47": "x"})
    assert "only the chair" in json.dumps(body).lower()
    await bot.say("pat", "close CR-2001")
    await bot.drain()
    assert "only the chair" in card_json(sent_to(bot, activities.personal_conversation("29:pat"))[-1].activity).lower()

    await bot.say("chris", "close CR-2001")
    await bot.drain()
    record = last_chair_card(bot)
    assert "Approve circulation" in titles(record)
    sent_before = len(bot.connector.sent)
    status, body = await bot.click("chris", "approve_circulation", {"discussion_id": did}, CHRIS_CHAT)
    assert status == 200 and "Approve circulation" not in titles(body["value"])
    await bot.drain()
    circulated = {m.conversation_id for m in bot.connector.sent[sent_before:]}
    for person in ("pat", "hana", "gina"):  # police, health and the GP
        assert activities.personal_conversation(f"29:{person}") in circulated
    assert not any(c.startswith("19:") for c in circulated)  # never into channels

    async with bot.state["factory"]() as session:
        exported = await case_record(session, "CR-2001", LONDON)
    assert exported is not None
    [d] = exported["discussions"]
    assert {(x["topic"], x["outcome"]) for x in d["decisions"]} >= {("s47", "joint"), ("family-assessment", "yes"), ("medical", "needed")}
    assert all(x["rationale"] for x in d["decisions"])
    assert len(d["actions"]) == 3 and all(a["owner"] and a["due"] and a["purpose"] for a in d["actions"])
    assert d["disagreements"] and d["information"]
    held_at = datetime.fromisoformat(d["held_at"])
    # 15 working days after Wed 20 May 2026 crosses the Spring bank holiday (Mon 25 May).
    assert held_at.date().isoformat() == "2026-05-20"
    assert d["icpc_by"].startswith("2026-06-11")
    assert d["circulate_by"].startswith("2026-05-21") and d["circulated_at"]


async def test_overdue_action_and_circulation_each_escalate_once(bot: Bot) -> None:
    did = await held(bot, "CR-2002", flags="school")
    await next_step(bot, did, "decisions", {"decision:s47": "none", "rationale:s47": "No evidence of harm on checks."})
    status, _ = await bot.click("chris", "agenda_add_action", {"discussion_id": did, "step": "actions", "what": "Letter to family",
        "owner": "sam", "due": "tomorrow 12:00", "purpose": "Explain outcome"}, CHRIS_CHAT)  # fmt: skip
    assert status == 200
    await bot.say("chris", "close CR-2002")
    await bot.drain()
    sched = Scheduler(bot.state["factory"], bot.state["services"], bot.settings, clock=bot.clock.now)
    bot.clock.advance(days=3)
    for _ in range(3):
        await sched.run_once()
    await bot.drain()
    async with bot.state["factory"]() as session:
        kinds = [e.kind for e in (await session.scalars(select(Escalation))).all()]
    assert kinds.count("overdue_action") == 1
    assert kinds.count("circulation_overdue") == 1


async def test_review_links_to_the_first_and_counts_the_icpc_from_it(bot: Bot) -> None:
    did = await held(bot, "CR-2003", flags="school")
    await next_step(bot, did, "decisions", {"decision:s47": "single", "rationale:s47": "CSC-led enquiry."})
    await bot.say("chris", "close CR-2003")
    await bot.drain()
    bot.clock.advance(days=7)
    await bot.say("chris", "review CR-2003 at tomorrow 10:00")
    await bot.drain()
    review_summary = sent_to(bot, CHRIS_CHAT)[-1]
    assert "review" in card_json(review_summary.activity).lower()
    rid = verb_data(review_summary.activity, "send_invitations")["discussion_id"]
    await bot.click("chris", "send_invitations", {"discussion_id": rid}, CHRIS_CHAT)
    bot.clock.advance(days=1)
    await bot.say("chris", "start CR-2003")
    await next_step(bot, rid, "decisions", {"decision:s47": "single", "rationale:s47": "Continue the enquiry."})
    await bot.say("chris", "close CR-2003")
    await bot.drain()
    async with bot.state["factory"]() as session:
        exported = await case_record(session, "CR-2003", LONDON)
    assert exported is not None
    first, review = exported["discussions"]
    assert review["kind"] == "review" and review["review_of"] == first["id"]
    assert review["icpc_by"] == first["icpc_by"]  # counted from the initiating discussion
    assert timedelta(0) < datetime.fromisoformat(review["held_at"]) - datetime.fromisoformat(first["held_at"])


async def test_looked_after_child_gets_a_review_reminder_at_the_profile_interval(bot: Bot) -> None:
    did = await held(bot, "CR-2004", flags="looked-after")
    await next_step(bot, did, "decisions", {"decision:s47": "single", "rationale:s47": "Allegation against a carer."})
    await bot.say("chris", "close CR-2004")
    await bot.drain()
    sched = Scheduler(bot.state["factory"], bot.state["services"], bot.settings, clock=bot.clock.now)
    interval = bot.state["services"].profile.looked_after_review_days
    bot.clock.advance(days=interval - 2)
    await sched.run_once()
    await bot.drain()
    assert not [m for m in sent_to(bot, CHRIS_CHAT) if "review strategy discussion due" in card_json(m.activity)]
    bot.clock.advance(days=4)
    for _ in range(2):
        await sched.run_once()
    await bot.drain()
    reminders = [m for m in sent_to(bot, CHRIS_CHAT) if "review strategy discussion due" in card_json(m.activity)]
    assert len(reminders) == 1 and "review CR-2004" in card_json(reminders[0].activity)


async def test_an_unresolved_disagreement_goes_to_the_next_level_once(bot: Bot) -> None:
    did = await held(bot, "CR-2005", flags="school")
    status, body = await bot.click("pat", "disagree", {"discussion_id": did, "about": "S47 threshold not met in our view."})
    assert status == 200 and "practitioner" in json.dumps(body["value"])
    await bot.drain()
    assert any("professional disagreement" in card_json(m.activity) for m in sent_to(bot, CHRIS_CHAT))
    sched = Scheduler(bot.state["factory"], bot.state["services"], bot.settings, clock=bot.clock.now)
    bot.clock.advance(days=3)  # inside the working week
    await sched.run_once()
    async with bot.state["factory"]() as session:
        assert [e for e in (await session.scalars(select(Escalation))).all() if e.kind == "disagreement"] == []
    bot.clock.advance(days=6)
    for _ in range(3):
        await sched.run_once()
    await bot.drain()
    async with bot.state["factory"]() as session:
        raised = [e for e in (await session.scalars(select(Escalation))).all() if e.kind == "disagreement"]
    assert len(raised) == 1
    assert {n["name"] for n in raised[0].notified} == {"Dee Duty", "Ina Inspector"}  # the two agencies' line managers
    pings = [m for m in sent_to(bot, "19:escalations@thread.tacv2") if "disagreement" in m.activity.get("text", "").lower()]
    assert len(pings) == 1 and "S47 threshold" not in json.dumps(pings[0].activity)  # what it is about stays out of channels


async def test_the_chair_records_how_a_disagreement_was_resolved_and_it_stops_escalating(bot: Bot) -> None:
    did = await held(bot, "CR-2006", flags="school")
    await bot.click("pat", "disagree", {"discussion_id": did, "about": "Joint S47 not needed."})
    await bot.drain()
    [card_msg] = [m for m in sent_to(bot, CHRIS_CHAT) if "professional disagreement" in card_json(m.activity)]
    data = verb_data(card_msg.activity, "resolve_disagreement")
    status, body = await bot.click("pat", "resolve_disagreement", {**data, "resolution": "x"})
    assert "only the chair" in json.dumps(body).lower()
    status, body = await bot.click("chris", "resolve_disagreement", {**data, "resolution": "Agreed single-agency S47 after discussion."},
                                   CHRIS_CHAT)  # fmt: skip
    assert status == 200 and "Resolved" in json.dumps(body["value"])
    bot.clock.advance(days=10)
    await Scheduler(bot.state["factory"], bot.state["services"], bot.settings, clock=bot.clock.now).run_once()
    async with bot.state["factory"]() as session:
        assert not [e for e in (await session.scalars(select(Escalation))).all() if e.kind == "disagreement"]
        exported = await case_record(session, "CR-2006", LONDON)
    assert exported is not None
    [g] = exported["discussions"][0]["disagreements"]
    assert g["resolution"].startswith("Agreed single-agency") and g["resolved_at"]
