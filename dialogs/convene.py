"""Convene: work out the deadline and the invitees, then send the invitations."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

import cards
from dialogs import parse, replies, views
from dialogs.access import chair_check, chair_or_none, input_error_card, not_a_chair_card
from dialogs.discussions import create_discussion
from dialogs.parse import ConveneRequest, InputError
from dialogs.roster import post_invitations
from dialogs.services import Services
from dialogs.types import CardAction, CardReply, Command
from procedure.states import DiscussionStatus
from storage import outbox, queries

FORMAT_CHOICES = [(k, v) for k, v in parse.FORMATS.items()]


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
    await create_discussion(session, services, chair, cmd.actor, cmd.where, request, cmd.now)


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
    summary = await create_discussion(session, services, chair, act.actor, act.where, request, act.now, reply=False)
    return CardReply(card=summary)


async def send_invitations(session: AsyncSession, services: Services, act: CardAction) -> CardReply:
    d = await queries.discussion(session, act.data.get("discussion_id"))
    if d is None:
        return CardReply(error=("NotFound", "This discussion no longer exists."))
    d = await queries.discussion_for_update(session, d.id) or d
    person = await queries.person_by_aad(session, act.actor.aad_object_id)
    problem = chair_check(d, person)
    if problem:
        return CardReply(card=cards.error_card("Not yours to send", problem))
    if d.status == DiscussionStatus.CANCELLED:
        return CardReply(card=cards.error_card("This draft was replaced", "A later convene for this case replaced it."))
    if d.status != DiscussionStatus.DRAFT:
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
    if d.kind == "review" and d.convene_by is None:
        d.convene_by = d.scheduled_for  # a review is held when the chair asks: the time asked for
    d.status, d.invited_at = DiscussionStatus.INVITED, act.now
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


