"""Delivery: the state of each invitation on the roster, and telling the chair.

The outbox worker calls these hooks after each attempt. An invitation is `delivered` when any
copy arrived, `failed` when every copy failed, `retrying` while Teams keeps answering 5xx.
The chair hears at the first transient failure that delivery is delayed (not after every
retry, 13 minutes later), and again if it finally fails; a permanent refusal is told at once.
"""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

import cards
from dialogs import replies, views
from dialogs.roster import refresh_roster
from dialogs.services import Services
from dialogs.targets import chair_target, person_target
from procedure.states import Delivery
from storage import outbox, queries
from storage.models import Discussion, Invitation, OutboxMessage, OutboxOp, OutboxStatus

PURPOSES = {"invitation": "The invitation", "meeting": "The meeting card", "action": "The action card",
            "record": "The record", "reminder": "A reminder"}  # fmt: skip
_INVITE_KEY = re.compile(r"^invite:([0-9a-f-]{36}):")


async def _recipient(session: AsyncSession, row: OutboxMessage) -> str:
    target = row.target or {}
    if target.get("kind") == "person":
        person = await queries.person(session, target.get("person_id"))
        return person.name if person else "a person"
    if target.get("kind") == "channel":
        agency = await queries.agency_by_channel(session, target.get("channel_id"))
        return f"the {agency.name} channel" if agency else "a channel"
    return "a conversation"


def _reason(error: str | None) -> str:
    status = re.search(r"answered (\d{3})", error or "")
    code = re.search(r'"code"\s*:\s*"([^"]+)"', error or "")
    if status:
        return f"Teams answered {status.group(1)}" + (f" ({code.group(1)})" if code else "")
    return "Teams could not be reached"


def invitation_id_of(row: OutboxMessage) -> str | None:
    if row.op != OutboxOp.SEND or not row.purpose.startswith("invitation"):
        return None
    match = _INVITE_KEY.match(row.message_key or "")
    return match.group(1) if match else None


async def _notice(session: AsyncSession, services: Services | None, d: Discussion, title: str, lines: list[str],
                  style: str, with_record_answer: bool, invitation_id: str | None = None) -> None:  # fmt: skip
    # The chair's personal chat, never a channel the discussion was convened from: notices name
    # people and numbers, and carry the chair's Record answer form.
    chair = await queries.person(session, d.chair_person_id)
    target = person_target(chair) if chair and chair.teams_id else await chair_target(session, d)
    if target is None:
        return
    if with_record_answer and services is not None:
        card = cards.delivery_notice(title, lines, style, await views.record_answer_form(session, d, invitation_id, "notice"))
    else:
        card = cards.notice_card(title, lines, style=style)
    await outbox.enqueue(session, target=target, payload=replies.card_activity(card), discussion_id=d.id,
                         purpose="delivery_failure")  # fmt: skip


async def delivery_failed(session: AsyncSession, row: OutboxMessage, services: Services | None = None) -> None:
    """A message could not be delivered, for good: the chair is told who was not reached and,
    for an invitation, who to phone and how to record their answer."""
    if row.op == OutboxOp.UPLOAD and row.purpose == "report_file":  # the report: whoever chose Allow hears it
        await outbox.enqueue(session, target=row.target, purpose="delivery_failure",
                             payload={"type": "message", "text": f"Not downloaded: the report could not be saved to your "
                                      f"OneDrive ({_reason(row.last_error)}). Press Download report again."})  # fmt: skip
        return
    if row.purpose.startswith("delivery_failure") or not row.discussion_id:
        return
    if row.op == OutboxOp.UPLOAD:  # the record's PDF: whoever chose Allow hears it, where they chose it
        await outbox.enqueue(session, target=row.target, discussion_id=row.discussion_id, purpose="delivery_failure",
                             payload={"type": "message", "text": f"Not downloaded: the PDF could not be saved to your "
                                      f"OneDrive ({_reason(row.last_error)}). Press Download PDF on the record again."})  # fmt: skip
        return
    d = await queries.discussion_with_invitations(session, row.discussion_id)
    if d is None:
        return
    target = await chair_target(session, d)
    if target is None:
        return
    if row.order_key == target.order_key:
        return  # the chair's own conversation is what fails: nothing more to send there
    what = PURPOSES.get(row.purpose.split(":")[0], "A message")
    lines = [f"{what} could not be delivered after {row.attempts} attempt(s): {_reason(row.last_error)}."]
    inv = await queries.invitation(session, invitation_id_of(row))
    contact = await views.contact_line(session, inv) if inv else None
    if contact:
        lines.append(f"Phone {contact} and tell them the case reference; then press Record answer with what they say.")
    else:
        lines.append("Please contact them another way (phone or e-mail) and tell them the case reference.")
    await _notice(session, services, d, f"{d.case_ref}: {what.lower()} did not reach {await _recipient(session, row)}",
                  lines, "attention", with_record_answer=inv is not None, invitation_id=inv.id if inv else None)  # fmt: skip


def _state(copies: list[tuple[OutboxStatus, int]]) -> Delivery:
    """The invitation's delivery from the outbox rows of its copies (a lease keeps a row pending)."""
    statuses = [s for s, _ in copies]
    if OutboxStatus.SENT in statuses:
        return Delivery.DELIVERED
    if statuses and all(s == OutboxStatus.FAILED for s in statuses):
        return Delivery.FAILED
    if any(s == OutboxStatus.PENDING and attempts > 0 for s, attempts in copies):
        return Delivery.RETRYING
    return Delivery.SENDING


async def invitation_delivery(session: AsyncSession, row: OutboxMessage, services: Services | None,
                              now: datetime) -> Delivery | None:  # fmt: skip
    """After an attempt at an invitation: update its delivery state; on a change, refresh the
    roster, and at the first delay tell the chair. Returns the new state, or None."""
    inv: Invitation | None = await queries.invitation(session, invitation_id_of(row))
    if inv is None:
        return None
    state = _state(await outbox.delivery_of_keys(session, inv.discussion_id, f"invite:{inv.id}:"))
    before = inv.delivery
    if state == before:
        return None
    inv.delivery = state
    d = await queries.discussion_with_invitations(session, inv.discussion_id)
    if services is None or d is None:
        return state
    if state == Delivery.RETRYING and before in (None, Delivery.SENDING):
        name = await views.agency_name(session, inv)
        contact = await views.contact_line(session, inv)
        await _notice(session, services, d, f"{d.case_ref}: the invitation to {name} is delayed", [
            f"Teams is not accepting it at the moment ({_reason(row.last_error)}); the bot keeps trying and will "
            "tell you if it finally fails.",
            f"If the discussion is soon, phone {contact} now." if contact else
            "If the discussion is soon, contact them another way now.",
        ], "warning", with_record_answer=True, invitation_id=inv.id)  # fmt: skip
    await refresh_roster(session, services, d, now)
    return state
