"""Issue 11: everyone invited is reached and the chair always knows.

Calendar invitations and answers through the fake Graph, delivery state on the roster with the
fake Bot Connector failing, `Record answer` by the chair, `cases` and the daily digest, and the
answer-by time on invitations. All through /api/messages, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from storage.models import AuditEntry, Discussion, Escalation, Invitation
from tests.conftest import PEOPLE, Bot, Clock, bot_with_graph, make_settings
from tests.support import activities
from tests.support.connector import FakeConnector
from tests.support.identity import FakeIdentityAndGraph
from tests.test_convene_flow import CHRIS_CHAT, card_json, sent_to, titles, verb_data

MONDAY_0900 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # GMT: London time is UTC
ESCALATIONS = "19:escalations@thread.tacv2"
ED_CHAT = activities.personal_conversation("29:ed")


async def invitation(bot: Bot, agency_id: str, case_ref: str | None = None) -> Invitation:
    async with bot.state["factory"]() as session:
        query = select(Invitation).where(Invitation.agency_id == agency_id)
        if case_ref:
            query = query.join(Discussion).where(Discussion.case_ref == case_ref)
        row = await session.scalar(query)
    assert row is not None
    return row


async def discussion(bot: Bot, case_ref: str) -> Discussion:
    async with bot.state["factory"]() as session:
        row = await session.scalar(select(Discussion).where(Discussion.case_ref == case_ref))
    assert row is not None
    return row


async def escalations(bot: Bot, kind: str) -> list[Escalation]:
    async with bot.state["factory"]() as session:
        return list((await session.scalars(select(Escalation).where(Escalation.kind == kind))).all())


async def convene_and_send(bot: Bot, case_ref: str, rest: str) -> None:
    await bot.say("chris", f"convene {case_ref} referral today 08:40 {rest}")
    await bot.drain()
    summary = [m for m in sent_to(bot, CHRIS_CHAT) if "Send invitations" in titles(m.activity)][-1]
    status, body = await bot.click("chris", "send_invitations", verb_data(summary.activity, "send_invitations"), CHRIS_CHAT)
    assert status == 200 and body["statusCode"] == 200, body


def roster_versions(bot: Bot, case_ref: str) -> list[dict[str, Any]]:
    """Every version of the chair's roster for a case: the post, then each edit in place."""
    posted = [m for m in sent_to(bot, CHRIS_CHAT) if f"Roster: {case_ref}" in card_json(m.activity)]
    ids = {m.activity_id for m in posted}
    return [m.activity for m in posted] + [u.activity for u in bot.connector.updates if u.activity_id in ids]


def latest_roster(bot: Bot, case_ref: str) -> str:
    activity = roster_versions(bot, case_ref)[-1]
    return json.dumps([a.get("content") for a in activity.get("attachments", [])], ensure_ascii=False)


def chair_notices(bot: Bot, words: str) -> list[Any]:
    return [m for m in sent_to(bot, CHRIS_CHAT) if words in card_json(m.activity)]


# 1. Calendar invitations and answers -----------------------------------------------------


