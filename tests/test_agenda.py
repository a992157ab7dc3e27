"""The chair's agenda as issue #10 asks (items 4-6), through the real route on SQLite and
PostgreSQL: attendance from the directory, steps that replace their answers, errors next to
their field, partners' information on the chair's agenda card at once (a PUT of the message),
step-unique input ids, the meeting card's one state, reviews held when the chair asks, the next
review as a date with a reminder, `status` after close, and the README's example at any hour."""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.scheduler import Scheduler
from dialogs.export import case_record
from procedure import AGENDA
from storage import queries
from storage.models import Discussion
from tests.conftest import Bot
from tests.support import activities
from tests.test_convene_flow import CHRIS_CHAT, card_json, sent_to, titles, verb_data
from tests.test_discussion_flow import held, next_step, step_inputs

LONDON = ZoneInfo("Europe/London")
ROOT = Path(__file__).resolve().parent.parent


def inputs(card: dict[str, Any]) -> list[dict[str, Any]]:
    return [e for e in card["body"] if str(e.get("type", "")).startswith("Input.")]


def input_named(card: dict[str, Any], key: str) -> dict[str, Any]:
    [element] = [e for e in inputs(card) if e["id"].split(".", 1)[1] == key]
    return element


def error_after(card: dict[str, Any], key: str) -> str:
    """The text shown right after a field (where its error goes)."""
    body = card["body"]
    i = next(n for n, e in enumerate(body) if str(e.get("type", "")).startswith("Input.") and e["id"].split(".", 1)[1] == key)
    following = body[i + 1] if i + 1 < len(body) else {}
    return following.get("text", "") if following.get("type") == "TextBlock" else ""


def agenda_message(bot: Bot) -> tuple[str, str]:
    """(conversation, activity id) of the chair's agenda message: the last one posted."""
    [*_, last] = [m for m in sent_to(bot, CHRIS_CHAT) if "step 1 of" in card_json(m.activity) or "· step" in card_json(m.activity)]
    return last.conversation_id, last.activity_id


def current(bot: Bot, where: tuple[str, str]) -> str:
    message = bot.connector.message(*where)
    assert message is not None
    return card_json(message)


async def discussion(bot: Bot, did: str) -> Discussion:
    async with bot.state["factory"]() as session:
        d = await session.get(Discussion, did)
        assert d is not None
        return d


# Item 4: the agenda ------------------------------------------------------------------------------


async def test_input_ids_are_unique_per_step_and_the_agenda_message_follows_each_step(bot: Bot) -> None:
    did = await held(bot, "CR-3001", flags="medical, school")
    where = agenda_message(bot)
    first = bot.connector.message(*where)
    assert first is not None
    ids_by_step: dict[str, set[str]] = {"attendance": {e["id"] for e in inputs(first["attachments"][0]["content"])}}
    for n, step in enumerate(AGENDA):
        values: dict[str, str] = {}
        if step.key == "decisions":
            values = {"decision:s47": "joint", "rationale:s47": "Unexplained injuries."}
        elif step.key == "medical":
            values = {"decision:medical": "needed", "rationale:medical": "Bruising.", "consulted": "pia"}
        elif step.key == "actions":
            values = {"what": "See the child alone", "owner": "sam", "due": "tomorrow 12:00", "purpose": "Wishes and feelings"}
        else:
            values = {f.key: f"Recorded for {step.key}" for f in step.fields if f.kind in ("text", "multiline")}
            values.update({f.key: f.choices[0][0] for f in step.fields if f.kind == "choice"})
        body = await next_step(bot, did, step.key, values)
        card = body["value"]
        if n + 1 < len(AGENDA):
            following = AGENDA[n + 1]
            assert following.title in json.dumps(card), (step.key, card)
            ids_by_step.setdefault(following.key, set()).update(e["id"] for e in inputs(card))
        else:
            assert "agenda complete" in json.dumps(card)
        await bot.drain()
        # The agenda message is edited in place to the card the chair now sees.
        assert current(bot, where) == json.dumps(card) or json.dumps(card) in current(bot, where)
    keys = list(ids_by_step)
    assert len(keys) == len(AGENDA)
    for step in AGENDA:  # each input names its step, so no two steps' cards share an id
        assert all(re.match(rf"^s{step.number}(-\d+)?\.", i) for i in ids_by_step[step.key]), ids_by_step[step.key]
    for i, a in enumerate(keys):
        for b in keys[i + 1:]:
            assert not ids_by_step[a] & ids_by_step[b], (a, b, ids_by_step[a] & ids_by_step[b])
    # Successive steps with a choice never share ids (the Playground kept the risk levels on Decisions).
    decisions = await _card_at(bot, did, "decisions")
    assert input_named(decisions, "decision:s47")["id"] == "s8.decision:s47"
    # Labels in the record's words (a chair read "Abe interview" and "S47" on the Playground).
    assert input_named(decisions, "decision:s47")["label"] == "Section 47 enquiry: decision"
    assert input_named(decisions, "decision:abe-interview")["label"] == "ABE (Achieving Best Evidence) interview: decision"
    assert input_named(decisions, "rationale:abe-interview")["label"] == "ABE (Achieving Best Evidence) interview: rationale (why)"


