"""`report` in Teams: chairs and duty managers get a card with the headline figures and a small
chart in their personal chat (the figures are `dialogs/report.py`'s), and with **Download
report** the full report (the same self-contained HTML page as `sdbot report --format html`)
through Teams' file consent flow, as the record's Download PDF (`dialogs/record_files.py`):

1. The press (`report_file`): chairs and duty managers only; the page is made to know its size
   and a file consent card goes to the presser's personal chat (never a channel: the report
   names cases to follow up, and Teams offers bot files in personal chats only).
2. `fileConsent/invoke` with the card's context (`kind: report`): decline uploads nothing;
   accept writes an outbox row (`op = "upload"`), retried like any delivery.
3. The worker makes the page again (`report_for_upload`), PUTs it to the upload URL, then
   (`report_uploaded`) sends the file card and audits "report downloaded by <person id>".
"""

from __future__ import annotations

import asyncio
import re
from datetime import date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

import cards
from cards.record import file_consent_attachment, file_info_attachment
from cards.report import ReportCardView, report_card
from dialogs import replies
from dialogs.parse import InputError
from dialogs.record_files import UPLOAD_OP, upload_url_ok
from dialogs.report import (
    MAX_DAYS,
    Period,
    build_report,
    headline,
    period_from,
    report_title,
    to_html,
)
from dialogs.services import Services
from dialogs.targets import person_target
from dialogs.types import CardAction, CardReply, Command, FileConsent
from storage import outbox, queries

FULL_REPORT_HINT = "sdbot report --format html --out report.html"


_REPORT_ARGS = re.compile(r"^(?:from\s+(?P<from>.+?))?\s*(?:\bto\s+(?P<to>.+))?$", re.I)


async def may_see_reports(session: AsyncSession, aad_object_id: str | None) -> bool:
    person = await queries.person_by_aad(session, aad_object_id)
    if person is None:
        return False
    return person.can_chair or bool(await queries.agencies_with_duty_manager(session, person.id))


async def report_view(session: AsyncSession, services: Services, period: Period, now: datetime) -> dict[str, Any]:
    report = await build_report(session, services, period, now)
    t = report["timeliness"]
    # Rendering is CPU work: off the event loop.
    chart = await asyncio.to_thread(charts_png, t["held_by_deadline"], t["held_late"], t["not_held"], t["not_yet_due"])
    return report_card(ReportCardView(title=report_title(report), facts=headline(report), chart_data_uri=chart,
                                      full_report_hint=FULL_REPORT_HINT, download=period_data(period)))  # fmt: skip


def charts_png(*counts: int) -> str:
    from dialogs import charts

    return charts.timeliness_png_data_uri(*counts)


async def report_command(session: AsyncSession, services: Services, cmd: Command, rest: str) -> None:
    if not await may_see_reports(session, cmd.actor.aad_object_id):
        await replies.card(session, cmd.where, cards.error_card(
            "Reports are for chairs and duty managers",
            "Only people who may chair, or who are an agency's duty manager in the directory, can see the "
            "learning and assurance report. Ask your administrator if you need it.",
        ))  # fmt: skip
        return
    match = _REPORT_ARGS.match(rest.strip())
    try:
        if match is None:
            raise InputError("Type: report [from DD/MM/YYYY] [to DD/MM/YYYY] (default: the last 3 months).")
        period = period_from(match.group("from"), match.group("to"), cmd.now, services.tz.key)
    except InputError as e:
        await replies.card(session, cmd.where, cards.error_card("Which period?", str(e)))
        return
    if cmd.where.conversation_type == "personal":
        await replies.card(session, cmd.where, await report_view(session, services, period, cmd.now))
        return
    # Typed in a channel or group chat: the figures go to the person's personal chat only.
    ref = await outbox.conversation(session, f"user:{cmd.actor.aad_object_id}") if cmd.actor.aad_object_id else None
    if ref is None:
        await replies.text(session, cmd.where, "Type `report` in a personal chat with me: I send the figures only there.")
        return
    card = await report_view(session, services, period, cmd.now)
    await outbox.enqueue(session, target={"kind": "conversation", "conversation_id": ref.conversation_id,
                                          "service_url": ref.service_url, "tenant_id": ref.tenant_id},
                         payload=replies.card_activity(card, "Learning and assurance report"), purpose="report")  # fmt: skip
    await replies.text(session, cmd.where, "Sent to you in a personal chat.")


# Download report: the full report through the file consent flow ----------------------------------

FILE_KIND = "report"


def period_data(period: Period) -> dict[str, Any]:
    return {"from": period.first.isoformat(), "to": period.last.isoformat()}


def period_of(data: dict[str, Any]) -> Period | None:
    """The period a card or an upload row carries (untrusted): ISO days, in order, or None."""
    try:
        first, last = date.fromisoformat(str(data.get("from"))[:10]), date.fromisoformat(str(data.get("to"))[:10])
    except ValueError:
        return None
    return Period(first, last) if first <= last and (last - first).days <= MAX_DAYS else None


