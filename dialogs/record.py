"""Closing a discussion: the record, its circulation within 1 WD, the ICPC deadline, and the
owners marking their actions done (PROCEDURE sections 2, 6)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

import cards
from cards.meeting import ActionView, action_card
from cards.record import RecordButton, record_cards
from cards.verbs import Verb
from dialogs import parse, replies
from dialogs.access import may_see, refusal
from dialogs.meeting import refresh_meeting_cards
from dialogs.parse import InputError
from dialogs.record_view import record_doc
from dialogs.review import plan_next_review
from dialogs.roster import refresh_roster
from dialogs.services import Services
from dialogs.targets import chair_target, person_target
from dialogs.types import CardAction, CardReply, Command
from procedure import circulate_by, icpc_by
from procedure.states import ActionStatus, DiscussionStatus
from storage import outbox, queries
from storage.models import Discussion, OutboxOp, Person


async def recipients(session: AsyncSession, services: Services, d: Discussion) -> list[Person]:
    """The chair and the invited agencies (need to know, PROCEDURE 8; the people `access.may_see`
    lets see it): each invitation's person (or delegate, else the agency's lead) and whoever of
    an invited agency attended; and the people of the agency kinds the profile names
    (`record.also_to`: the GP, SX 6.6 Recording). People, not channels: the record carries the
    information shared."""
    chosen: dict[str, Person] = {}
    invited = {inv.agency_id for inv in d.invitations if inv.agency_id}
    parts = await queries.record_parts(session, d.id)
    for a in parts["attendance"]:
        person = await queries.person(session, a.person_id)
        if person is not None and person.agency_id in invited:
            chosen[person.id] = person
    for inv in d.invitations:
        person = await queries.person(session, inv.person_id or inv.delegated_to_person_id)
        if person is None:
            agency = await queries.agency(session, inv.agency_id)
            person = await queries.person(session, agency.lead_person_id if agency else None)
        if person is not None:
            chosen[person.id] = person
    for kind in services.profile.record_also_to:
        for agency in await queries.agencies_of_kind(session, kind):
            for person in await queries.people_in(session, agency.id):
                chosen[person.id] = person
    chair = await queries.person(session, d.chair_person_id)
    if chair is not None:
        chosen[chair.id] = chair
    return list(chosen.values())


async def record_view(session: AsyncSession, services: Services, d: Discussion, approvable: bool,
                      downloadable: bool = True) -> list[dict[str, Any]]:  # fmt: skip
    """The record's cards (one, or several when it is too large for one message), built from the
    same model as the exports; the buttons are on the last card."""
    doc = await record_doc(session, services, [d])
    people = await recipients(session, services, d)
    buttons = []
    if approvable:
        buttons.append(RecordButton("Approve circulation", Verb.APPROVE_CIRCULATION, {"discussion_id": d.id}, "positive"))
    if downloadable:
        buttons.append(RecordButton("Download PDF", Verb.RECORD_PDF, {"discussion_id": d.id}))
    said = "Circulated to" if d.circulated_at else "Goes to"
    return record_cards(doc, buttons, [f"{said}: " + ", ".join(p.name for p in people)])


async def close_command(session: AsyncSession, services: Services, cmd: Command, rest: str) -> None:
    try:
        ref = parse.case_ref(rest)
    except InputError as e:
        await replies.card(session, cmd.where, cards.error_card("Which case?", f"Type: close CASE_REF. {e}"))
        return
    d = await queries.latest_discussion(session, ref, (DiscussionStatus.IN_PROGRESS, DiscussionStatus.CLOSED))
    person = await queries.person_by_aad(session, cmd.actor.aad_object_id)
    if d is None or person is None or person.id != d.chair_person_id:
        await replies.card(session, cmd.where, cards.error_card(
            f"Nothing to close for {ref}",
            "Only the chair can close a discussion, once it has been started. Check the case reference.",
        ))  # fmt: skip
        return
    if d.status == DiscussionStatus.IN_PROGRESS:
        parts = await queries.record_parts(session, d.id)
        if not parts["decisions"]:
            await replies.card(session, cmd.where, cards.error_card(
                "Record the decisions first",
                "A strategy discussion closes with its decisions and their rationale (agenda step 8).",
            ))  # fmt: skip
            return
        held = d.started_at or cmd.now
        d.status, d.closed_at = DiscussionStatus.CLOSED, cmd.now
        d.circulate_by = circulate_by(held, services.profile).at
        if d.s47_initiated or d.initiating_discussion_id:
            initiating = await queries.discussion(session, d.initiating_discussion_id) if d.initiating_discussion_id else None
            start = (initiating.started_at if initiating and initiating.started_at else held)
            d.icpc_by = icpc_by(start, services.profile).at
            if not d.initiating_discussion_id and d.s47_initiated:
                d.initiating_discussion_id = d.id
        plan_next_review(d, held, services)
        d.chair_conversation_key = cmd.where.key or d.chair_conversation_key
        await queries.audit(session, "close", actor_aad=cmd.actor.aad_object_id, actor_name=cmd.actor.name,
                            discussion=d, conversation_id=cmd.where.conversation_id, at=cmd.now,
                            circulate_by=d.circulate_by, icpc_by=d.icpc_by)  # fmt: skip
        await refresh_roster(session, services, d, cmd.now)
        await refresh_meeting_cards(session, services, d)  # attendees' cards now say "Closed"
    for record_card in await record_view(session, services, d, d.circulated_at is None):
        await replies.card(session, cmd.where, record_card, discussion_id=d.id, purpose="record")


async def approve_circulation(session: AsyncSession, services: Services, act: CardAction) -> CardReply:
    d = await queries.discussion(session, act.data.get("discussion_id"))
    person = await queries.person_by_aad(session, act.actor.aad_object_id)
    if d is None or person is None or person.id != d.chair_person_id:
        return CardReply(card=cards.error_card("Only the chair approves circulation",
                                               "The record is shared only with the chair's permission (SX 6.6)."))  # fmt: skip
    if d.status != DiscussionStatus.CLOSED:
        return CardReply(card=cards.error_card("Not closed yet", f"Type 'close {d.case_ref}' first."))
    if d.circulated_at is None:
        d.circulation_approved_at = d.circulated_at = act.now
        sent_to = []
        # The PDF only for those with a need to know (the chair and the invited agencies).
        variants = {True: await record_view(session, services, d, approvable=False),
                    False: await record_view(session, services, d, approvable=False, downloadable=False)}  # fmt: skip
        for p in await recipients(session, services, d):
            if p.teams_id and p.id != d.chair_person_id:
                copies = variants[await may_see(session, d, p)]
                for n, copy in enumerate(copies, 1):
                    key = f"record:{d.id}:{p.id}" + (f":{n}" if n > 1 else "")
                    await outbox.enqueue(session, target=person_target(p), payload=replies.card_activity(copy),
                                         message_key=key, discussion_id=d.id, purpose="record")  # fmt: skip
                sent_to.append(p.id)
        # What left, to whom (person ids), why: the record is shared on the chair's approval.
        await queries.audit(session, "circulated", actor_aad=act.actor.aad_object_id, actor_name=act.actor.name,
                            discussion=d, conversation_id=act.where.conversation_id, at=act.now,
                            shared="record", recipients=sent_to, why="circulation approved by the chair")  # fmt: skip
    # The answer replaces the pressed card: the last one, where the buttons are.
    return CardReply(card=(await record_view(session, services, d, approvable=False))[-1])


async def action_done(session: AsyncSession, services: Services, act: CardAction) -> CardReply:

    action_id = act.data.get("action_id")
    row = await queries.action(session, action_id)
    person = await queries.person_by_aad(session, act.actor.aad_object_id)
    if row is None:
        return refusal("Unknown action", "This action does not exist.")
    d = await queries.discussion(session, row.discussion_id)
    assert d is not None
    allowed = person is not None and (person.id == row.owner_person_id or person.id == d.chair_person_id
                                      or person.agency_id == row.agency_id)  # fmt: skip
    if not allowed:
        return refusal("Not your action", "Only its owner, their agency or the chair can mark it done.")
    assert person is not None
    if row.status != ActionStatus.DONE:
        row.status, row.done_at = ActionStatus.DONE, act.now
        await queries.audit(session, "action_done", actor_aad=act.actor.aad_object_id, actor_name=act.actor.name,
                            discussion=d, at=act.now, action_id=row.id)  # fmt: skip
        target = await chair_target(session, d)
        if target is not None and person.id != d.chair_person_id:
            await outbox.enqueue(session, target=target, payload=replies.card_activity(cards.notice_card(
                f"{d.case_ref}: action done", [f"{person.name} marked done: {row.what[:200]}"], style="good")),
                discussion_id=d.id, purpose="action")  # fmt: skip
    agency = await queries.agency(session, row.agency_id)
    view = ActionView(action_id=row.id, case_ref=d.case_ref, what=row.what, owner_name=row.owner_name,
                      agency_name=agency.name if agency else "", due=services.local(row.due), purpose=row.purpose,
                      status=row.status, done_at=services.local(row.done_at) if row.done_at else None)  # fmt: skip
    card, for_channel = action_card(view), cards.channel_action(view)
    sent_to = await outbox.target_of(session, f"action:{row.id}")
    if sent_to is not None:
        await outbox.enqueue(session, op=OutboxOp.UPDATE, message_key=f"action:{row.id}", discussion_id=d.id, purpose="action",
                             payload=replies.channel_safe(for_channel) if sent_to.is_shared else replies.card_activity(card))  # fmt: skip
    return CardReply(card=card, channel_card=for_channel)
