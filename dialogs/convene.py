"""Convene: work out the deadline and the invitees, then send the invitations."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

import cards
from dialogs import parse, replies, views
from dialogs.escalate import person_target
from dialogs.parse import ConveneRequest, InputError
from dialogs.router import action, command
from dialogs.services import Services
from dialogs.types import Actor, CardAction, CardReply, Command, Where
from procedure import convene_by, invitees
from storage import outbox, queries
from storage.models import Discussion, Invitation, Person

FORMAT_CHOICES = [(k, v) for k, v in parse.FORMATS.items()]


async def chair_or_none(session: AsyncSession, actor: Actor) -> Person | None:
    person = await queries.person_by_aad(session, actor.aad_object_id)
    return person if person is not None and person.can_chair else None


def not_a_chair_card(actor: Actor) -> dict[str, Any]:
    return cards.error_card(
        "Only a chair can do that",
        f"{actor.name}, the directory does not list you as a chair (a CSC manager with "
        "can_chair = true). Ask your team manager or the CSC duty manager to convene.",
    )


def input_error_card(e: InputError) -> dict[str, Any]:
    return cards.error_card("I could not read that — nothing was saved", str(e), e.choices or None)


@command("convene")
async def convene_command(session: AsyncSession, services: Services, cmd: Command, rest: str) -> None:
    chair = await chair_or_none(session, cmd.actor)
    if chair is None:
        await replies.card(session, cmd.where, not_a_chair_card(cmd.actor))
        return
    if not rest:
        await replies.card(session, cmd.where, form_card({}, {}))
        return
    try:
        request = parse.convene(rest, cmd.now, services.tz.key)
    except InputError as e:
        await replies.card(session, cmd.where, input_error_card(e))
        return
    await _create(session, services, chair, cmd.actor, cmd.where, request, cmd.now)


def form_card(values: dict[str, str], errors: dict[str, str]) -> dict[str, Any]:
    return cards.convene_form(
        cards.ConveneFormView(
            values=values,
            errors=errors,
            concern_choices=parse.concern_choices(),
            flag_choices=parse.flag_choices(),
            format_choices=FORMAT_CHOICES,
        )
    )


def _text(data: dict[str, Any], key: str) -> str:
    value = data.get(key)
    return value.strip()[:200] if isinstance(value, str) else ""


@action("convene_form")
async def convene_form(session: AsyncSession, services: Services, act: CardAction) -> CardReply:
    chair = await chair_or_none(session, act.actor)
    if chair is None:
        return CardReply(card=not_a_chair_card(act.actor))
    values = {k: _text(act.data, k) for k in ("case_ref", "referral", "concerns", "flags", "action", "at", "format")}
    errors: dict[str, str] = {}
    request = ConveneRequest(case_ref="", referral_at=act.now)
    tz = services.tz.key
    # Validate every field, so the chair sees all problems at once (again on the server:
    # the card's own validation is only a convenience).
    checks = [
        ("case_ref", lambda v: setattr(request, "case_ref", parse.case_ref(v)), True),
        ("referral", lambda v: setattr(request, "referral_at", parse.when(v, act.now, tz, "referral")), False),
        ("concerns", lambda v: setattr(request, "concerns", parse.codes(v, "concern")), False),
        ("flags", lambda v: setattr(request, "flags", parse.codes(v, "flag")), False),
        ("action", lambda v: setattr(request, "action_at", parse.when(v, act.now, tz, "action")), False),
        ("at", lambda v: setattr(request, "at", parse.when(v, act.now, tz, "at")), False),
    ]
    for key, apply, required in checks:
        if not values[key]:
            if required:
                errors[key] = "Required."
            continue
        try:
            apply(values[key])
        except InputError as e:
            errors[key] = str(e) + (f" Choices: {', '.join(e.choices)}" if e.choices else "")
    if values["format"]:
        if values["format"] in parse.FORMATS:
            request.format = values["format"]
        else:
            errors["format"] = "Choose Teams meeting, telephone or in person."
    if request.referral_at > act.now:
        errors["referral"] = "The referral time is in the future."
    try:
        parse.check_times(request, act.now)
    except InputError as e:
        errors[e.field or "at"] = str(e)
    if errors:
        return CardReply(card=form_card(values, errors))
    if not request.concerns:
        request.concerns = ["significant-harm"]
    summary = await _create(session, services, chair, act.actor, act.where, request, act.now, reply=False)
    return CardReply(card=summary)


async def _create(
    session: AsyncSession,
    services: Services,
    chair: Person,
    actor: Actor,
    where: Where,
    request: ConveneRequest,
    now: datetime,
    *,
    reply: bool = True,
    review_of: Discussion | None = None,
) -> dict[str, Any]:
    existing = await queries.latest_discussion(session, request.case_ref, ("invited", "in_progress"))
    if existing is not None and review_of is None:
        card = cards.error_card(
            f"{request.case_ref} already has a discussion under way",
            f"Its status is '{views.STATUS_WORDS.get(existing.status, existing.status)}'. "
            f"Type 'status {existing.case_ref}' to see it, or 'review {existing.case_ref}' "
            "after it has been held.",
        )
        if reply:
            await replies.card(session, where, card)
        return card
    draft = await queries.latest_discussion(session, request.case_ref, ("draft",))
    if draft is not None:
        draft.status = "cancelled"  # a re-typed convene replaces the unsent draft
    action_at = request.action_at
    if "immediate-action" in request.concerns and action_at is None:
        action_at = request.referral_at
    deadline = convene_by(request.referral_at, request.concerns, services.profile, action_at=action_at)
    d = Discussion(
        id=str(uuid.uuid4()),
        case_ref=request.case_ref,
        kind="review" if review_of else "initial",
        review_of=review_of.id if review_of else None,
        status="draft",
        profile=services.profile.name,
        referral_received_at=request.referral_at,
        concerns=request.concerns,
        flags=request.flags,
        action_at=action_at,
        convene_by=deadline.at,
        convene_by_rule=deadline.rule,
        convene_by_note=deadline.note,
        scheduled_for=request.at,
        format=request.format,
        chair_person_id=chair.id,
        chair_conversation_key=f"conv:{where.conversation_id}",
        created_by_conversation=where.conversation_id,
        initiating_discussion_id=(review_of.initiating_discussion_id or (review_of.id if review_of.s47_initiated else None)) if review_of else None,
        created_at=now,
        invitations=[],
    )
    session.add(d)
    for position, req in enumerate(invitees(request.concerns, request.flags, services.profile)):
        agencies = await queries.agencies_of_kind(session, req.kind)
        if review_of is not None:
            earlier = next((i for i in review_of.invitations if i.agency_kind == req.kind and i.agency_id), None)
            if earlier is not None:
                agencies = [a for a in agencies if a.id == earlier.agency_id] or agencies
        inv = Invitation(
            id=str(uuid.uuid4()),
            discussion_id=d.id,
            position=position,
            agency_id=agencies[0].id if agencies else None,
            agency_kind=req.kind,
            required=req.required,
            reason=req.reason,
            source=req.source,
        )
        if req.kind == "csc" and chair.agency_id == inv.agency_id and not services.profile.chair_and_social_worker_both_required:
            # The chair is the CSC manager (SX 6.6): convening confirms CSC's attendance. Where the
            # profile needs the social worker too (GM), CSC is invited and must answer like the rest.
            inv.status, inv.person_id, inv.responded_at = "accepted", chair.id, now
        d.invitations.append(inv)
    await session.flush()
    await queries.audit(
        session,
        "convene",
        actor_aad=actor.aad_object_id,
        actor_name=actor.name,
        discussion=d,
        conversation_id=where.conversation_id,
        at=now,
        concerns=request.concerns,
        flags=request.flags,
        convene_by=deadline.at,
        rule=deadline.rule,
    )
    card = await views.convene_summary(session, services, d, now)
    if reply:
        await replies.card(session, where, card, message_key=f"summary:{d.id}", discussion_id=d.id)
    return card


def _chair_check(d: Discussion, person: Person | None) -> str | None:
    if person is None or person.id != d.chair_person_id:
        return "Only the chair of this discussion can do that."
    return None


@action("send_invitations")
async def send_invitations(session: AsyncSession, services: Services, act: CardAction) -> CardReply:
    d = await queries.discussion(session, act.data.get("discussion_id"))
    if d is None:
        return CardReply(error=("NotFound", "This discussion no longer exists."))
    d = await queries.discussion_for_update(session, d.id) or d
    person = await queries.person_by_aad(session, act.actor.aad_object_id)
    problem = _chair_check(d, person)
    if problem:
        return CardReply(card=cards.error_card("Not yours to send", problem))
    if d.status == "cancelled":
        return CardReply(card=cards.error_card("This draft was replaced", "A later convene for this case replaced it."))
    if d.status != "draft":
        return CardReply(card=await views.convene_summary(session, services, d, act.now))
    at_text = _text(act.data, "at")
    if at_text:
        try:
            d.scheduled_for = parse.when(at_text, act.now, services.tz.key, "at")
        except InputError as e:
            return CardReply(card=input_error_card(e))
    if d.scheduled_for is None:
        return CardReply(
            card=cards.error_card(
                "Set a start time first",
                f"Type 'convene {d.case_ref} ... at WHEN' again with the proposed start, "
                "e.g. at today 15:00.",
            )
        )
    d.status, d.invited_at = "invited", act.now
    d.roster_message_key = f"roster:{d.id}:1"
    chair_target = act.where.target
    if services.meetings is not None and d.format == "teams":
        # Graph is slow and can fail: the scheduler creates the meeting after this reply,
        # then sends the invitations with the join link.
        d.meeting_pending, d.meeting_note = True, "Creating the Teams meeting…"
    else:
        if d.format == "teams" and not d.meeting_url:
            d.meeting_note = "The chair will add the Teams meeting link (Graph is not configured)."
        await post_invitations(session, services, d, act.now)
    await outbox.enqueue(
        session,
        target=chair_target,
        payload=replies.card_activity(await views.roster_card(session, services, d, act.now), "Roster"),
        message_key=d.roster_message_key,
        discussion_id=d.id,
        purpose="roster",
    )
    await queries.audit(
        session, "send_invitations", actor_aad=act.actor.aad_object_id, actor_name=act.actor.name,
        discussion=d, conversation_id=act.where.conversation_id, at=act.now,
        scheduled_for=d.scheduled_for,
    )  # fmt: skip
    return CardReply(card=await views.convene_summary(session, services, d, act.now))


async def post_invitations(session: AsyncSession, services: Services, d: Discussion, now: datetime) -> None:
    """One invitation card per agency: a thread in its channel, or personal chats."""
    for inv in d.invitations:
        if inv.status != "pending" or inv.agency_id is None:
            continue
        agency = await queries.agency(session, inv.agency_id)
        if agency is None:
            continue
        card = replies.card_activity(await views.invitation_card(session, services, inv, now), f"Invitation: {d.case_ref}")
        if agency.channel_id:
            await outbox.enqueue(
                session, target={"kind": "channel", "channel_id": agency.channel_id}, payload=card,
                message_key=f"invite:{inv.id}:channel", discussion_id=d.id, purpose="invitation",
            )  # fmt: skip
        else:
            for p in await queries.people_in(session, agency.id):
                if p.teams_id:
                    await outbox.enqueue(session, target=person_target(p), payload=card,
                                         message_key=f"invite:{inv.id}:{p.id}", discussion_id=d.id,
                                         purpose="invitation")  # fmt: skip
        inv.sent_at = now


async def refresh_roster(session: AsyncSession, services: Services, d: Discussion, now: datetime) -> None:
    """Edit the chair's roster card in place (never re-post it)."""
    if not d.roster_message_key or not await outbox.was_sent_under(session, d.roster_message_key):
        return
    await outbox.enqueue(
        session,
        op="update",
        message_key=d.roster_message_key,
        payload=replies.card_activity(await views.roster_card(session, services, d, now), "Roster"),
        discussion_id=d.id,
        purpose="roster",
    )


async def refresh_invitation(session: AsyncSession, services: Services, inv: Invitation, now: datetime) -> None:
    """Edit every copy of an invitation card so all the agency's people see its state."""
    payload = replies.card_activity(await views.invitation_card(session, services, inv, now), f"Invitation: {inv.discussion.case_ref}")
    for key in await queries.sent_keys_with_prefix(session, f"invite:{inv.id}:"):
        await outbox.enqueue(session, op="update", message_key=key, payload=payload,
                             discussion_id=inv.discussion_id, purpose="invitation")  # fmt: skip
