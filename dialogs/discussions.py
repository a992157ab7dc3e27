"""Creating a discussion (initial or review): deadline, invitees with reasons, the summary card."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

import cards
from dialogs import replies, views
from dialogs.parse import ConveneRequest
from dialogs.services import Services
from dialogs.types import Actor, Where
from procedure import REVIEW_RULE, Deadline, convene_by, convening_confirms, invitees
from procedure.states import DiscussionStatus, InvitationStatus
from storage import queries
from storage.models import Discussion, Invitation, Person


async def create_discussion(
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
    review_deadline: Deadline | None = None,
) -> dict[str, Any]:
    """A draft discussion and its summary card. A review's deadline is given (`review_deadline`,
    None: held when the chair asks, no deadline); a first discussion's comes from the rules."""
    existing = await queries.latest_discussion(session, request.case_ref, (DiscussionStatus.INVITED, DiscussionStatus.IN_PROGRESS))
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
    draft = await queries.latest_discussion(session, request.case_ref, (DiscussionStatus.DRAFT,))
    if draft is not None:
        draft.status = DiscussionStatus.CANCELLED  # a re-typed convene replaces the unsent draft
    action_at = request.action_at
    if "immediate-action" in request.concerns and action_at is None:
        action_at = request.referral_at
    if review_of is None:
        deadline: Deadline | None = convene_by(request.referral_at, request.concerns, services.profile, action_at=action_at)
    else:
        deadline = review_deadline
    d = Discussion(
        id=str(uuid.uuid4()),
        case_ref=request.case_ref,
        kind="review" if review_of else "initial",
        review_of=review_of.id if review_of else None,
        status=DiscussionStatus.DRAFT,
        profile=services.profile.name,
        referral_received_at=request.referral_at,
        concerns=request.concerns,
        flags=request.flags,
        action_at=action_at,
        convene_by=deadline.at if deadline else None,
        convene_by_rule=deadline.rule if deadline else REVIEW_RULE,
        convene_by_note=deadline.note if deadline else None,
        scheduled_for=request.at,
        format=request.format,
        chair_person_id=chair.id,
        chair_conversation_key=where.key or None,
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
        if convening_confirms(req.kind, services.profile) and chair.agency_id == inv.agency_id:
            inv.status, inv.person_id, inv.responded_at = InvitationStatus.ACCEPTED, chair.id, now
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
        convene_by=deadline.at if deadline else None,
        rule=deadline.rule if deadline else REVIEW_RULE,
    )
    card = await views.convene_summary(session, services, d, now)
    if reply:
        await replies.card(session, where, card, message_key=f"summary:{d.id}", discussion_id=d.id)
    return card
