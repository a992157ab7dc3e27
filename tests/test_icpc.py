"""`icpc CASE_REF held WHEN` through the real route: the chair records when the Initial Child
Protection Conference was held (on the discussion that initiated the S47); refused for
non-chairs, a case with no ICPC deadline, unreadable, future or too-early dates (nothing stored);
audited without typed text; shown in `status`, the record and the export; typed in a channel,
the channel gets only the short note."""

from __future__ import annotations

import json
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select

from dialogs.export import case_record
from dialogs.record_view import case_doc, to_markdown
from storage.models import AuditEntry, Discussion
from tests.conftest import Bot
from tests.support import activities
from tests.test_confidentiality import shared_requests
from tests.test_convene_flow import CHRIS_CHAT, card_json, sent_to
from tests.test_discussion_flow import held, next_step

LONDON = ZoneInfo("Europe/London")
CSC = "19:csc-sd@thread.tacv2"


async def s47_closed(bot: Bot, ref: str, s47: str = "joint") -> str:
    """Held Wed 20 May 2026 15:00 and closed: with an S47, the ICPC is due by Thu 11 Jun 23:59
    (15 working days; Mon 25 May is a bank holiday)."""
    did = await held(bot, ref, flags="school")
    await next_step(bot, did, "decisions", {"decision:s47": s47, "rationale:s47": "Fixture rationale."})
    await bot.say("chris", f"close {ref}")
    await bot.drain()
    return did


async def row(bot: Bot, did: str) -> Discussion:
    async with bot.state["factory"]() as session:
        d = await session.get(Discussion, did)
    assert d is not None
    return d


async def icpc_audit(bot: Bot) -> list[AuditEntry]:
    async with bot.state["factory"]() as session:
        return list((await session.scalars(select(AuditEntry).where(AuditEntry.action == "icpc_held"))).all())


def last_chair_text(bot: Bot) -> str:
    return card_json(sent_to(bot, CHRIS_CHAT)[-1].activity)


async def test_the_chair_records_the_icpc_and_it_shows_everywhere(bot: Bot) -> None:
    did = await s47_closed(bot, "CR-4101")
    icpc_by = (await row(bot, did)).icpc_by
    assert icpc_by is not None and icpc_by.astimezone(LONDON).date().isoformat() == "2026-06-11"
    bot.clock.set(datetime(2026, 6, 9, 16, 0, tzinfo=LONDON))  # Tue 9 Jun

    # Refused, and nothing stored: not a chair; unreadable; future; before the discussion.
    await bot.say("pat", "icpc CR-4101 held today 10:00")
    await bot.drain()
    assert "Only a chair" in card_json(sent_to(bot, activities.personal_conversation("29:pat"))[-1].activity)
    for typed, expected in (("icpc CR-4101 held someday soon", "could not read"),
                            ("icpc CR-4101 held tomorrow 10:00", "in the future"),
                            ("icpc CR-4101 held 19/05/2026 10:00", "before the strategy discussion"),
                            ("icpc CR-4101", "When was it held?"),
                            ("icpc held yesterday", "Start with the case reference"),
                            ("icpc CR-NONE held yesterday", "No discussion for CR-NONE")):  # fmt: skip
        await bot.say("chris", typed)
        await bot.drain()
        answer = last_chair_text(bot)
        assert expected in answer and "nothing was saved" in answer.lower() or expected.startswith("No discussion"), (typed, answer)
    assert (await row(bot, did)).icpc_held_at is None and await icpc_audit(bot) == []

    # A date as people write it: no year means the last such date (it was held, not planned).
    await bot.say("chris", "icpc CR-4101 held 08/06 14:00")
    await bot.drain()
    answer = last_chair_text(bot)
    assert "Initial Child Protection Conference held" in answer and "Mon 8 Jun 2026, 14:00" in answer
    # Thu 21 May .. Mon 8 Jun, without Mon 25 May (Spring bank holiday): 12 working days.
    assert "within 15 working days" in answer and "12 working days after the strategy discussion" in answer
    d = await row(bot, did)
    assert d.icpc_held_at == datetime(2026, 6, 8, 14, 0, tzinfo=LONDON)
    [entry] = await icpc_audit(bot)
    assert entry.case_ref == "CR-4101" and entry.discussion_id == did and entry.detail["within_deadline"] is True
    assert "08/06" not in json.dumps(entry.detail)  # times, not what was typed

    # status (the roster), the export (ISO with offset, next to icpc_by) and the record.
    await bot.say("chris", "status CR-4101")
    await bot.drain()
    assert "ICPC held Mon 8 Jun 2026, 14:00" in last_chair_text(bot)
    async with bot.state["factory"]() as session:
        exported = await case_record(session, "CR-4101", LONDON)
        doc = await case_doc(session, bot.state["services"], "CR-4101")
    assert exported is not None and doc is not None
    [first] = exported["discussions"]
    assert first["icpc_held_at"] == "2026-06-08T14:00:00+01:00" and first["icpc_by"].startswith("2026-06-11")
    assert list(first).index("icpc_held_at") == list(first).index("icpc_by") + 1
    assert "Initial Child Protection Conference held: Mon 8 Jun 2026, 14:00" in to_markdown(doc).replace("**", "")

    # Corrected later: the new date replaces the old, audited with the one it replaced; now late.
    bot.clock.set(datetime(2026, 6, 16, 9, 0, tzinfo=LONDON))
    await bot.say("chris", "icpc CR-4101 held last Monday 10:00")
    await bot.drain()
    answer = last_chair_text(bot)
    assert "Mon 15 Jun 2026, 10:00" in answer and "LATE" in answer and "Replaces the date recorded before" in answer
    assert len(await icpc_audit(bot)) == 2


