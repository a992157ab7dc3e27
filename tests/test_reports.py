"""Learning and assurance report: figures worked out by hand from fixtures (SQLite and
PostgreSQL), the formats (JSON through `sdbot report`, Markdown, self-contained HTML), and
the Teams `report` command through the real route."""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from dialogs.report import (
    Period,
    build_report,
    median_working_days,
    period_from,
    to_html,
    to_markdown,
)
from dialogs.services import Services
from procedure import AGENCY_KINDS, WorkingDayCalendar, load_profile
from storage.db import create_engine, session_factory, transaction
from storage.directory import load_directory, sync_directory
from storage.models import Attendance, Disagreement, Discussion, Escalation, Invitation
from tests.cards.test_schema import NODE_DIR, schema_errors
from tests.conftest import Bot
from tests.support import activities
from tests.test_convene_flow import CHRIS_CHAT, card_json, sent_to
from tests.test_discussion_flow import held

ROOT = Path(__file__).resolve().parent.parent
LONDON = ZoneInfo("Europe/London")
SAME_DAY = "same day as the referral: serious physical injury (SX 6.6 Timing)"
THREE_WD = "within 3 working days of the referral (SX 6.6 Timing)"


def at(text: str) -> datetime:
    """Local (London) wall-clock time: BST until 25 Oct 2026, GMT after."""
    return datetime.fromisoformat(text).replace(tzinfo=LONDON)


def discussion(case_ref: str, *, referral: str, invited: str | None, convene_by: str, rule: str,
               started: str | None = None, quorate: bool | None = None, closed: str | None = None,
               circulate_by: str | None = None, circulated: str | None = None, icpc_by: str | None = None,
               icpc_held: str | None = None, status: str | None = None) -> Discussion:  # fmt: skip
    did = str(uuid.uuid4())
    return Discussion(
        id=did, case_ref=case_ref, status=status or ("closed" if closed else "in_progress" if started else "invited"),
        profile="pan-sussex", referral_received_at=at(referral), convene_by=at(convene_by), convene_by_rule=rule,
        chair_person_id="chris", invited_at=at(invited) if invited else None, started_at=at(started) if started else None,
        quorate_at_start=quorate, closed_at=at(closed) if closed else None,
        circulate_by=at(circulate_by) if circulate_by else None, circulated_at=at(circulated) if circulated else None,
        icpc_by=at(icpc_by) if icpc_by else None, s47_initiated=icpc_by is not None,
        initiating_discussion_id=did if icpc_by else None, icpc_held_at=at(icpc_held) if icpc_held else None,
        created_at=at(invited or referral),
    )  # fmt: skip


def invitation(d: Discussion, agency: str | None, kind: str, status: str, late: bool = False) -> Invitation:
    return Invitation(id=str(uuid.uuid4()), discussion_id=d.id, agency_id=agency, agency_kind=kind, reason="fixture",
                      status=status, late=late, sent_at=d.invited_at)  # fmt: skip


def present(d: Discussion, agency: str, name: str, is_present: bool = True) -> Attendance:
    return Attendance(discussion_id=d.id, name=name, agency_id=agency, agency_name=agency, present=is_present)


def escalation(d: Discussion, kind: str, agency: str | None = None) -> Escalation:
    return Escalation(discussion_id=d.id, kind=kind, agency_id=agency, dedupe_key=f"{kind}:{d.id}", notified=[],
                      at=d.invited_at)  # fmt: skip


def disagreement(d: Discussion, stage: int) -> Disagreement:
    return Disagreement(id=str(uuid.uuid4()), discussion_id=d.id, raised_by_name="Pat Lead", about="fixture",
                        stage_index=stage, resolve_by=at("2026-11-20T17:00"))  # fmt: skip