async def _card_at(bot: Bot, did: str, key: str) -> dict[str, Any]:
    """Go Back from the step after `key` to show `key`'s card."""
    index = next(i for i, s in enumerate(AGENDA) if s.key == key)
    status, body = await bot.click("chris", "agenda_back", {"discussion_id": did, "step": AGENDA[index + 1].key}, CHRIS_CHAT)
    assert status == 200
    return body["value"]


async def test_others_present_come_from_the_directory_and_their_expertise_counts(bot: Bot) -> None:
    did = await held(bot, "CR-3002", flags="school")  # police, health (Hana), education; no paediatrician
    card = bot.connector.message(*agenda_message(bot))["attachments"][0]["content"]  # type: ignore[index]
    others = input_named(card, "others_people")
    assert others["type"] == "Input.ChoiceSet" and others["isMultiSelect"] is True
    offered = {c["value"] for c in others["choices"]}
    assert "hugo" in offered and "hana" not in offered  # Hana is listed already (she accepted)
    hana = next(e for e in inputs(card) if "Hana Health" in e.get("title", ""))
    # Hana sends apologies; a Named Nurse typed by e-mail, and a visitor nobody knows.
    body = await next_step(bot, did, "attendance", {hana["id"]: "false", "apologies": "Hana Health: clinic overran",
                                                    "others": "hugo@example.org\nZed Visitor, student social worker"})  # fmt: skip
    told = json.dumps(body["value"])
    assert "Zed Visitor" in told and "Not found in the directory" in told and "hugo" not in told.lower().split("not found")[1][:80]
    async with bot.state["factory"]() as session:
        parts = await queries.record_parts(session, did)
    rows = {a.name: a for a in parts["attendance"]}
    assert rows["Hugo Health"].agency_id == "health" and rows["Hugo Health"].agency_kind == "health" and rows["Hugo Health"].present
    assert rows["Zed Visitor"].agency_id is None and rows["Zed Visitor"].agency_kind is None and rows["Zed Visitor"].role == "student social worker"
    # The matched nurse counts as health expertise: the medical is decided without anyone consulted.
    body = await next_step(bot, did, "medical", {"decision:medical": "needed", "rationale:medical": "Bruising to the face."})
    assert "Medical assessment" not in body["value"]["body"][2]["text"]  # moved on to the next step
    async with bot.state["factory"]() as session:
        assert [x.topic for x in (await queries.record_parts(session, did))["decisions"]] == ["medical"]