async def test_a_review_shows_the_initiating_discussions_icpc(bot: Bot) -> None:
    did = await s47_closed(bot, "CR-4102")
    bot.clock.set(datetime(2026, 6, 1, 9, 0, tzinfo=LONDON))
    await bot.say("chris", "review CR-4102 at tomorrow 10:00")
    await bot.drain()
    await bot.say("chris", "icpc CR-4102 held 29/05/2026 11:00")
    await bot.drain()
    assert "Fri 29 May 2026, 11:00" in last_chair_text(bot)
    async with bot.state["factory"]() as session:
        rows = (await session.scalars(select(Discussion).where(Discussion.case_ref == "CR-4102")
                                      .order_by(Discussion.created_at))).all()  # fmt: skip
    assert [r.id for r in rows if r.icpc_held_at] == [did]  # stored once, on the initiating discussion


async def test_no_s47_no_icpc(sqlite_bot: Bot) -> None:
    bot = sqlite_bot
    did = await s47_closed(bot, "CR-4103", s47="none")
    bot.clock.set(datetime(2026, 6, 9, 16, 0, tzinfo=LONDON))
    await bot.say("chris", "icpc CR-4103 held yesterday 10:00")
    await bot.drain()
    answer = last_chair_text(bot)
    assert "CR-4103 has no ICPC deadline" in answer and "nothing was saved" in answer
    assert (await row(bot, did)).icpc_held_at is None and await icpc_audit(bot) == []


async def test_typed_in_a_channel_the_channel_gets_only_the_note(bot: Bot) -> None:
    did = await s47_closed(bot, "CR-4104")
    bot.clock.set(datetime(2026, 6, 9, 16, 0, tzinfo=LONDON))
    before = len(bot.connector.requests)
    await bot.say("chris", "icpc CR-4104 held ZZ-MARKER-when", channel_id=CSC)  # unreadable: refused privately
    await bot.say("chris", "icpc CR-4104 held yesterday 14:30", channel_id=CSC)
    await bot.drain()
    written = [r for r in shared_requests(bot) if r in bot.connector.requests[before:]]
    channel_text = json.dumps([r.body for r in written])
    assert written and "ZZ-MARKER" not in channel_text and "14:30" not in channel_text and "yesterday" not in channel_text
    assert [m.text for m in sent_to(bot, CSC)][-2:] == ["CR-4104: sent to you in a personal chat."] * 2
    private = [card_json(m.activity) for m in sent_to(bot, CHRIS_CHAT)][-2:]
    assert "ZZ-MARKER-when" in private[0] and "Mon 8 Jun 2026, 14:30" in private[1]
    assert (await row(bot, did)).icpc_held_at == datetime(2026, 6, 8, 14, 30, tzinfo=LONDON)
