"""`Download PDF` on the record card: the printable record through Teams' file consent flow.

1. The press (`record_pdf`): need to know is checked (the chair and the invited agencies), the
   PDF is made (in a thread) to know its size, and a file consent card goes to the presser's
   personal chat with the bot: never a channel (Teams can only send bot files there, and the
   record never goes to channels).
2. Teams answers with `fileConsent/invoke`: on decline nothing is uploaded ("Not downloaded");
   on accept an outbox row (`op = "upload"`) is written, so the upload is retried like any
   delivery and survives a restart; the invoke is answered at once.
3. The worker renders the PDF again, PUTs it to the upload URL, then (`pdf_uploaded`) sends the
   file card and audits "record downloaded as PDF by <person id>".
"""

from __future__ import annotations

import asyncio
import re
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy.ext.asyncio import AsyncSession

from cards.record import file_consent_attachment, file_info_attachment
from dialogs import replies
from dialogs.access import may_see
from dialogs.record_pdf import render_pdf
from dialogs.record_view import record_doc
from dialogs.services import Services
from dialogs.targets import person_target
from dialogs.types import CardAction, CardReply, FileConsent
from procedure.states import DiscussionStatus
from storage import outbox, queries
from storage.models import Discussion, OutboxOp

UPLOAD_OP = OutboxOp.UPLOAD
_LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def file_name(d: Discussion, services: Services) -> str:
    ref = re.sub(r"[^A-Za-z0-9_-]+", "-", d.case_ref).strip("-") or "record"
    held = d.started_at or d.closed_at or d.created_at
    return f"{ref}-strategy-discussion-{services.when(held, 'file')}.pdf" if held else f"{ref}-strategy-discussion.pdf"


async def record_pdf(session: AsyncSession, services: Services, d: Discussion) -> bytes:
    doc = await record_doc(session, services, [d])
    return await asyncio.to_thread(render_pdf, doc)  # CPU work: never on the event loop


async def download_pdf(session: AsyncSession, services: Services, act: CardAction) -> CardReply:
    d = await queries.discussion(session, act.data.get("discussion_id"))
    person = await queries.person_by_aad(session, act.actor.aad_object_id)
    if d is None or person is None or not await may_see(session, d, person):
        return CardReply(error=("Forbidden", "Only the chair and the people of the invited agencies can download "
                                "the record (need to know)."))  # fmt: skip
    if d.status != DiscussionStatus.CLOSED:
        return CardReply(error=("NotReady", f"The record is produced when the chair closes the discussion ('close {d.case_ref}')."))
    personal = act.where.conversation_type == "personal"
    if personal:
        target = act.where.target
    elif person.teams_id or person.aad_object_id:
        target = person_target(person)
    else:
        return CardReply(error=("Unreachable", "Open a personal chat with the bot, then press Download PDF there."))
    pdf = await record_pdf(session, services, d)
    name = file_name(d, services)
    context = {"discussion_id": d.id, "person_id": person.id}
    consent = file_consent_attachment(name, f"Record of the strategy discussion {d.case_ref} (confidential)", len(pdf), context)
    await outbox.enqueue(session, target=target, payload={"type": "message", "attachments": [consent]},
                         discussion_id=d.id, purpose="record_pdf")  # fmt: skip
    await queries.audit(session, "record_pdf_offered", actor_aad=act.actor.aad_object_id, actor_name=act.actor.name,
                        discussion=d, conversation_id=act.where.conversation_id, at=act.now, person=person.id)  # fmt: skip
    where = "below" if personal else "in your personal chat with the bot"
    return CardReply(message=f"The PDF of the record is ready: choose Allow on the file card {where} to save it to your OneDrive.")


def upload_url_ok(url: Any) -> bool:
    if not isinstance(url, str) or len(url) > 4000:
        return False
    parts = urlsplit(url)
    # Teams gives an https OneDrive URL; plain http only to this machine (local emulators, tests).
    return parts.scheme == "https" or (parts.scheme == "http" and parts.hostname in _LOOPBACK)


async def file_consent(session: AsyncSession, services: Services, req: FileConsent) -> None:
    d = await queries.discussion(session, req.context.get("discussion_id"))
    person = await queries.person_by_aad(session, req.actor.aad_object_id)
    if d is None or person is None or not await may_see(session, d, person) or person.id != req.context.get("person_id"):
        await replies.text(session, req.where, "Not downloaded: this file is not available to you.")
        return
    if req.action != "accept":
        await replies.text(session, req.where, f"Not downloaded: the record of {d.case_ref} was not saved.", discussion_id=d.id)
        await queries.audit(session, "record_pdf_declined", actor_aad=req.actor.aad_object_id, actor_name=req.actor.name,
                            discussion=d, conversation_id=req.where.conversation_id, at=req.now, person=person.id)  # fmt: skip
        return
    info = req.upload_info
    fields = {k: info.get(k) for k in ("uploadUrl", "contentUrl", "uniqueId", "name", "fileType")}
    if not upload_url_ok(fields["uploadUrl"]) or not all(isinstance(v, str) and v for v in fields.values()):
        await replies.text(session, req.where, "Not downloaded: Teams did not say where to save the file. Press Download PDF again.",
                           discussion_id=d.id)  # fmt: skip
        return
    await outbox.enqueue(session, target=req.where.target, op=UPLOAD_OP, discussion_id=d.id, purpose="record_pdf", payload={
        "upload_url": fields["uploadUrl"], "discussion_id": d.id, "person_id": person.id,
        "actor_aad": req.actor.aad_object_id, "actor_name": req.actor.name,
        "file": {"name": fields["name"], "content_url": fields["contentUrl"], "unique_id": fields["uniqueId"],
                 "file_type": fields["fileType"]},
    })  # fmt: skip


async def pdf_for_upload(session: AsyncSession, services: Services, payload: dict[str, Any]) -> bytes | None:
    """The PDF an upload row carries, made fresh (the record as it is now); None if it is gone."""
    d = await queries.discussion(session, payload.get("discussion_id"))
    return None if d is None else await record_pdf(session, services, d)


async def pdf_uploaded(session: AsyncSession, target: dict[str, Any], payload: dict[str, Any], now: datetime) -> None:
    """After the PUT succeeded: the file card in the chat, and the audit entry."""
    d = await queries.discussion(session, payload.get("discussion_id"))
    f = payload["file"]
    card = file_info_attachment(f["name"], f["content_url"], f["unique_id"], f["file_type"])
    await outbox.enqueue(session, target=target, payload={"type": "message", "attachments": [card]},
                         discussion_id=d.id if d else None, purpose="record_pdf")  # fmt: skip
    person_id = payload.get("person_id")
    await queries.audit(session, "record_pdf_downloaded", actor_aad=payload.get("actor_aad"),
                        actor_name=payload.get("actor_name"), discussion=d, conversation_id=target.get("conversation_id"),
                        at=now, person=person_id, what=f"record downloaded as PDF by {person_id}")  # fmt: skip