async def test_an_unmatched_name_is_a_guest_whose_expertise_does_not_count(bot: Bot) -> None:
    did = await held(bot, "CR-3003", flags="school")
    card = bot.connector.message(*agenda_message(bot))["attachments"][0]["content"]  # type: ignore[index]
    hana = next(e for e in inputs(card) if "Hana Health" in e.get("title", ""))
    await next_step(bot, did, "attendance", {hana["id"]: "false", "others": "Nina Nobody, Named Nurse, Health"})
    body = await next_step(bot, did, "medical", {"decision:medical": "needed", "rationale:medical": "Bruising."})
    assert "paediatrician" in json.dumps(body["value"]).lower() and "Medical assessment" in json.dumps(body["value"])
    # Chosen from the list instead, the same step is accepted.
    await next_step(bot, did, "attendance", {hana["id"]: "false", "others_people": "hugo"})
    body = await next_step(bot, did, "medical", {"decision:medical": "needed", "rationale:medical": "Bruising."})
    assert "Interviews" in json.dumps(body["value"])
    async with bot.state["factory"]() as session:
        names = [a.name for a in (await queries.record_parts(session, did))["attendance"]]
    assert "Nina Nobody" not in names and names.count("Hugo Health") == 1  # the second save replaced the first


async def test_a_health_professional_present_and_chosen_as_consulted_is_one_attendance_line(bot: Bot) -> None:
    """Seen in the record on the Playground: the paediatrician present, chosen again as consulted,
    was listed twice, once "present" and once "not present; consulted on the medical decision"."""
    did = await held(bot, "CR-3004", flags="school")
    card = bot.connector.message(*agenda_message(bot))["attachments"][0]["content"]  # type: ignore[index]
    hana = next(e for e in inputs(card) if "Hana Health" in e.get("title", ""))
    await next_step(bot, did, "attendance", {hana["id"]: "true"})
    body = await next_step(bot, did, "medical", {"decision:medical": "needed", "rationale:medical": "Bruising.", "consulted": "hana"})
    assert "Interviews" in json.dumps(body["value"])
    async with bot.state["factory"]() as session:
        rows = [(a.name, a.present, a.source) for a in (await queries.record_parts(session, did))["attendance"] if a.name == "Hana Health"]
    assert len(rows) == 1 and rows[0][1] is True, rows
    # Not present, she is recorded as consulted (a separate line), as before.
    await next_step(bot, did, "attendance", {hana["id"]: "false", "apologies": "Hana Health: in clinic"})
    await next_step(bot, did, "medical", {"decision:medical": "needed", "rationale:medical": "Bruising.", "consulted": "hana"})
    async with bot.state["factory"]() as session:
        rows = [(a.present, a.source) for a in (await queries.record_parts(session, did))["attendance"] if a.name == "Hana Health"]
    assert len(rows) == 2 and (False, "consulted") in rows and all(present is False for present, _ in rows), rows


async def test_back_then_save_and_next_never_duplicates(bot: Bot) -> None:
    did = await held(bot, "CR-3004", flags="school")
    for _ in range(3):
        await next_step(bot, did, "attendance", {"others": "Hugo Health\nZed Visitor", "apologies": "Ed Educator: inset day"})
        await next_step(bot, did, "information", {"summary": "Police hold two previous call-outs."})
        await next_step(bot, did, "decisions", {"decision:s47": "joint", "rationale:s47": "Unexplained injuries.",
                                                "decision:family-assessment": "yes", "rationale:family-assessment": "Siblings."})  # fmt: skip
        status, _ = await bot.click("chris", "agenda_back", {"discussion_id": did, "step": "medical"}, CHRIS_CHAT)
        assert status == 200
    async with bot.state["factory"]() as session:
        parts = await queries.record_parts(session, did)
        exported = await case_record(session, "CR-3004", LONDON)
    assert [a.name for a in parts["attendance"]].count("Hugo Health") == 1
    assert [a.name for a in parts["attendance"]].count("Zed Visitor") == 1
    assert [c.text for c in parts["contributions"]] == ["Police hold two previous call-outs."]
    assert sorted(x.topic for x in parts["decisions"]) == ["family-assessment", "s47"]
    assert exported is not None
    [record] = exported["discussions"]
    assert [i["text"] for i in record["information"]] == ["Police hold two previous call-outs."]
    assert [a["name"] for a in record["attendance"]].count("Zed Visitor") == 1
    assert record["agenda"]["attendance"]["apologies"] == "Ed Educator: inset day"
    # Clearing a decision on a later save removes it: the step's answers are replaced.
    await next_step(bot, did, "decisions", {"decision:s47": "none", "rationale:s47": "Threshold not met."})
    async with bot.state["factory"]() as session:
        assert [(x.topic, x.outcome) for x in (await queries.record_parts(session, did))["decisions"]] == [("s47", "none")]
    assert not (await discussion(bot, did)).s47_initiated