def fixtures() -> list[Any]:
    """Four discussions sent in October-November 2026, and two that must not count.

    A  CR-T1  sent Thu 1 Oct 00:30 BST (still 30 Sep in UTC: it counts in October), referral
              Wed 30 Sep 23:00, within 3 WD -> convene by Mon 5 Oct 23:59; started Fri 2 Oct
              (2 WD after the referral's day): held by the deadline, quorate; closed; record
              circulated Mon 5 Oct, within 1 WD; S47: ICPC by Fri 23 Oct (15 WD after 2 Oct),
              held Mon 26 Oct: late.
    B  CR-T2  referral Fri 9 Oct 16:00, same day -> convene by Fri 9 Oct 23:59; started Wed
              14 Oct (3 WD: Mon, Tue, Wed): held late, inquorate; police withdrew late;
              paediatrics never answered; record never circulated (due Thu 15 Oct); S47: ICPC
              by Wed 4 Nov (15 WD after 14 Oct), never recorded as held: not held.
    C  CR-T3  referral Mon 2 Nov, within 3 WD -> Thu 5 Nov 23:59; never held.
    D  CR-T4  referral Tue 10 Nov 09:00, same day; started 13:00 (0 WD): held by the deadline,
              quorate; record circulated Fri 13 Nov, after Wed 11 Nov: late; S47: ICPC by
              Tue 1 Dec (15 WD after 10 Nov), held Fri 27 Nov: within 15 WD.
    E  CR-T5  a draft never sent (no invited_at): not counted.
    F  CR-T6  sent Wed 30 Sep 23:30 BST: before the period, with a late withdrawal, an
              escalation and a disagreement that must not count.
    """
    a = discussion("CR-T1", referral="2026-09-30T23:00", invited="2026-10-01T00:30", convene_by="2026-10-05T23:59",
                   rule=THREE_WD, started="2026-10-02T10:00", quorate=True, closed="2026-10-02T11:00",
                   circulate_by="2026-10-05T23:59", circulated="2026-10-05T09:00", icpc_by="2026-10-23T23:59",
                   icpc_held="2026-10-26T10:00")
    b = discussion("CR-T2", referral="2026-10-09T16:00", invited="2026-10-09T16:30", convene_by="2026-10-09T23:59",
                   rule=SAME_DAY, started="2026-10-14T10:00", quorate=False, closed="2026-10-14T11:00",
                   circulate_by="2026-10-15T23:59", icpc_by="2026-11-04T23:59")
    c = discussion("CR-T3", referral="2026-11-02T09:00", invited="2026-11-02T10:00", convene_by="2026-11-05T23:59",
                   rule=THREE_WD)
    d = discussion("CR-T4", referral="2026-11-10T09:00", invited="2026-11-10T09:30", convene_by="2026-11-10T23:59",
                   rule=SAME_DAY, started="2026-11-10T13:00", quorate=True, closed="2026-11-10T14:00",
                   circulate_by="2026-11-11T23:59", circulated="2026-11-13T09:00", icpc_by="2026-12-01T23:59",
                   icpc_held="2026-11-27T10:00")
    e = discussion("CR-T5", referral="2026-11-03T09:00", invited=None, convene_by="2026-11-06T23:59", rule=THREE_WD,
                   status="draft")
    f = discussion("CR-T6", referral="2026-09-30T20:00", invited="2026-09-30T23:30", convene_by="2026-10-05T23:59",
                   rule=THREE_WD, started="2026-10-06T10:00", quorate=False)
    rows: list[Any] = [a, b, c, d, e, f]
    rows += [invitation(a, "csc", "csc", "accepted"), invitation(a, "police", "police", "accepted"),
             invitation(a, "health", "health", "accepted"), invitation(a, "education", "education", "declined"),
             present(a, "csc", "Chris Chair"), present(a, "police", "Pat Lead"), present(a, "health", "Hana Health")]
    rows += [invitation(b, "csc", "csc", "accepted"), invitation(b, "police", "police", "withdrawn", late=True),
             invitation(b, "health", "health", "accepted"), invitation(b, "paediatrics", "paediatrics", "pending"),
             present(b, "csc", "Chris Chair"), present(b, "police", "No one confirmed from Police (MASH)", False),
             present(b, "health", "Hana Health"),
             escalation(b, "late_withdrawal", "police"), escalation(b, "circulation_overdue"),
             escalation(b, "deadline_at_risk"), disagreement(b, 1)]
    rows += [invitation(c, "csc", "csc", "accepted"), invitation(c, "police", "police", "accepted"),
             invitation(c, "health", "health", "delegated"), invitation(c, None, "other-la", "pending"),
             escalation(c, "inquorate"), escalation(c, "deadline_at_risk")]
    rows += [invitation(d, "csc", "csc", "accepted"), invitation(d, "police", "police", "accepted"),
             invitation(d, "health", "health", "accepted"), invitation(d, "education", "education", "accepted"),
             present(d, "csc", "Chris Chair"), present(d, "police", "Olly Officer"), present(d, "health", "Hugo Health"),
             present(d, "education", "Ed Educator"), disagreement(d, 0)]
    rows += [invitation(e, "csc", "csc", "accepted"), invitation(e, "police", "police", "pending")]
    rows += [invitation(f, "csc", "csc", "accepted"), invitation(f, "police", "police", "withdrawn", late=True),
             present(f, "csc", "Chris Chair"), escalation(f, "late_withdrawal", "police"), disagreement(f, 2)]
    return rows  # fmt: skip