@pytest.fixture
async def graph_bot(database_url: str, connector: FakeConnector, clock: Clock,
                    monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[tuple[Bot, FakeIdentityAndGraph]]:  # fmt: skip
    async with bot_with_graph(database_url, connector, clock, monkeypatch, max_attempts=2, backoff_base=0.02) as running:
        yield running


def event_reads(fake: FakeIdentityAndGraph) -> int:
    return len([r for r in fake.graph_requests() if r.method == "GET" and "/events/" in r.path])


async def poll(bot: Bot) -> None:
    await bot.state["scheduler"].run_once()
    await bot.drain()


async def test_calendar_invites_the_expected_people_and_answers_update_the_roster(
    graph_bot: tuple[Bot, FakeIdentityAndGraph],
) -> None:
    bot, fake = graph_bot
    bot.clock.set(datetime(2026, 11, 23, 11, 0, tzinfo=UTC))
    await convene_and_send(bot, "CR-801", "flags school at today 16:00")
    await poll(bot)  # the scheduler creates the meeting, then the invitations go out
    [event_id] = fake.events
    event = fake.events[event_id]
    invited = {a["emailAddress"]["address"] for a in event["attendees"]}
    # The school's shared mailbox, not its people; each police and health person; the chair;
    # not every member of children's social care.
    assert "dsl@school.example.org" in invited and "ed@example.org" not in invited
    assert {"chris@example.org", "pat@example.org", "hana@example.org"} <= invited
    assert not invited & {"sam@example.org", "dee@example.org"}
    # In the configured zone (the wall-clock time the chair typed).
    assert event["start"] == {"dateTime": "2026-11-23T16:00:00", "timeZone": "Europe/London"}
    d = await discussion(bot, "CR-801")
    assert d.calendar_next_poll_at is not None and d.calendar_next_poll_at > bot.clock.now()
    reads = event_reads(fake)

    # Not due yet: the event is not read (only due discussions are chosen, in SQL).
    await poll(bot)
    assert event_reads(fake) == reads

    # Accepted in Outlook by the school's mailbox.
    fake.set_response(event_id, "dsl@school.example.org", "accepted")
    bot.clock.advance(minutes=5)
    await poll(bot)
    assert event_reads(fake) == reads + 1
    edu = await invitation(bot, "education")
    assert edu.status == "accepted" and edu.answer_source == "calendar" and edu.calendar_response == "accepted"
    assert "in their calendar" in latest_roster(bot, "CR-801")

    # Tentatively accepted by a police officer, declined by health.
    fake.set_response(event_id, "pat@example.org", "tentativelyAccepted")
    fake.set_response(event_id, "hana@example.org", "declined")
    bot.clock.advance(minutes=5)
    await poll(bot)
    police, health = await invitation(bot, "police"), await invitation(bot, "health")
    assert police.status == "tentative" and health.status == "declined" and not health.late
    roster = latest_roster(bot, "CR-801")
    assert "Tentative" in roster and "Declined" in roster and "INQUORATE" in roster
    # A tentative answer does not make the discussion quorate; the police card asks to confirm.
    [police_thread] = sent_to(bot, "19:police-sd@thread.tacv2;messageid=")
    police_card = [u.activity for u in bot.connector.updates if u.activity_id == police_thread.activity_id][-1]
    assert "Tentative" in card_json(police_card) and "Accept" in titles(police_card)

    # An old calendar answer does not overwrite a later card answer.
    status, _ = await bot.click("hugo", "accept", {"invitation_id": health.id})
    assert status == 200
    bot.clock.advance(minutes=5)
    await poll(bot)
    assert (await invitation(bot, "health")).status == "accepted"

    # 15:30: the school declines in Outlook after accepting, inside the late window.
    bot.clock.set(datetime(2026, 11, 23, 15, 30, tzinfo=UTC))
    before = len(sent_to(bot, ESCALATIONS))
    fake.set_response(event_id, "dsl@school.example.org", "declined")
    await poll(bot)
    edu = await invitation(bot, "education")
    assert edu.status == "declined" and edu.late is True
    [late] = await escalations(bot, "late_withdrawal")
    assert late.agency_id == "education" and late.notified[0]["name"] == "Ed Educator"
    pings = sent_to(bot, ESCALATIONS)[before:]
    assert any(PEOPLE["ed"]["teams_id"] in json.dumps(p.activity.get("entities")) for p in pings)
    assert chair_notices(bot, "withdrew late")
    async with bot.state["factory"]() as session:
        audited = (await session.scalars(select(AuditEntry.action).where(AuditEntry.action.like("calendar_%")))).all()
    assert sorted(audited) == ["calendar_accepted", "calendar_declined", "calendar_declined", "calendar_tentative"]


async def test_calendar_polling_backs_off_when_graph_fails(graph_bot: tuple[Bot, FakeIdentityAndGraph]) -> None:
    bot, fake = graph_bot
    await convene_and_send(bot, "CR-802", "at today 16:00")
    await poll(bot)
    fake.fail_next(100, 503)
    bot.clock.advance(minutes=5)
    await poll(bot)
    d = await discussion(bot, "CR-802")
    assert d.calendar_failures == 1 and d.calendar_next_poll_at == bot.clock.now() + timedelta(minutes=5)
    bot.clock.advance(minutes=5)
    await poll(bot)
    d = await discussion(bot, "CR-802")
    assert d.calendar_failures == 2 and d.calendar_next_poll_at == bot.clock.now() + timedelta(minutes=10)
    fake.clear_faults()
    bot.clock.advance(minutes=10)
    await poll(bot)
    d = await discussion(bot, "CR-802")
    assert d.calendar_failures == 0 and d.calendar_checked_at == bot.clock.now()


# 2. Delivery state on the roster ---------------------------------------------------------


@pytest.fixture
async def slow_retry_bot(database_url: str, connector: FakeConnector, clock: Clock) -> AsyncIterator[Bot]:
    """Retries as slow as in production (base 1 s, doubling): the delay must be told at once."""
    harness = Bot(make_settings(database_url, service_url=connector.url, outbox_backoff_base=1.0), connector, clock)
    await harness.start()
    try:
        yield harness
    finally:
        await harness.stop()


async def test_transient_failures_are_told_at_once_and_shown_on_the_roster(slow_retry_bot: Bot) -> None:
    bot = slow_retry_bot
    bot.connector.fail_next(100, 503, match=ED_CHAT)  # the school's only contact: a personal chat
    await convene_and_send(bot, "CR-803", "flags school at today 16:00")
    # Well inside 2 minutes (here: seconds), while the worker is still retrying.
    await bot.connector.wait_for(lambda c: any("is delayed" in card_json(m.activity)
                                               for m in c.sent if m.conversation_id == CHRIS_CHAT), timeout=15)  # fmt: skip
    [notice] = chair_notices(bot, "is delayed")
    text = card_json(notice.activity)
    assert "Education Safeguarding" in text and "Ed Educator" in text and "01632" in text
    assert "Record answer" in titles(notice.activity)
    edu = await invitation(bot, "education")
    assert edu.delivery == "retrying"
    await bot.connector.wait_for(lambda c: any("retrying" in card_json(u.activity) for u in c.updates), timeout=10)
    roster = latest_roster(bot, "CR-803")
    assert "retrying" in roster and "Phone Ed Educator" in roster
    # Teams recovers: the invitation arrives, the roster says so, and no failure is told.
    bot.connector.clear_faults()
    await bot.drain(timeout=60)
    assert (await invitation(bot, "education")).delivery == "delivered"
    assert "Invitation delivered" in latest_roster(bot, "CR-803")
    assert not chair_notices(bot, "did not reach")
    assert len(chair_notices(bot, "is delayed")) == 1


async def test_a_final_failure_is_told_again_and_the_heading_counts_it(database_url: str, connector: FakeConnector,
                                                                     clock: Clock) -> None:  # fmt: skip
    bot = Bot(make_settings(database_url, service_url=connector.url, outbox_max_attempts=3), connector, clock)
    await bot.start()
    try:
        connector.fail_next(100, 503, match=ED_CHAT)
        await convene_and_send(bot, "CR-804", "flags school at today 16:00")
        await bot.drain(timeout=30)
        edu = await invitation(bot, "education")
        assert edu.delivery == "failed"
        assert len(chair_notices(bot, "is delayed")) == 1
        [failed] = chair_notices(bot, "did not reach Ed Educator")
        assert "Ed Educator" in card_json(failed.activity) and "Record answer" in titles(failed.activity)
        roster = latest_roster(bot, "CR-804")
        assert "Invitations sent — 1 not delivered" in roster and "NOT delivered" in roster and "Phone Ed Educator" in roster

        # The chair phones Ed and records the answer from the failure notice.
        data = {**verb_data(failed.activity, "record_answer"), "ra_invitation": edu.id, "ra_answer": "accepted",
                "ra_note": "Phoned Ed at 09:20"}  # fmt: skip
        status, body = await bot.click("chris", "record_answer", data, CHRIS_CHAT)
        assert status == 200 and "answer recorded" in json.dumps(body)
        await bot.drain()
        edu = await invitation(bot, "education")
        assert edu.status == "accepted" and edu.recorded_by_person_id == "chris" and edu.answer_source == "chair"
        roster = latest_roster(bot, "CR-804")
        assert "recorded by Chris Chair" in roster and "not delivered" not in roster
    finally:
        await bot.stop()


async def test_a_permanent_refusal_marks_the_row_failed_at_once(bot: Bot) -> None:
    bot.connector.fail_next(1, 403, match=ED_CHAT)
    await convene_and_send(bot, "CR-805", "flags school at today 16:00")
    await bot.drain(timeout=20)
    assert (await invitation(bot, "education")).delivery == "failed"
    assert chair_notices(bot, "did not reach Ed Educator") and not chair_notices(bot, "is delayed")
    assert "1 not delivered" in latest_roster(bot, "CR-805")


# 3. Record answer ------------------------------------------------------------------------


async def test_record_answer_counts_like_any_answer(bot: Bot) -> None:
    bot.clock.set(MONDAY_0900)
    await convene_and_send(bot, "CR-806", "at today 15:00")
    await bot.drain()
    [roster] = [m for m in sent_to(bot, CHRIS_CHAT) if "Roster: CR-806" in card_json(m.activity)]
    assert "Record answer" in titles(roster.activity)
    save = verb_data(roster.activity, "record_answer")
    police, health = await invitation(bot, "police"), await invitation(bot, "health")

    # Only the chair; bad input is answered and changes nothing.
    status, body = await bot.click("pat", "record_answer", {**save, "ra_invitation": police.id, "ra_answer": "accepted"})
    assert status == 200 and "Only the chair" in json.dumps(body)
    await bot.say("pat", "status CR-806")  # an invited agency sees the roster, without the chair's button
    await bot.drain()
    pat_roster = sent_to(bot, activities.personal_conversation("29:pat"))[-1].activity
    assert "Roster: CR-806" in card_json(pat_roster) and "Record answer" not in titles(pat_roster)
    status, body = await bot.click("chris", "record_answer", {**save, "ra_invitation": police.id, "ra_answer": "declined"},
                                   CHRIS_CHAT)  # fmt: skip
    assert status == 200 and "reason" in json.dumps(body)
    status, body = await bot.click("chris", "record_answer", {**save, "ra_invitation": "nope", "ra_answer": "maybe"}, CHRIS_CHAT)
    assert status == 200 and "not recorded" in json.dumps(body)
    assert (await invitation(bot, "police")).status == "pending"

    # Health says "probably" by e-mail: tentative, which is not a confirmation.
    status, body = await bot.click("chris", "record_answer", {**save, "ra_invitation": health.id, "ra_answer": "tentative"},
                                   CHRIS_CHAT)  # fmt: skip
    assert status == 200 and "Tentative" in json.dumps(body["value"], ensure_ascii=False)
    assert (await invitation(bot, "health")).status == "tentative" and "INQUORATE" in json.dumps(body["value"])

    # Police and health answer by phone: quorate.
    for inv in (police, health):
        status, body = await bot.click("chris", "record_answer", {**save, "ra_invitation": inv.id, "ra_answer": "accepted",
                                                                  "ra_note": "By phone"}, CHRIS_CHAT)  # fmt: skip
        assert status == 200
    assert "QUORATE" in json.dumps(body["value"]) and "INQUORATE" not in json.dumps(body["value"])
    await bot.drain()
    assert "QUORATE" in latest_roster(bot, "CR-806") and "INQUORATE" not in latest_roster(bot, "CR-806")

    # 14:30: the police phone to withdraw. Recorded by the chair, it is a late withdrawal.
    bot.clock.set(datetime(2026, 11, 23, 14, 30, tzinfo=UTC))
    status, _ = await bot.click("chris", "record_answer", {**save, "ra_invitation": police.id, "ra_answer": "declined",
                                                           "ra_reason": "Officer called to an incident"}, CHRIS_CHAT)  # fmt: skip
    assert status == 200
    await bot.drain()
    police = await invitation(bot, "police")
    assert police.status == "withdrawn" and police.late and police.recorded_by_person_id == "chris"
    [late] = await escalations(bot, "late_withdrawal")
    assert late.notified[0]["name"] == "Ina Inspector"
    assert not any("Officer called" in json.dumps(m.activity) for m in bot.connector.sent if m.conversation_id.startswith("19:"))

    env = {**os.environ, "DATABASE_URL": bot.settings.database_url}
    result = subprocess.run([sys.executable, "-m", "bot.cli", "export", "CR-806", "--format", "json"],
                            capture_output=True, text=True, env=env, timeout=120)  # fmt: skip
    assert result.returncode == 0, result.stderr
    [exported] = json.loads(result.stdout)["discussions"]
    by_agency = {i["agency"]: i for i in exported["invitations"]}
    assert by_agency["police"]["recorded_by"] == {"name": "Chris Chair", "role": "Team Manager (chair)"}
    assert by_agency["police"]["status"] == "withdrawn" and by_agency["police"]["late"] is True
    assert by_agency["health"]["recorded_by"]["name"] == "Chris Chair"
    markdown = subprocess.run([sys.executable, "-m", "bot.cli", "export", "CR-806", "--format", "md"],
                              capture_output=True, text=True, env=env, timeout=120)  # fmt: skip
    assert "(recorded by Chris Chair)" in markdown.stdout
    async with bot.state["factory"]() as session:
        actions = (await session.scalars(select(AuditEntry.action))).all()
    assert actions.count("answer_recorded") == 4 and actions.count("refused_record_answer") == 1


# 4 and 5. cases, the digest, answer by ---------------------------------------------------


async def test_cases_for_a_chair_and_a_duty_manager_and_the_daily_digest(bot: Bot) -> None:
    bot.clock.set(MONDAY_0900 - timedelta(seconds=30))
    await bot.say("chris", "convene CR-701 referral today 08:40 at tomorrow 15:00")
    bot.clock.set(MONDAY_0900)
    await convene_and_send(bot, "CR-702", "at today 10:30")
    await bot.drain()
    # The invitation says by when to answer: the moment the inquorate warning fires.
    [police_thread] = sent_to(bot, "19:police-sd@thread.tacv2;messageid=")
    assert "Answer by Mon 23 Nov 2026, 09:45" in card_json(police_thread.activity)
    bot.clock.set(datetime(2026, 11, 23, 9, 44, tzinfo=UTC))
    await bot.state["scheduler"].run_once()
    assert not await escalations(bot, "inquorate")
    bot.clock.set(datetime(2026, 11, 23, 9, 45, tzinfo=UTC))
    await bot.state["scheduler"].run_once()
    assert {e.agency_id for e in await escalations(bot, "inquorate")} == {"police", "health"}
    await bot.drain()

    # The chair: newest first, each with its state, next deadline and what is missing.
    await bot.say("chris", "cases")
    await bot.drain()
    mine = card_json(sent_to(bot, CHRIS_CHAT)[-1].activity)
    assert "Your open discussions" in mine
    assert mine.index("CR-702") < mine.index("CR-701")
    assert "invitations not sent" in mine and "confirmation from the police" in mine and "inquorate" in mine

    # The police duty manager: only what is at risk in which the police are involved.
    await bot.say("ina", "cases")
    await bot.drain()
    ina = card_json(sent_to(bot, activities.personal_conversation("29:ina"))[-1].activity)
    assert "Cases at risk" in ina and "CR-702" in ina and "CR-701" not in ina and "inquorate" in ina

    # Not in a channel: case lists are for one person. Asked in a channel, the channel gets a
    # note and the list goes to the person's personal chat.
    before = len(bot.connector.sent)
    await bot.say("chris", "cases", channel_id="19:csc-sd@thread.tacv2")
    await bot.drain()
    new = bot.connector.sent[before:]
    [note] = [m for m in new if m.conversation_id.startswith("19:csc-sd@thread.tacv2")]
    assert note.text == "Sent to you in a personal chat." and "CR-702" not in json.dumps(note.activity)
    assert any("CR-702" in card_json(m.activity) for m in new if m.conversation_id == CHRIS_CHAT)

    # Someone who chairs nothing and is on duty for nothing.
    await bot.say("olly", "cases")
    await bot.drain()
    assert "No cases to show" in card_json(sent_to(bot, activities.personal_conversation("29:olly"))[-1].activity)

    # Tuesday 08:35: the daily digest, once, with case references and counts only.
    bot.clock.set(datetime(2026, 11, 24, 8, 35, tzinfo=UTC))
    await bot.state["scheduler"].run_once()
    await bot.state["scheduler"].run_once()
    await bot.drain()
    digests = [m for m in sent_to(bot, ESCALATIONS) if "Daily digest Tue 24 Nov" in card_json(m.activity)]
    assert len(digests) == 1
    digest = card_json(digests[0].activity)
    assert "CR-702" in digest and "Inquorate: 1" in digest and "CSC absent: 1" in digest and "CR-701" not in digest

    # `cases` is in the help list.
    await bot.say("chris", "help")
    await bot.drain()
    assert "cases" in card_json(sent_to(bot, CHRIS_CHAT)[-1].activity)


async def test_no_digest_on_a_weekend_or_before_its_time(bot: Bot) -> None:
    await convene_and_send(bot, "CR-703", "at today 15:00")
    bot.clock.set(datetime(2026, 11, 28, 9, 0, tzinfo=UTC))  # a Saturday
    await bot.state["scheduler"].run_once()
    bot.clock.set(datetime(2026, 11, 30, 8, 29, tzinfo=UTC))  # Monday, before 08:30
    await bot.state["scheduler"].run_once()
    await bot.drain()
    assert not [m for m in sent_to(bot, ESCALATIONS) if "Daily digest" in card_json(m.activity)]
    bot.clock.set(datetime(2026, 11, 30, 8, 30, tzinfo=UTC))
    await asyncio.gather(bot.state["scheduler"].run_once(), bot.state["scheduler"].run_once())
    await bot.drain()
    assert len([m for m in sent_to(bot, ESCALATIONS) if "Daily digest" in card_json(m.activity)]) == 1


def test_directory_contact_fields_are_checked() -> None:
    from procedure import AGENCY_KINDS
    from storage.directory import DirectoryError, load_directory, parse_directory

    directory = load_directory(kinds=AGENCY_KINDS)
    gp = next(a for a in directory.agencies if a.id == "gp")
    assert gp.email == "gp-practice@example.org" and gp.phone
    assert all(p.phone for p in directory.people)
    base = {"agencies": [{"id": "gp", "name": "GP", "kind": "gp", "email": "gp@example.org", "phone": "01632 960006"}],
            "people": [{"id": "gina", "name": "Dr Gina GP", "agency": "gp", "phone": "+44 1632 960007"}]}  # fmt: skip
    parsed = parse_directory(base, kinds=AGENCY_KINDS)
    assert parsed.agencies[0].phone == "01632 960006" and parsed.people[0].phone == "+44 1632 960007"
    for bad, field in (({**base["agencies"][0], "email": "not-an-address"}, "email"),
                       ({**base["agencies"][0], "phone": "call me"}, "phone")):  # fmt: skip
        with pytest.raises(DirectoryError, match=f"agency 'gp': field '{field}'"):
            parse_directory({**base, "agencies": [bad]}, kinds=AGENCY_KINDS)
    with pytest.raises(DirectoryError, match="person 'gina': field 'phone'"):
        parse_directory({**base, "people": [{**base["people"][0], "phone": "ext. twelve"}]}, kinds=AGENCY_KINDS)


async def test_an_agency_with_no_teams_contact_is_shown_as_not_delivered(database_url: str, connector: FakeConnector,
                                                                         clock: Clock, tmp_path: Any) -> None:  # fmt: skip
    from tests.conftest import ROOT

    text = (ROOT / "config" / "directory.example.toml").read_text(encoding="utf-8")
    directory = tmp_path / "directory.toml"
    directory.write_text(text.replace('teams_id = "29:ed"\n', ""), encoding="utf-8")
    bot = Bot(make_settings(database_url, service_url=connector.url, directory=str(directory)), connector, clock)
    await bot.start()
    try:
        await convene_and_send(bot, "CR-807", "flags school at today 16:00")
        await bot.drain()
        assert (await invitation(bot, "education")).delivery == "failed"
        roster = latest_roster(bot, "CR-807")
        assert "1 not delivered" in roster and "Phone Ed Educator" in roster and "01632" in roster
    finally:
        await bot.stop()


def test_answer_by_is_the_inquorate_warning_time() -> None:
    from dialogs.checks import Inquorate
    from dialogs.services import Services
    from procedure import answer_by, load_profile

    profile = load_profile("pan-sussex")
    # Convened at 16:00 for a same-day discussion at 17:00: a fair chance is half the time left.
    sent, start = datetime(2026, 11, 23, 16, 0, tzinfo=UTC), datetime(2026, 11, 23, 17, 0, tzinfo=UTC)
    assert answer_by(start, sent, profile) == datetime(2026, 11, 23, 16, 30, tzinfo=UTC)
    # Sent the day before: the warning window (2 h before the start) decides.
    assert answer_by(start, sent - timedelta(days=1), profile) == start - timedelta(hours=2)
    assert answer_by(None, sent, profile) is None
    d = Discussion(scheduled_for=start, invited_at=sent)
    assert Inquorate.due_at(d, Services.build(profile)) == answer_by(start, sent, profile)