async def test_a_rationale_without_a_decision_and_a_decision_without_a_rationale_are_refused_at_their_fields(bot: Bot) -> None:
    did = await held(bot, "CR-3005", flags="school")
    body = await next_step(bot, did, "decisions", {"rationale:family-assessment": "Siblings' needs unknown.",
                                                   "decision:s47": "joint"})  # fmt: skip
    card = body["value"]
    assert card["body"][2]["text"] == "Decisions"  # the same step again
    assert "Choose the decision this rationale is for" in error_after(card, "decision:family-assessment")
    assert "needs its rationale" in error_after(card, "rationale:s47")
    assert input_named(card, "rationale:family-assessment")["value"] == "Siblings' needs unknown."  # kept
    assert input_named(card, "decision:s47")["value"] == "joint"
    async with bot.state["factory"]() as session:
        assert (await queries.record_parts(session, did))["decisions"] == []


async def test_information_a_partner_adds_shows_on_the_chairs_agenda_card_at_once(bot: Bot) -> None:
    did = await held(bot, "CR-3006", flags="school")
    where = agenda_message(bot)
    meeting = sent_to(bot, activities.personal_conversation("29:hana"))[-1]
    # The chair is on step 1: the card says who shared (the text stays for step 4).
    puts = len(bot.connector.updates)
    status, _ = await bot.click("hana", "info_add", {"discussion_id": did, "info": "Two previous A&E attendances."}, meeting.conversation_id)
    assert status == 200
    await bot.drain()
    put = [u for u in bot.connector.updates[puts:] if u.activity_id == where[1]]
    assert len(put) == 1 and "Information shared by attendees: Hana Health (health)" in card_json(put[0].activity)
    assert "Two previous A&E" not in card_json(put[0].activity)
    # On the information step the text itself appears, as soon as it is shared.
    await next_step(bot, did, "attendance")
    await next_step(bot, did, "difference-statement")
    await next_step(bot, did, "reason", {"reason": "Unexplained bruising"})
    await bot.drain()
    assert "Information from each agency" in current(bot, where) and "Two previous A&E" in current(bot, where)
    puts = len(bot.connector.updates)
    await bot.click("pat", "info_add", {"discussion_id": did, "info": "Father known to police for violence."})
    await bot.drain()
    [put] = [u for u in bot.connector.updates[puts:] if u.activity_id == where[1]]
    assert "Father known to police" in card_json(put.activity) and "Two previous A&E" in card_json(put.activity)
    assert not [m for m in bot.connector.sent if m.conversation_id.startswith("19:") and "Father known" in card_json(m.activity)]


async def test_the_meeting_card_tells_one_state_and_is_edited_at_start_and_close(bot: Bot) -> None:
    bot.clock.set(datetime(2026, 5, 20, 9, 0, tzinfo=LONDON))
    await bot.say("chris", "convene CR-3007 concerns serious-injury flags school at today 17:00")
    await bot.drain()
    data = verb_data(sent_to(bot, CHRIS_CHAT)[-1].activity, "send_invitations")
    await bot.click("chris", "send_invitations", data, CHRIS_CHAT)
    await bot.drain()
    thread = [m for m in sent_to(bot, "19:police-sd@thread.tacv2;messageid=") if "CR-3007" in card_json(m.activity)][-1]
    await bot.click("pat", "accept", verb_data(thread.activity, "accept"), thread.conversation_id)
    bot.clock.set(datetime(2026, 5, 20, 17, 0, tzinfo=LONDON))
    await Scheduler(bot.state["factory"], bot.state["services"], bot.settings, clock=bot.clock.now).run_once()
    await bot.drain()
    [card_msg] = [m for m in sent_to(bot, activities.personal_conversation("29:pat")) if "Professional Difference" in card_json(m.activity)]
    before = card_json(card_msg.activity)
    assert "Starts Wed 20 May 2026, 17:00" in before and "Started" not in before and "CSC not present" in before
    bot.clock.set(datetime(2026, 5, 20, 17, 2, tzinfo=LONDON))
    await bot.say("chris", "start CR-3007")
    await bot.drain()
    started = card_json(bot.connector.message(card_msg.conversation_id, card_msg.activity_id) or {})
    assert "Started 17:02 by the chair" in started and "Starts" not in started and "CSC not present" not in started
    await next_step(bot, data["discussion_id"], "decisions", {"decision:s47": "none", "rationale:s47": "No harm found."})
    await bot.say("chris", "close CR-3007")
    await bot.drain()
    closed = card_json(bot.connector.message(card_msg.conversation_id, card_msg.activity_id) or {})
    assert "Closed" in closed and "Start" not in closed and "Add information" not in closed