def agency(agency_id: str, name: str, kind: str, **counts: int) -> dict[str, Any]:
    row = {"agency": agency_id, "name": name, "kind": kind, "invited": 0, "accepted": 0, "declined": 0, "withdrawn": 0,
           "late_withdrawals": 0, "no_answer": 0, "attended": 0}  # fmt: skip
    row.update(counts)
    return row


EXPECTED: dict[str, Any] = {
    "period": {"from": "2026-10-01", "to": "2026-11-30"},
    "discussions": 4,  # A B C D
    "held": 3,  # A B D
    "timeliness": {
        "held_by_deadline": 2,  # A D
        "held_late": 1,  # B
        "not_held": 1,  # C
        "not_yet_due": 0,
        "by_rule": [  # ordered by the rule's text
            {"rule": SAME_DAY, "held_by_deadline": 1, "held_late": 1, "not_held": 0},  # D; B
            {"rule": THREE_WD, "held_by_deadline": 1, "held_late": 0, "not_held": 1},  # A; C
        ],
        "by_month": [
            {"month": "2026-10", "discussions": 2, "held_by_deadline": 1, "held_late": 1, "not_held": 0, "not_yet_due": 0},
            {"month": "2026-11", "discussions": 2, "held_by_deadline": 1, "held_late": 0, "not_held": 1, "not_yet_due": 0},
        ],
    },
    "median_working_days_referral_to_discussion": 2.0,  # A 2, B 3, D 0
    "quorate_at_start": 2,  # A D
    "inquorate_at_start": 1,  # B
    "circulated_within_1wd": 1,  # A
    "circulation": {"closed": 3, "within_1wd": 1, "late": 1, "not_circulated": 1, "not_yet_due": 0},  # A; D; B
    "icpc_within_15wd": 1,  # D
    "icpc": {"required": 3, "held_within_15wd": 1, "held_late": 1, "not_held": 1, "not_yet_due": 0},  # A B D; D; A; B
    "by_agency": [
        agency("csc", "Children's Social Care (Front Door)", "csc", invited=4, accepted=4, attended=3),
        agency("education", "Education Safeguarding (schools)", "education", invited=2, accepted=1, declined=1, attended=1),
        agency("health", "Health Safeguarding Team", "health", invited=4, accepted=3, no_answer=1, attended=3),
        agency("paediatrics", "Community Paediatrics", "paediatrics", invited=1, no_answer=1),
        agency("police", "Police (MASH)", "police", invited=4, accepted=3, withdrawn=1, late_withdrawals=1, attended=2),
        agency(None, "Other local authority's CSC (no agency in the directory)", "other-la", invited=1, no_answer=1),  # type: ignore[arg-type]
    ],
    "escalations": {"late_withdrawal": 1, "inquorate": 1, "csc_absent": 0, "deadline_at_risk": 2, "overdue_action": 0,
                    "disagreement": 0, "circulation_overdue": 1, "no_response": 0},
    "disagreements": {"practitioner": 1, "line manager": 1, "senior manager": 0, "safeguarding partnership": 0},
    "follow_up": [  # by convene-by deadline; case references and times only
        {"case_ref": "CR-T1", "why": ["icpc_late"], "convene_by": "2026-10-05T23:59+01:00",
         "started_at": "2026-10-02T10:00+01:00"},
        {"case_ref": "CR-T2", "why": ["held_late", "not_circulated", "icpc_not_held"], "convene_by": "2026-10-09T23:59+01:00",
         "started_at": "2026-10-14T10:00+01:00"},
        {"case_ref": "CR-T3", "why": ["not_held"], "convene_by": "2026-11-05T23:59+00:00", "started_at": None},
        {"case_ref": "CR-T4", "why": ["circulated_late"], "convene_by": "2026-11-10T23:59+00:00",
         "started_at": "2026-11-10T13:00+00:00"},
    ],
}  # fmt: skip


