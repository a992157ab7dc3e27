"""`Download report` on the Teams report card: the full report (the HTML page) through Teams'
file consent flow, against the fake Bot Connector and a fake OneDrive upload URL: the consent
card goes to the presser's personal chat only; Allow uploads the page through the outbox and
shows the file card (audited); Decline uploads nothing; only chairs and duty managers may."""

# ruff: noqa: F811  (`onedrive` is the fake OneDrive fixture of test_record_download, used as a parameter)
from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select

from storage.models import AuditEntry, OutboxMessage
from tests.conftest import Bot
from tests.support import activities
from tests.test_confidentiality import shared_requests
from tests.test_convene_flow import CHRIS_CHAT, sent_to, titles, verb_data
from tests.test_discussion_flow import held
from tests.test_record_download import (  # noqa: F401
    CONSENT,
    INFO,
    FakeOneDrive,
    consent_cards,
    consent_invoke,
    onedrive,  # noqa: F401
)

CSC = "19:csc-sd@thread.tacv2"


def report_card_message(bot: Bot, conversation: str) -> dict[str, Any]:
    [message] = [m for m in sent_to(bot, conversation) if "Learning and assurance" in json.dumps(m.activity)][-1:]
    return message.activity


async def audit(bot: Bot, action: str) -> list[AuditEntry]:
    async with bot.state["factory"]() as session:
        return list((await session.scalars(select(AuditEntry).where(AuditEntry.action == action))).all())


async def test_a_chair_downloads_the_full_report_through_file_consent(bot: Bot, onedrive: FakeOneDrive) -> None:
    await held(bot, "CR-5101")
    await bot.say("chris", "report from 01/05/2026 to 31/05/2026")
    await bot.drain()
    card = report_card_message(bot, CHRIS_CHAT)
    assert "Download report" in titles(card)
    data = verb_data(card, "report_file")
    assert data == {"from": "2026-05-01", "to": "2026-05-31"}
    status, body = await bot.click("chris", "report_file", data, CHRIS_CHAT)
    assert status == 200 and "Allow" in body["value"]
    await bot.drain()
    [consent] = consent_cards(bot, CHRIS_CHAT)
    assert consent["name"] == "strategy-discussions-report-2026-05-01-to-2026-05-31.html"
    content = consent["content"]
    assert content["acceptContext"] == {"kind": "report", "from": "2026-05-01", "to": "2026-05-31", "person_id": "chris"}
    assert content["sizeInBytes"] > 1000

    status, _ = await bot.post(consent_invoke("chris", bot, "accept", content["acceptContext"], f"{onedrive.url}/upload/report.html"))
    assert status == 200
    await bot.drain()
    [put] = onedrive.puts
    assert put.headers["Content-Range"] == f"bytes 0-{len(put.body) - 1}/{len(put.body)}"
    assert "Authorization" not in put.headers
    page = put.body.decode("utf-8")
    assert page.startswith("<!DOCTYPE html>") and "01/05/2026 to 31/05/2026" in page and page.count("<svg") == 3
    assert "<td>Discussions sent</td><td class='n'>1</td>" in page
    infos = [a for m in sent_to(bot, CHRIS_CHAT) for a in m.activity.get("attachments", []) if a["contentType"] == INFO]
    assert len(infos) == 1 and infos[0]["content"]["fileType"] == "pdf"  # as Teams named it in uploadInfo
    [entry] = await audit(bot, "report_downloaded")
    assert entry.detail["what"] == "report downloaded by chris" and entry.detail["from"] == "2026-05-01"
    assert len(await audit(bot, "report_offered")) == 1


async def test_decline_uploads_nothing(sqlite_bot: Bot, onedrive: FakeOneDrive) -> None:
    bot = sqlite_bot
    await bot.say("ina", "report")  # a duty manager may
    await bot.drain()
    ina = activities.personal_conversation("29:ina")
    status, body = await bot.click("ina", "report_file", verb_data(report_card_message(bot, ina), "report_file"), ina)
    assert status == 200 and "Allow" in body["value"]
    await bot.drain()
    [consent] = consent_cards(bot, ina)
    status, _ = await bot.post(consent_invoke("ina", bot, "decline", consent["content"]["declineContext"], None))
    assert status == 200
    await bot.drain()
    assert onedrive.puts == []
    assert "Not downloaded" in sent_to(bot, ina)[-1].activity.get("text", "")
    assert await audit(bot, "report_downloaded") == []


async def test_only_chairs_and_duty_managers_and_never_in_a_channel(sqlite_bot: Bot, onedrive: FakeOneDrive) -> None:
    bot = sqlite_bot
    data = {"from": "2026-05-01", "to": "2026-05-31"}
    pat = activities.personal_conversation("29:pat")
    status, body = await bot.click("pat", "report_file", data, pat)  # a police officer: neither
    assert status == 200 and body["statusCode"] == 400 and "chairs and duty managers" in body["value"]["message"]
    await bot.drain()
    assert not consent_cards(bot, pat)
    # Someone else's consent card cannot be used.
    context = {"kind": "report", **data, "person_id": "chris"}
    await bot.post(consent_invoke("pat", bot, "accept", context, f"{onedrive.url}/upload/x.html"))
    await bot.drain()
    assert onedrive.puts == [] and "Not downloaded" in sent_to(bot, pat)[-1].activity.get("text", "")
    # A bad period is refused.
    for bad in ({"from": "2026-06-01", "to": "2026-05-01"}, {"from": "1900-01-01", "to": "2026-05-01"}, {"from": "x"}):
        status, body = await bot.click("chris", "report_file", bad, CHRIS_CHAT)
        assert status == 200 and body["statusCode"] == 400, bad
    # Pressed in a channel: the consent card goes to the personal chat; the channel gets nothing of it.
    await bot.say("chris", "help")  # the bot has Chris's personal chat
    await bot.drain()
    before = len(bot.connector.requests)
    status, body = await bot.click("chris", "report_file", data, f"{CSC};messageid={activities.next_id()}")
    assert status == 200 and "personal chat" in json.dumps(body)
    await bot.drain()
    assert len(consent_cards(bot, CHRIS_CHAT)) == 1
    written = [r for r in shared_requests(bot) if r in bot.connector.requests[before:]]
    assert not any(CONSENT in json.dumps(r.body) for r in written)
    async with bot.state["factory"]() as session:
        rows = (await session.scalars(select(OutboxMessage).where(OutboxMessage.purpose == "report_file"))).all()
    assert rows and all(not (r.target.get("conversation_id") or "").startswith("19:") for r in rows)


async def test_a_failed_upload_is_retried_then_told(sqlite_bot: Bot, onedrive: FakeOneDrive) -> None:
    bot = sqlite_bot
    context = {"kind": "report", "from": "2026-05-01", "to": "2026-05-31", "person_id": "chris"}
    await bot.say("chris", "help")
    await bot.drain()
    onedrive.fail_next = [503]
    await bot.post(consent_invoke("chris", bot, "accept", context, f"{onedrive.url}/upload/report.html"))
    await bot.drain(timeout=20)
    assert len(onedrive.puts) == 2 and len(await audit(bot, "report_downloaded")) == 1
    onedrive.fail_next = [403]
    await bot.post(consent_invoke("chris", bot, "accept", context, f"{onedrive.url}/upload/again.html"))
    await bot.drain(timeout=20)
    assert len(onedrive.puts) == 3 and len(await audit(bot, "report_downloaded")) == 1
    last = sent_to(bot, CHRIS_CHAT)[-1].activity
    assert "Not downloaded" in last.get("text", "") and "Download report" in last["text"]