# Item 5: reviews ---------------------------------------------------------------------------------


async def _closed(bot: Bot, case_ref: str, flags: str = "school", contingency: dict[str, str] | None = None) -> str:
    did = await held(bot, case_ref, flags=flags)
    await next_step(bot, did, "decisions", {"decision:s47": "single", "rationale:s47": "CSC-led enquiry."})
    if contingency is not None:
        body = await next_step(bot, did, "contingency", contingency)
        assert "agenda complete" in json.dumps(body["value"]), body
    await bot.say("chris", f"close {case_ref}")
    await bot.drain()
    return did


async def test_a_review_is_due_when_the_chair_asks_not_by_the_first_rule_counted_from_now(bot: Bot) -> None:
    await _closed(bot, "CR-3010")  # serious injury: "same day as the referral"
    bot.clock.advance(days=1)  # Thursday 21 May 2026, 15:00
    await bot.say("chris", "review CR-3010 at tomorrow 10:00")
    await bot.drain()
    summary = card_json(sent_to(bot, CHRIS_CHAT)[-1].activity)
    assert "Review: when the chair asks (SX 6.6)" in summary and "same day" not in summary and "AFTER the deadline" not in summary
    async with bot.state["factory"]() as session:
        [first, review] = await queries.discussions_for_case(session, "CR-3010")
    assert review.kind == "review" and review.convene_by == review.scheduled_for
    assert review.convene_by.astimezone(LONDON) == datetime(2026, 5, 22, 10, 0, tzinfo=LONDON)
    # Without a time: no deadline until the chair gives one.
    await bot.say("chris", "review CR-3010")
    await bot.drain()
    summary = card_json(sent_to(bot, CHRIS_CHAT)[-1].activity)
    assert "No deadline: held when the chair asks" in summary
    rid = verb_data(sent_to(bot, CHRIS_CHAT)[-1].activity, "send_invitations")["discussion_id"]
    assert (await discussion(bot, rid)).convene_by is None
    await bot.say("chris", "cases")  # a discussion without a deadline is listed, not a crash
    await bot.drain()
    assert "CR-3010" in card_json(sent_to(bot, CHRIS_CHAT)[-1].activity)
    assert "went wrong" not in card_json(sent_to(bot, CHRIS_CHAT)[-1].activity)
    status, _ = await bot.click("chris", "send_invitations", {"discussion_id": rid, "at": "tomorrow 11:00"}, CHRIS_CHAT)
    assert status == 200
    d = await discussion(bot, rid)
    assert d.convene_by == d.scheduled_for and d.convene_by is not None
    # `start` works on the review for its chair: the agenda is the review's.
    bot.clock.set(datetime(2026, 5, 22, 11, 0, tzinfo=LONDON))
    await bot.say("chris", "start CR-3010")
    await bot.drain()
    assert verb_data(bot.connector.message(*agenda_message(bot)), "agenda_next")["discussion_id"] == rid  # type: ignore[arg-type]
    assert (await discussion(bot, rid)).status == "in_progress"