async def _load(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        async with transaction(session_factory(engine)) as session:
            await sync_directory(session, load_directory(kinds=AGENCY_KINDS))
            rows = fixtures()
            session.add_all([r for r in rows if isinstance(r, Discussion)])
            await session.flush()  # the other rows refer to the discussions
            session.add_all([r for r in rows if not isinstance(r, Discussion)])
    finally:
        await engine.dispose()


async def _report(database_url: str, period: Period, now: datetime) -> dict[str, Any]:
    engine = create_engine(database_url)
    try:
        async with session_factory(engine)() as session:
            return await build_report(session, Services.build(load_profile()), period, now)
    finally:
        await engine.dispose()


def sdbot(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    """`sdbot` as a separate process, as a manager runs it."""
    env = {**os.environ, "DATABASE_URL": database_url, "SDBOT_LOG_LEVEL": "WARNING"}
    return subprocess.run([sys.executable, "-m", "bot.cli", *args], capture_output=True, text=True, env=env,
                          timeout=120, cwd=ROOT)  # fmt: skip


async def test_sdbot_report_json_matches_the_figures_worked_out_by_hand(database_url: str, tmp_path: Path) -> None:
    await _load(database_url)
    out = tmp_path / "report.json"
    result = await asyncio.to_thread(sdbot, database_url, "report", "--from", "01/10/2026", "--to", "30/11/2026",
                                     "--format", "json", "--out", str(out))  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert out.stat().st_mode & 0o777 == 0o600  # it names cases: owner-only
    report = json.loads(out.read_text())
    assert report.pop("generated_at")
    assert report == EXPECTED


async def test_figures_depend_on_what_was_due_at_the_time(database_url: str) -> None:
    """On Wed 4 Nov at noon C was not yet due, and B's record was already overdue."""
    await _load(database_url)
    report = await _report(database_url, Period(datetime(2026, 10, 1).date(), datetime(2026, 11, 30).date()),
                           at("2026-11-04T12:00"))  # fmt: skip
    assert report["timeliness"] | {"by_rule": None, "by_month": None} == {
        "held_by_deadline": 2, "held_late": 1, "not_held": 0, "not_yet_due": 1, "by_rule": None, "by_month": None}
    assert report["timeliness"]["by_month"][1] == {"month": "2026-11", "discussions": 2, "held_by_deadline": 1,
                                                   "held_late": 0, "not_held": 0, "not_yet_due": 1}  # fmt: skip
    assert [f["case_ref"] for f in report["follow_up"]] == ["CR-T1", "CR-T2", "CR-T4"]
    # B's ICPC deadline (Wed 4 Nov 23:59) had not passed yet.
    assert report["icpc"] == {"required": 3, "held_within_15wd": 1, "held_late": 1, "not_held": 0, "not_yet_due": 1}
    assert [f["why"] for f in report["follow_up"]][1] == ["held_late", "not_circulated"]
    # October only: A and B; the boundary is local midnight (A was sent at 23:30 UTC on 30 Sep).
    october = await _report(database_url, Period(datetime(2026, 10, 1).date(), datetime(2026, 10, 31).date()),
                            at("2026-12-01T09:00"))  # fmt: skip
    assert october["discussions"] == 2 and october["timeliness"]["by_month"] == [EXPECTED["timeliness"]["by_month"][0]]
    assert october["median_working_days_referral_to_discussion"] == 2.5  # A 2, B 3


def test_period_is_uk_dates_and_defaults_to_the_last_three_months() -> None:
    now = at("2026-11-30T10:00")
    assert period_from(None, None, now, "Europe/London") == Period(datetime(2026, 8, 30).date(), datetime(2026, 11, 30).date())
    assert period_from("03/04/2026", "05/04/2026", now, "Europe/London") == Period(datetime(2026, 4, 3).date(), datetime(2026, 4, 5).date())
    assert period_from(None, "31/05/2026", now, "Europe/London").first == datetime(2026, 2, 28).date()
    from dialogs.parse import InputError

    with pytest.raises(InputError):
        period_from("05/04/2026", "03/04/2026", now, "Europe/London")
    with pytest.raises(InputError):
        period_from("not a date", None, now, "Europe/London")
    with pytest.raises(InputError, match="10 years"):
        period_from("01/01/1900", "31/12/2026", now, "Europe/London")


def test_median_counts_working_days_across_a_bank_holiday() -> None:
    calendar = WorkingDayCalendar(load_profile())
    # Thu 24 Dec 2026 -> Tue 29 Dec: Fri 25, Mon 28 (substitute Boxing Day) are holidays: 1 WD.
    assert median_working_days([(at("2026-12-24T10:00"), at("2026-12-29T10:00"))], calendar) == 1.0
    assert median_working_days([], calendar) is None


def test_bad_dates_exit_2_and_say_why(sqlite_url: str) -> None:
    result = sdbot(sqlite_url, "report", "--from", "31/12/2026", "--to", "01/12/2026")
    assert result.returncode == 2 and "starts" in result.stderr and not result.stdout


async def test_html_is_one_self_contained_page_with_charts_and_their_tables(sqlite_url: str) -> None:
    await _load(sqlite_url)
    report = await _report(sqlite_url, Period(datetime(2026, 10, 1).date(), datetime(2026, 11, 30).date()),
                           at("2026-12-01T09:00"))  # fmt: skip
    page = to_html(report)
    links = re.findall(r"""\b(?:src|href)\s*=\s*["']?([^"'\s>]*)""", page, re.I)
    assert not [link for link in links if "http" in link.lower() or "//" in link], links
    assert not re.search(r"<(link|script|img|iframe)\b", page, re.I) and "@import" not in page and "url(http" not in page
    assert page.count("<svg") == 3  # timeliness by month, agencies, escalations
    for caption in ("Timeliness by month", "Attendance and late withdrawals by agency", "Escalations by kind"):
        chart = page.index(f"<h2>{caption}")
        section = page[chart: page.index("</section>", chart)]
        assert "<svg" in section and f"<caption>{caption}" in section  # the chart, and its figures beside it
    assert "<td>Police (MASH)</td><td>Police</td><td class='n'>4</td>" in page
    assert "CR-T2" in page and "CR-T5" not in page and "CR-T6" not in page  # case references only to follow up
    assert "<td>ICPC held late</td><td class='n'>1</td>" in page and "ICPC not held by its deadline" in page
    assert "fixture" not in page  # no free text (reasons, what a disagreement is about)
    assert "@media print" in page
    markdown = to_markdown(report)
    assert "| Police (MASH) | Police | 4 | 3 | 0 | 1 | 1 | 0 | 2 |" in markdown and "fixture" not in markdown


# Teams: `report` ---------------------------------------------------------------------------


def _report_cards(bot: Bot, conversation_prefix: str) -> list[dict[str, Any]]:
    found = []
    for m in sent_to(bot, conversation_prefix):
        for attachment in m.activity.get("attachments") or []:
            content = attachment.get("content") or {}
            if "Learning and assurance" in json.dumps(content):
                found.append(content)
    return found


def _facts(card: dict[str, Any]) -> dict[str, str]:
    facts: dict[str, str] = {}

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "FactSet":
                facts.update({f["title"]: f["value"] for f in node["facts"]})
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(card)
    return facts


async def test_a_chair_gets_the_report_card_with_a_small_chart(bot: Bot, tmp_path: Path) -> None:
    await held(bot, "CR-RPT1")  # through the route: police, health and paediatrics accepted, then start
    async with bot.state["factory"]() as session:
        row = await session.scalar(select(Discussion).where(Discussion.case_ref == "CR-RPT1"))
    assert row is not None and row.quorate_at_start is True  # recorded by `start`
    await bot.say("chris", "report")
    await bot.drain()
    [card] = _report_cards(bot, CHRIS_CHAT)
    facts = _facts(card)
    assert facts["Discussions sent"] == "1"
    assert facts["Quorate at the start"] == "1 of 1 held"
    assert facts["Not yet due"] == "0" and facts["Held late"] == "0"
    assert facts["ICPC held within 15 working days"] == "0 of 0 due"  # not closed: no ICPC deadline yet
    [image] = [e for e in card["body"] if e.get("type") == "Image"]
    assert image["url"].startswith("data:image/png;base64,") and image["altText"]
    size = len(json.dumps(card).encode())
    assert size < 28 * 1024, size
    assert "sdbot report" in json.dumps(card)
    assert "CR-RPT1" not in json.dumps(card)  # figures only
    assert schema_errors(card) == []
    # Microsoft's renderer (tests/node) accepts it as Adaptive Card 1.5.
    path = tmp_path / "report-card.json"
    path.write_text(json.dumps(card))
    result = subprocess.run(["node", str(NODE_DIR / "validate-cards.js"), str(path)], capture_output=True, text=True, timeout=120)
    assert json.loads(result.stdout) == {str(path): []}, result.stdout + result.stderr


async def test_a_duty_manager_may_and_an_attendee_may_not(bot: Bot) -> None:
    await bot.say("ina", "report")  # police duty manager, cannot chair
    await bot.say("pat", "report")  # police officer: neither
    await bot.drain()
    assert len(_report_cards(bot, activities.personal_conversation("29:ina"))) == 1
    [refusal] = sent_to(bot, activities.personal_conversation("29:pat"))
    await bot.say("ina", "report from 01/10/2026 to 30/11/2026")
    await bot.say("ina", "report from someday")
    await bot.drain()
    ina = [m for m in sent_to(bot, activities.personal_conversation("29:ina"))]
    assert len(_report_cards(bot, activities.personal_conversation("29:ina"))) == 2
    assert "01/10/2026 to 30/11/2026" in card_json(ina[1].activity)
    assert "Which period?" in card_json(ina[2].activity) and "someday" in card_json(ina[2].activity)
    assert "chairs and duty managers" in card_json(refusal.activity)
    assert not _report_cards(bot, activities.personal_conversation("29:pat"))


async def test_typed_in_a_channel_the_figures_go_to_the_personal_chat(bot: Bot) -> None:
    channel = "19:csc-sd@thread.tacv2"
    await bot.say("chris", "help")  # the bot now has Chris's personal chat
    await bot.drain()
    before = len(bot.connector.sent)
    await bot.say("chris", "report", channel_id=channel)
    await bot.drain()
    new = bot.connector.sent[before:]
    in_channel = [m for m in new if m.conversation_id.startswith(channel)]
    assert [m.text for m in in_channel] == ["Sent to you in a personal chat."]
    assert not any(m.activity.get("attachments") for m in in_channel)
    assert len(_report_cards(bot, CHRIS_CHAT)) == 1
    channel_requests = [r for r in bot.connector.requests if channel in r.path or (r.conversation_id or "").startswith(channel)]
    assert channel_requests
    assert not any(word in json.dumps(r.json) for r in channel_requests for word in ("Learning and assurance", "data:image", "Held late"))

    # Someone the bot has never talked to in a personal chat: the bot opens one (a Teams 1:1 chat)
    # and the figures go there; the channel gets only the note.
    before = len(bot.connector.sent)
    await bot.say("dee", "report", channel_id=channel)
    await bot.drain()
    new = bot.connector.sent[before:]
    in_channel = [m for m in new if m.conversation_id.startswith(channel)]
    assert [m.text for m in in_channel] == ["Sent to you in a personal chat."]
    assert not any(m.activity.get("attachments") for m in in_channel)
    assert any(c.get("members") == [{"id": "29:dee"}] for c in bot.connector.created_conversations)
    assert len(_report_cards(bot, activities.personal_conversation("29:dee"))) == 1
