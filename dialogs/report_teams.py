"""`report` in Teams: chairs and duty managers get a card with the headline figures and a small
chart in their personal chat (the figures are `dialogs/report.py`'s)."""

from __future__ import annotations

import asyncio
import re
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

import cards
from cards.report import ReportCardView, report_card
from dialogs import replies
from dialogs.parse import InputError
from dialogs.report import Period, build_report, headline, period_from, report_title
from dialogs.services import Services
from dialogs.types import Command
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
                                      full_report_hint=FULL_REPORT_HINT))  # fmt: skip


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