async def test_a_looked_after_childs_review_is_due_at_the_profile_interval(bot: Bot) -> None:
    await _closed(bot, "CR-3011", flags="looked-after")
    await bot.say("chris", "review CR-3011")
    await bot.drain()
    async with bot.state["factory"]() as session:
        [first, review] = await queries.discussions_for_case(session, "CR-3011")
    interval = bot.state["services"].profile.looked_after_review_days
    assert review.convene_by is not None and "every" in review.convene_by_rule and f"{interval} days" in review.convene_by_rule
    assert first.started_at is not None and (review.convene_by - first.started_at).days >= interval - 1


async def test_the_next_review_is_a_date_stored_shown_and_reminded_the_working_day_before(bot: Bot) -> None:
    did = await held(bot, "CR-3012", flags="school")  # held Wed 20 May 2026
    await next_step(bot, did, "decisions", {"decision:s47": "single", "rationale:s47": "CSC-led enquiry."})
    for bad, why in (("blursday", "could not read"), ("yesterday 10:00", "must be in the future")):
        body = await next_step(bot, did, "contingency", {"contingency": "Police to attend if father returns", "next_review": bad})
        card = body["value"]
        assert why in error_after(card, "next_review") and input_named(card, "next_review")["value"] == bad
        assert input_named(card, "contingency")["value"] == "Police to attend if father returns"
    body = await next_step(bot, did, "contingency", {"contingency": "Police to attend if father returns",
                                                     "next_review": "Tuesday 2 June 2026 10:00"})  # fmt: skip
    assert "agenda complete" in json.dumps(body["value"])
    d = await discussion(bot, did)
    assert d.next_review_at is not None and d.next_review_at.astimezone(LONDON) == datetime(2026, 6, 2, 10, 0, tzinfo=LONDON)
    assert d.agenda["contingency"]["next_review"] == "02/06/2026 10:00"
    await bot.say("chris", "close CR-3012")
    await bot.drain()
    async with bot.state["factory"]() as session:
        exported = await case_record(session, "CR-3012", LONDON)
    assert exported is not None and exported["discussions"][0]["next_review_at"].startswith("2026-06-02T10:00")
    sched = Scheduler(bot.state["factory"], bot.state["services"], bot.settings, clock=bot.clock.now)

    def reminders() -> list[Any]:
        return [m for m in sent_to(bot, CHRIS_CHAT) if "review strategy discussion due" in card_json(m.activity)]

    bot.clock.set(datetime(2026, 5, 29, 17, 0, tzinfo=LONDON))  # Friday: not yet
    await sched.run_once()
    await bot.drain()
    assert reminders() == []
    bot.clock.set(datetime(2026, 6, 1, 9, 5, tzinfo=LONDON))  # Monday, the working day before
    for _ in range(3):
        await sched.run_once()
    await bot.drain()
    [reminder] = reminders()
    assert "review CR-3012 at WHEN" in card_json(reminder.activity) and "Tue 2 Jun 2026, 10:00" in card_json(reminder.activity)


async def test_no_reminder_when_the_review_was_convened_already(bot: Bot) -> None:
    await _closed(bot, "CR-3013", contingency={"contingency": "Plan B", "next_review": "02/06/2026 10:00"})
    await bot.say("chris", "review CR-3013 at 02/06/2026 10:00")
    await bot.drain()
    bot.clock.set(datetime(2026, 6, 1, 9, 5, tzinfo=LONDON))
    await Scheduler(bot.state["factory"], bot.state["services"], bot.settings, clock=bot.clock.now).run_once()
    await bot.drain()
    assert not [m for m in sent_to(bot, CHRIS_CHAT) if "review strategy discussion due" in card_json(m.activity)]
    async with bot.state["factory"]() as session:
        assert (await session.scalars(select(Discussion.review_remind_at).where(Discussion.case_ref == "CR-3013"))).all() == [None, None]


async def test_status_after_close_shows_the_closed_discussion_and_the_review(bot: Bot) -> None:
    did = await _closed(bot, "CR-3014")
    before = len(sent_to(bot, CHRIS_CHAT))
    await bot.say("chris", "status CR-3014")
    await bot.drain()
    [roster] = sent_to(bot, CHRIS_CHAT)[before:]
    assert "Closed" in card_json(roster.activity) and verb_data(roster.activity, "status")["discussion_id"] == did
    bot.clock.advance(days=1)
    await bot.say("chris", "review CR-3014 at tomorrow 10:00")
    await bot.drain()
    before = len(sent_to(bot, CHRIS_CHAT))
    await bot.say("chris", "status CR-3014")
    await bot.drain()
    closed, review = sent_to(bot, CHRIS_CHAT)[before:]
    assert "Closed" in card_json(closed.activity) and verb_data(closed.activity, "status")["discussion_id"] == did
    assert "Review strategy discussion" in card_json(review.activity) and "Send invitations" in titles(review.activity["attachments"][0]["content"])