def report_file_name(period: Period) -> str:
    return f"strategy-discussions-report-{period.first.isoformat()}-to-{period.last.isoformat()}.html"


async def report_html(session: AsyncSession, services: Services, period: Period, now: datetime) -> bytes:
    report = await build_report(session, services, period, now)
    return (await asyncio.to_thread(to_html, report)).encode("utf-8")  # CPU work: off the event loop


async def report_file(session: AsyncSession, services: Services, act: CardAction) -> CardReply:
    """`Download report` on the report card: the file consent card to the presser's personal chat."""
    person = await queries.person_by_aad(session, act.actor.aad_object_id)
    if person is None or not await may_see_reports(session, act.actor.aad_object_id):
        return CardReply(error=("Forbidden", "Reports are for chairs and duty managers."))
    period = period_of(act.data)
    if period is None:
        return CardReply(error=("BadRequest", "This button does not say which period: type `report` again."))
    personal = act.where.conversation_type == "personal"
    if personal:
        target = act.where.target
    elif person.teams_id or person.aad_object_id:
        target = person_target(person)
    else:
        return CardReply(error=("Unreachable", "Open a personal chat with the bot, then type `report` there."))
    page = await report_html(session, services, period, act.now)
    name = report_file_name(period)
    context = {"kind": FILE_KIND, **period_data(period), "person_id": person.id}
    consent = file_consent_attachment(name, "Strategy discussions: learning and assurance report (names cases to follow "
                                      "up: keep it where your authority keeps case records)", len(page), context)  # fmt: skip
    await outbox.enqueue(session, target=target, payload={"type": "message", "attachments": [consent]}, purpose="report_file")
    await queries.audit(session, "report_offered", actor_aad=act.actor.aad_object_id, actor_name=act.actor.name,
                        conversation_id=act.where.conversation_id, at=act.now, person=person.id, **period_data(period))  # fmt: skip
    where = "below" if personal else "in your personal chat with the bot"
    return CardReply(message=f"The report is ready: choose Allow on the file card {where} to save it to your OneDrive.")


async def file_consent(session: AsyncSession, services: Services, req: FileConsent) -> None:
    """Allow or Decline on the report's file consent card."""
    person = await queries.person_by_aad(session, req.actor.aad_object_id)
    period = period_of(req.context)
    if (person is None or period is None or person.id != req.context.get("person_id")
            or not await may_see_reports(session, req.actor.aad_object_id)):  # fmt: skip
        await replies.text(session, req.where, "Not downloaded: this file is not available to you.")
        return
    if req.action != "accept":
        await replies.text(session, req.where, "Not downloaded: the report was not saved.")
        await queries.audit(session, "report_declined", actor_aad=req.actor.aad_object_id, actor_name=req.actor.name,
                            conversation_id=req.where.conversation_id, at=req.now, person=person.id)  # fmt: skip
        return
    info = req.upload_info
    fields = {k: info.get(k) for k in ("uploadUrl", "contentUrl", "uniqueId", "name", "fileType")}
    if not upload_url_ok(fields["uploadUrl"]) or not all(isinstance(v, str) and v for v in fields.values()):
        await replies.text(session, req.where, "Not downloaded: Teams did not say where to save the file. Press Download report again.")
        return
    await outbox.enqueue(session, target=req.where.target, op=UPLOAD_OP, purpose="report_file", payload={
        "kind": FILE_KIND, "upload_url": fields["uploadUrl"], **period_data(period), "person_id": person.id,
        "actor_aad": req.actor.aad_object_id, "actor_name": req.actor.name,
        "file": {"name": fields["name"], "content_url": fields["contentUrl"], "unique_id": fields["uniqueId"],
                 "file_type": fields["fileType"]},
    })  # fmt: skip


async def report_for_upload(session: AsyncSession, services: Services, payload: dict[str, Any], now: datetime) -> bytes | None:
    """The page an upload row carries, made fresh (the figures as they are now)."""
    period = period_of(payload)
    return None if period is None else await report_html(session, services, period, now)


async def report_uploaded(session: AsyncSession, target: dict[str, Any], payload: dict[str, Any], now: datetime) -> None:
    """After the PUT succeeded: the file card in the chat, and the audit entry."""
    f = payload["file"]
    card = file_info_attachment(f["name"], f["content_url"], f["unique_id"], f["file_type"])
    await outbox.enqueue(session, target=target, payload={"type": "message", "attachments": [card]}, purpose="report_file")
    person_id = payload.get("person_id")
    await queries.audit(session, "report_downloaded", actor_aad=payload.get("actor_aad"), actor_name=payload.get("actor_name"),
                        conversation_id=target.get("conversation_id"), at=now, person=person_id,
                        what=f"report downloaded by {person_id}", **{k: payload.get(k) for k in ("from", "to")})  # fmt: skip
