"""`Download PDF` on the record card through Teams' file consent flow, against the fake Bot
Connector and a fake OneDrive upload URL on 127.0.0.1: consent card to a personal chat only,
accept -> PUT with the right Content-Range and PDF bytes, then the file card, audited;
decline -> no PUT; need to know enforced; a failed upload is retried."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from io import BytesIO
from typing import Any

import pytest
from aiohttp import web
from pypdf import PdfReader
from sqlalchemy import select

from storage.models import AuditEntry
from tests.conftest import PEOPLE, Bot
from tests.support import activities
from tests.support.fakehttp import LocalServer
from tests.test_convene_flow import CHRIS_CHAT, sent_to, titles, verb_data
from tests.test_discussion_flow import held, next_step
from tests.test_record import record_messages

CONSENT = "application/vnd.microsoft.teams.card.file.consent"
INFO = "application/vnd.microsoft.teams.card.file.info"


@dataclass
class Put:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class FakeOneDrive:
    """The upload URL Teams hands over on accept: records each PUT; can fail the next ones."""

    puts: list[Put] = field(default_factory=list)
    fail_next: list[int] = field(default_factory=list)
    server: LocalServer | None = None

    async def _put(self, request: web.Request) -> web.Response:
        body = await request.read()
        self.puts.append(Put(request.path, dict(request.headers), body))
        if self.fail_next:
            return web.Response(status=self.fail_next.pop(0))
        return web.json_response({"id": "file-1", "name": request.path.rsplit("/", 1)[-1], "size": len(body)}, status=201)

    @property
    def url(self) -> str:
        assert self.server is not None
        return self.server.url


@pytest.fixture
async def onedrive() -> AsyncIterator[FakeOneDrive]:
    fake = FakeOneDrive()
    app = web.Application(client_max_size=20 * 1024 * 1024)
    app.router.add_put("/upload/{name}", fake._put)
    fake.server = LocalServer(app)
    await fake.server.start()
    try:
        yield fake
    finally:
        await fake.server.stop()


REF = "CR-3101"


async def fully_recorded(bot: Bot) -> str:
    """A closed discussion (police and health accepted; a joint S47): enough to download."""
    did = await held(bot, REF, flags="school")
    await next_step(bot, did, "decisions", {"decision:s47": "joint", "rationale:s47": "Injuries unexplained."})
    await bot.say("chris", f"close {REF}")
    await bot.drain()
    return did


def consent_invoke(person_id: str, bot: Bot, action: str, context: dict[str, Any], upload_url: str | None) -> dict[str, Any]:
    """What Teams posts when the person chooses Allow or Decline on the file consent card."""
    activity = activities.invoke(PEOPLE[person_id], "unused", {}, bot.connector.url)
    value: dict[str, Any] = {"type": "fileUpload", "action": action, "context": context}
    if upload_url:
        value["uploadInfo"] = {"contentUrl": "https://contoso-my.sharepoint.test/personal/chris/Documents/Applications/record.pdf",
                               "name": "record.pdf", "uploadUrl": upload_url, "uniqueId": "1150D938-8870-4044-9F2C-5BBDEBA70C8C",
                               "fileType": "pdf"}  # fmt: skip
    activity.update({"name": "fileConsent/invoke", "value": value})
    activity.pop("replyToId", None)
    return activity


def consent_cards(bot: Bot, conversation: str) -> list[dict[str, Any]]:
    return [a for m in sent_to(bot, conversation) for a in m.activity.get("attachments", []) if a["contentType"] == CONSENT]


async def downloads(bot: Bot) -> list[AuditEntry]:
    async with bot.state["factory"]() as session:
        rows = (await session.scalars(select(AuditEntry).where(AuditEntry.action == "record_pdf_downloaded"))).all()
    return list(rows)


async def test_the_chair_downloads_the_pdf_through_file_consent(bot: Bot, onedrive: FakeOneDrive) -> None:
    did = await fully_recorded(bot)
    record = record_messages(bot)[-1]
    assert "Download PDF" in titles(record)
    status, body = await bot.click("chris", "record_pdf", verb_data(record, "record_pdf"), CHRIS_CHAT)
    assert status == 200 and body["type"] == "application/vnd.microsoft.activity.message" and "Allow" in body["value"]
    await bot.drain()
    [consent] = consent_cards(bot, CHRIS_CHAT)
    assert consent["name"] == f"{REF}-strategy-discussion-2026-05-20.pdf"
    content = consent["content"]
    assert content["sizeInBytes"] > 1000 and REF in content["description"]
    assert content["acceptContext"] == content["declineContext"] == {"discussion_id": did, "person_id": "chris"}

    status, answer = await bot.post(consent_invoke("chris", bot, "accept", content["acceptContext"], f"{onedrive.url}/upload/record.pdf"))
    assert status == 200
    await bot.drain()
    [put] = onedrive.puts
    size = len(put.body)
    assert put.headers["Content-Range"] == f"bytes 0-{size - 1}/{size}"
    assert "Authorization" not in put.headers  # the bot's token never goes to the upload URL
    assert put.body.startswith(b"%PDF")
    text = "\n".join(p.extract_text() for p in PdfReader(BytesIO(put.body)).pages)
    assert "Joint with the police" in text and "CONFIDENTIAL" in text
    infos = [a for m in sent_to(bot, CHRIS_CHAT) for a in m.activity.get("attachments", []) if a["contentType"] == INFO]
    assert infos == [{"contentType": INFO, "name": "record.pdf",
                      "contentUrl": "https://contoso-my.sharepoint.test/personal/chris/Documents/Applications/record.pdf",
                      "content": {"uniqueId": "1150D938-8870-4044-9F2C-5BBDEBA70C8C", "fileType": "pdf"}}]  # fmt: skip
    [entry] = await downloads(bot)
    assert entry.detail["what"] == "record downloaded as PDF by chris" and entry.case_ref == REF
    # Teams repeats the invoke: nothing is uploaded twice.
    again = consent_invoke("chris", bot, "accept", content["acceptContext"], f"{onedrive.url}/upload/record.pdf")
    again["id"] = "repeat-1"
    await bot.post(again)
    await bot.post(again)
    await bot.drain()
    assert len(onedrive.puts) == 2


async def test_decline_uploads_nothing(sqlite_bot: Bot, onedrive: FakeOneDrive) -> None:
    bot = sqlite_bot
    await fully_recorded(bot)
    await bot.click("chris", "record_pdf", verb_data(record_messages(bot)[-1], "record_pdf"), CHRIS_CHAT)
    await bot.drain()
    [consent] = consent_cards(bot, CHRIS_CHAT)
    status, _ = await bot.post(consent_invoke("chris", bot, "decline", consent["content"]["declineContext"], None))
    assert status == 200
    await bot.drain()
    assert onedrive.puts == []
    assert "Not downloaded" in sent_to(bot, CHRIS_CHAT)[-1].activity.get("text", "")
    assert await downloads(bot) == []


async def test_pressed_in_a_channel_the_consent_card_goes_to_the_personal_chat(sqlite_bot: Bot, onedrive: FakeOneDrive) -> None:
    bot = sqlite_bot
    did = await fully_recorded(bot)
    channel_thread = "19:police-sd@thread.tacv2;messageid=1763800000999"
    status, body = await bot.click("pat", "record_pdf", {"discussion_id": did}, channel_thread)
    assert status == 200 and "personal chat" in body["value"]
    await bot.drain()
    assert not [m for m in sent_to(bot, "19:") if any(a["contentType"] == CONSENT for a in m.activity.get("attachments", []))]
    [consent] = consent_cards(bot, activities.personal_conversation("29:pat"))
    assert consent["content"]["acceptContext"]["person_id"] == "pat"
    # Only the person the card was made for can use it.
    await bot.post(consent_invoke("olly", bot, "accept", consent["content"]["acceptContext"], f"{onedrive.url}/upload/x.pdf"))
    await bot.drain()
    assert onedrive.puts == []
    await bot.post(consent_invoke("pat", bot, "accept", consent["content"]["acceptContext"], f"{onedrive.url}/upload/x.pdf"))
    await bot.drain()
    assert len(onedrive.puts) == 1


async def test_only_those_with_a_need_to_know_may_download(sqlite_bot: Bot) -> None:
    bot = sqlite_bot
    did = await fully_recorded(bot)
    for outsider in ("gina", "lara"):  # the GP gets the record, but was not invited; the LADO not at all
        status, body = await bot.click(outsider, "record_pdf", {"discussion_id": did})
        assert status == 200 and body["statusCode"] == 400 and "need to know" in body["value"]["message"]
    await bot.drain()
    assert not consent_cards(bot, activities.personal_conversation("29:gina"))
    # The GP's circulated copy carries no Download PDF; the police's does.
    await bot.click("chris", "approve_circulation", {"discussion_id": did}, CHRIS_CHAT)
    await bot.drain()
    [gp_copy] = record_messages(bot, activities.personal_conversation("29:gina"))
    [police_copy] = record_messages(bot, activities.personal_conversation("29:pat"))
    assert "Download PDF" not in titles(gp_copy) and "Download PDF" in titles(police_copy)


async def test_a_failed_upload_is_retried_and_a_foreign_upload_url_refused(sqlite_bot: Bot, onedrive: FakeOneDrive) -> None:
    bot = sqlite_bot
    did = await fully_recorded(bot)
    context = {"discussion_id": did, "person_id": "chris"}
    # An upload URL that is not https (and not this machine) is never used.
    await bot.post(consent_invoke("chris", bot, "accept", context, "http://files.example.test/upload/x.pdf"))
    await bot.drain()
    assert "Not downloaded" in sent_to(bot, CHRIS_CHAT)[-1].activity.get("text", "")
    onedrive.fail_next = [503, 502]
    status, _ = await bot.post(consent_invoke("chris", bot, "accept", context, f"{onedrive.url}/upload/record.pdf"))
    assert status == 200
    await bot.drain(timeout=20)
    assert len(onedrive.puts) == 3 and all(p.body.startswith(b"%PDF") for p in onedrive.puts)
    assert len(await downloads(bot)) == 1
    # An upload URL that has expired (a permanent refusal): no retries; the person is told.
    onedrive.fail_next = [403]
    await bot.post(consent_invoke("chris", bot, "accept", context, f"{onedrive.url}/upload/again.pdf"))
    await bot.drain(timeout=20)
    assert len(onedrive.puts) == 4 and len(await downloads(bot)) == 1
    last = sent_to(bot, CHRIS_CHAT)[-1].activity
    assert "Not downloaded" in last.get("text", "") and "403" in last["text"]