# Item 6: the README's example works whenever it is pasted ----------------------------------------


def readme_example() -> str:
    text = (ROOT / "README.md").read_text()
    match = re.search(r"^Example: `(convene [^`]+)`", text, re.M)
    assert match, "the README has an 'Example: `convene ...`' line"
    return match.group(1)


@pytest.mark.parametrize("clock_time", ["00:30", "09:00", "16:45", "23:50"])
async def test_the_readme_example_is_accepted_at_any_time_of_day(bot: Bot, clock_time: str) -> None:
    hour, minute = map(int, clock_time.split(":"))
    bot.clock.set(datetime(2026, 11, 24, hour, minute, tzinfo=LONDON))
    await bot.say("chris", readme_example())
    await bot.drain()
    answer = sent_to(bot, CHRIS_CHAT)[-1]
    assert "Send invitations" in titles(answer.activity["attachments"][0]["content"]), card_json(answer.activity)[:400]
    async with bot.state["factory"]() as session:
        [d] = (await session.scalars(select(Discussion))).all()
    assert d.scheduled_for is not None and d.scheduled_for > bot.clock.now()
    assert d.referral_received_at <= bot.clock.now()
    assert set(d.flags) == {"medical", "school"} and d.concerns == ["serious-injury"]


def test_step_inputs_helper_names_ids_as_the_card_does() -> None:
    assert step_inputs("decisions", {"decision:s47": "joint"}) == {"s8.decision:s47": "joint"}


def test_relative_times_count_elapsed_time_and_reminders_skip_to_the_working_day_before() -> None:
    from procedure import load_profile, parse_when, review_reminder_at

    before_change = datetime(2026, 3, 28, 23, 50, tzinfo=LONDON)  # clocks go forward at 01:00 GMT
    assert parse_when("in 2 hours", before_change, "Europe/London") == datetime(2026, 3, 29, 2, 50, tzinfo=LONDON)
    assert parse_when("20 minutes ago", datetime(2026, 11, 24, 0, 10, tzinfo=LONDON), "Europe/London") == \
        datetime(2026, 11, 23, 23, 50, tzinfo=LONDON)  # fmt: skip
    assert parse_when("in 1 hour", datetime(2026, 11, 24, 16, 45, tzinfo=LONDON), "Europe/London").hour == 17
    profile = load_profile()
    # A Monday review: reminded on the Friday. Tuesday 1 June 2027 follows the Spring bank holiday: Friday too.
    assert review_reminder_at(datetime(2026, 6, 8, 10, 0, tzinfo=LONDON), profile) == datetime(2026, 6, 5, 9, 0, tzinfo=LONDON)
    assert review_reminder_at(datetime(2027, 6, 1, 10, 0, tzinfo=LONDON), profile) == datetime(2027, 5, 28, 9, 0, tzinfo=LONDON)


async def test_start_typed_in_a_channel_posts_the_agenda_to_the_chairs_personal_chat(bot: Bot) -> None:
    did = await held(bot, "CR-3015", flags="school")
    await bot.click("hana", "info_add", {"discussion_id": did, "info": "Sibling on a plan in another area."})
    before = len(bot.connector.sent)
    await bot.say("chris", "start CR-3015", channel_id="19:police-sd@thread.tacv2")
    await bot.drain()
    agenda = [m for m in bot.connector.sent[before:] if "agenda_next" in card_json(m.activity)]
    assert [m.conversation_id for m in agenda] == [CHRIS_CHAT]
    assert not [m for m in bot.connector.sent if m.conversation_id.startswith("19:") and "Sibling on a plan" in card_json(m.activity)]
